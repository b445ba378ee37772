#!/usr/bin/env python3
"""Generates ssl3_mac_vectors.json: SSL 3.0 record MACs (RFC 6101
5.2.3.1) computed with Python's hashlib alone, independently of clasp's
Go code, for internal/record/ssl3_test.go.

Run: python3 ssl3_mac_vectors.py > ssl3_mac_vectors.json
"""
import hashlib, json

def fill(n, start):
    return bytes((start + i) & 0xff for i in range(n))

def ssl3_mac(h, n, secret, seq, typ, content):
    pad1, pad2 = b"\x36" * n, b"\x5c" * n
    header = seq.to_bytes(8, "big") + bytes([typ]) + len(content).to_bytes(2, "big")
    inner = h(secret + pad1 + header + content).digest()
    return h(secret + pad2 + inner).digest()

out = []
for name, h, n, size in (("MD5", hashlib.md5, 48, 16), ("SHA1", hashlib.sha1, 40, 20)):
    secret = fill(size, 0x61)
    for seq, typ, length in ((0, 22, 0), (1, 23, 5), (7, 23, 100)):
        content = fill(length, seq)
        out.append({"mac": name, "secret": secret.hex(), "seq": seq, "type": typ,
                    "content": content.hex(), "want": ssl3_mac(h, n, secret, seq, typ, content).hex()})
print(json.dumps(out, indent=1))
