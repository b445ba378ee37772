#!/usr/bin/env python3
"""Generates ssl3_vectors.json: SSL 3.0 (RFC 6101) key derivation and
Finished values computed with Python's hashlib alone, independently of
clasp's Go code, for internal/keys/ssl3_test.go.

Run: python3 ssl3_vectors.py > ssl3_vectors.json
"""
import hashlib, json

def fill(n, start):
    return bytes((start + i) & 0xff for i in range(n))

def expand(secret, seed, n):
    # RFC 6101 6.1 / 6.2.2: MD5(secret + SHA('A' + secret + seed)) + ...
    out, i = b"", 0
    while len(out) < n:
        label = bytes([ord('A') + i]) * (i + 1)
        sha = hashlib.sha1(label + secret + seed).digest()
        out += hashlib.md5(secret + sha).digest()
        i += 1
    return out[:n]

def finished(messages, master, sender):
    # RFC 6101 5.6.9
    out = b""
    for h, n in ((hashlib.md5, 48), (hashlib.sha1, 40)):
        pad1, pad2 = b"\x36" * n, b"\x5c" * n
        inner = h(messages + sender + master + pad1).digest()
        out += h(master + pad2 + inner).digest()
    return out

pre = b"\x03\x00" + fill(46, 0x10)
cr, sr = fill(32, 0xa0), fill(32, 0x40)
master = expand(pre, cr + sr, 48)
block = expand(master, sr + cr, 2 * (20 + 16 + 16))  # SHA-1 MAC, AES-128, 16-byte IV
messages = fill(300, 0x01)
print(json.dumps({
    "pre_master": pre.hex(), "client_random": cr.hex(), "server_random": sr.hex(),
    "master": master.hex(),
    "key_block_mac20_key16_iv16": block.hex(),
    "messages": messages.hex(),
    "finished_client": finished(messages, master, b"CLNT").hex(),
    "finished_server": finished(messages, master, b"SRVR").hex(),
    # RFC 6101 5.6.8: CertificateVerify hashes are the Finished ones without a sender.
    "certificate_verify": finished(messages, master, b"").hex(),
}, indent=1))
