"""Opens Wangge's sealed party numbers with another implementation (pyca/cryptography).

stdin: {"key": "<64 hex digits of the key file>", "rows": [{"sealed": hex, "match": hex,
        "kind": "phone"|"id", "normalised": "..."}]}
stdout: one JSON list: for each row, {"plain": the opened text, "match_ok": bool}.

The key's two subkeys are HKDF-SHA-256 (RFC 5869, no salt) of the file's 32 bytes with the infos
Wangge documents; a sealed number is AES-256-GCM's 12-byte nonce, ciphertext and 16-byte tag.
"""
import hashlib
import hmac
import json
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive(master: bytes, info: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(master)


def main() -> None:
    doc = json.load(sys.stdin)
    master = bytes.fromhex(doc["key"])
    sealing = derive(master, "wangge parties aes-256-gcm")
    matching = derive(master, "wangge parties hmac-sha-256")
    out = []
    for row in doc["rows"]:
        blob = bytes.fromhex(row["sealed"])
        plain = AESGCM(sealing).decrypt(blob[:12], blob[12:], None).decode()
        expected = hmac.new(matching, (row["kind"] + ":" + row["normalised"]).encode(), hashlib.sha256).hexdigest()
        out.append({"plain": plain, "match_ok": hmac.compare_digest(expected, row["match"].lower())})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
