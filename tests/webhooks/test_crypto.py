"""Secrets at rest: Fernet keyed from ENCRYPTION_KEY, with key rotation and a loud dev fallback."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from webhooks import crypto


def test_a_fernet_key_is_used_as_is(settings):
    key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEY = key
    token = crypto.encrypt("whsec_abc")
    assert Fernet(key.encode()).decrypt(token.encode()) == b"whsec_abc"


def test_a_passphrase_is_derived_into_a_key(settings):
    settings.ENCRYPTION_KEY = "correct horse battery staple"
    token = crypto.encrypt("whsec_abc")
    assert "whsec_abc" not in token
    assert crypto.decrypt(token) == "whsec_abc"


def test_key_rotation_keeps_old_tokens_readable(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEY = old
    token = crypto.encrypt("whsec_abc")
    settings.ENCRYPTION_KEY = f"{new},{old}"
    assert crypto.decrypt(token) == "whsec_abc"
    assert Fernet(new.encode()).decrypt(crypto.encrypt("x").encode()) == b"x"
    settings.ENCRYPTION_KEY = new
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(token)


def test_without_a_key_development_derives_one_and_warns(settings, caplog):
    settings.ENCRYPTION_KEY = ""
    settings.SECRET_KEY = "a-fresh-secret-key-for-this-test"
    with caplog.at_level(logging.WARNING, logger="repotoire.webhooks"):
        assert crypto.decrypt(crypto.encrypt("whsec_abc")) == "whsec_abc"
    assert "ENCRYPTION_KEY is not set" in caplog.text


def test_production_never_falls_back(settings):
    settings.ENCRYPTION_KEY = ""
    settings.PRODUCTION = True
    settings.SECRET_KEY = "another-secret-key-for-the-production-test"
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("whsec_abc")
