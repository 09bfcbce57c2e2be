"""``Repotoire-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.

The timestamp is inside the signed string, so a captured request cannot be replayed later with a
fresh timestamp; receivers reject old timestamps. During a secret rotation one ``v1=`` is sent per
valid secret (newest first).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "Repotoire-Signature"
EVENT_HEADER = "Repotoire-Event"
DELIVERY_HEADER = "Repotoire-Delivery"


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secrets_: list[str], timestamp: int, body: bytes) -> str:
    parts = [f"t={timestamp}"] + [f"v1={compute_signature(s, timestamp, body)}" for s in secrets_]
    return ",".join(parts)
