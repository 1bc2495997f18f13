"""Signed blocklist bundles for a fleet: one publisher vets the lists, gateways fetch and verify.

format.py   the bundle file: magic, signed JSON header, compressed per-source parts
index.py    the signed index.json naming the latest version and the files to fetch
signing.py  Ed25519 keys, signatures with a context per kind of message
delta.py    line deltas that rebuild a list file exactly (checked by SHA-256)
publish.py  the publisher's side: bundles and index written atomically into a directory
receive.py  the gateway's side: fetch, verify, refuse rollbacks, rebuild, compile, swap
"""
