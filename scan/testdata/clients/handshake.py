"""handshake.py connects to each HOST:PORT with Python's ssl module and its
default client context (ssl.create_default_context), trusting only the CA
certificate in the PEM file given first, and prints one line per target:
"OK PROTOCOL SUITE" or "FAIL why". The scan tests run it as
`python3 handshake.py CA.pem localhost:PORT...`; it dials 127.0.0.1 and sends
HOST as SNI."""
import socket
import ssl
import sys

ctx = ssl.create_default_context(cafile=sys.argv[1])
for target in sys.argv[2:]:
    host, port = target.rsplit(":", 1)
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                print("OK", s.version(), s.cipher()[0], flush=True)
    except Exception as e:  # every failure is an answer here
        print("FAIL", repr(e).replace("\n", " "), flush=True)
