# explain_client.py runs TLS handshakes with Python's ssl module and prints
# the exception each ends with, one line per case, for explain's tests:
#
#   python3 explain_client.py NAME HOST PORT SERVER_NAME CAFILE|- ...
#
# (five arguments per case; CAFILE "-" uses the default trust store).
import socket
import ssl
import sys

args = sys.argv[1:]
for i in range(0, len(args) - 4, 5):
    name, host, port, server_name, cafile = args[i:i + 5]
    ctx = ssl.create_default_context(cafile=None if cafile == "-" else cafile)
    try:
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_name):
                print("CASE %s: connected" % name)
    except Exception as e:  # the exception's text is what is being tested
        print("CASE %s: %s: %s" % (name, type(e).__module__ + "." + type(e).__name__, e))
