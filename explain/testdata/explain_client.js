// explain_client.js runs TLS handshakes with Node's tls module and prints
// the error each ends with, one line per case, for explain's tests:
//
//   node explain_client.js NAME HOST PORT SERVERNAME CAFILE|- MAXVERSION|- CIPHERS|- ...
//
// (seven arguments per case; CAFILE "-" uses Node's bundled roots).
const tls = require('tls');
const fs = require('fs');

function handshake(name, host, port, servername, ca, maxVersion, ciphers) {
  return new Promise((resolve) => {
    const opts = { host, port: Number(port), servername };
    if (ca !== '-') opts.ca = fs.readFileSync(ca);
    if (maxVersion !== '-') opts.maxVersion = maxVersion;
    if (ciphers !== '-') opts.ciphers = ciphers;
    const done = (line) => { console.log(`CASE ${name}: ${line.replace(/\n/g, ' ')}`); socket.destroy(); resolve(); };
    const socket = tls.connect(opts, () => done('connected'));
    socket.setTimeout(5000, () => done('timeout'));
    socket.on('error', (e) => done(`${e.code}: ${e.message}`));
  });
}

(async () => {
  const args = process.argv.slice(2);
  for (let i = 0; i + 7 <= args.length; i += 7) {
    await handshake(...args.slice(i, i + 7));
  }
})();
