// handshake.js connects to each HOST:PORT with Node's default TLS client,
// trusting only the CA certificate in the PEM file given first, and prints one
// line per target: "OK PROTOCOL SUITE" or "FAIL why". The scan tests run it as
// `node handshake.js CA.pem localhost:PORT...`. It dials 127.0.0.1 and sends
// HOST as SNI, so that "localhost" resolving to ::1 first cannot matter.
'use strict';
const tls = require('tls');
const fs = require('fs');

const ca = fs.readFileSync(process.argv[2]);

function one(target) {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon);
  const port = Number(target.slice(colon + 1));
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: host, ca }, () => {
      console.log('OK ' + s.getProtocol() + ' ' + s.getCipher().standardName);
      s.destroy();
      resolve();
    });
    s.setTimeout(10000, () => {
      console.log('FAIL timeout');
      s.destroy();
      resolve();
    });
    s.on('error', (e) => {
      console.log('FAIL ' + String(e.message).replace(/\n/g, ' '));
      resolve();
    });
  });
}

(async () => {
  for (const t of process.argv.slice(3)) {
    await one(t);
  }
})();
