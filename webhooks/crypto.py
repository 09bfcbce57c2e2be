"""Encryption at rest for webhook signing secrets (Fernet, keyed from ``settings.ENCRYPTION_KEY``).

``ENCRYPTION_KEY`` may be a Fernet key (urlsafe base64 of 32 bytes) or any passphrase, from which a
key is derived with SHA-256. Several comma-separated keys rotate the key: the first encrypts, all
decrypt. Production refuses to start without it (settings); development and tests derive a key
from SECRET_KEY and say so in the log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("repotoire.webhooks")


def _fernet_for(material: str) -> Fernet:
    try:
        if len(base64.urlsafe_b64decode(material.encode("ascii"))) == 32:
            return Fernet(material.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        pass
    digest = hashlib.sha256(b"repotoire-encryption-key:" + material.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@cache
def _cipher_for(configured: str, secret_key: str) -> MultiFernet:
    keys = [k.strip() for k in configured.split(",") if k.strip()]
    if not keys:
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured("ENCRYPTION_KEY is required in production")
        logger.warning(
            "ENCRYPTION_KEY is not set: webhook secrets are encrypted with a key derived from SECRET_KEY "
            "(acceptable for development and tests only)"
        )
        keys = ["derived-from-secret-key:" + secret_key]
    return MultiFernet([_fernet_for(k) for k in keys])


def _cipher() -> MultiFernet:
    # Keyed on the settings' values so a test that overrides them gets a matching cipher.
    return _cipher_for(settings.ENCRYPTION_KEY or "", settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _cipher().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured("A webhook secret cannot be decrypted: was ENCRYPTION_KEY changed?") from exc
