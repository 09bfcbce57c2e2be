"""Safe twins of shop.accounts and shop.settings: hashes and randomness not used for secrets,
verification switched off only on an explicit option, secrets read from the environment."""

import hashlib
import os
import random
import secrets
import ssl
import time

import requests

SECRET_KEY = os.environ["SECRET_KEY"]


def set_password(user, password):
    user.password_hash = hashlib.scrypt(password.encode(), salt=os.urandom(16), n=2**14, r=8, p=1).hex()


def etag(body):
    return hashlib.md5(body).hexdigest()


def cache_key(url):
    return "page:" + hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()


def reset_token(user):
    user.reset_token = secrets.token_urlsafe(32)


def retry(call, attempts=3):
    for attempt in range(attempts):
        try:
            return call()
        except OSError:
            time.sleep(random.uniform(0, 2**attempt))
    return None


def profile(url, verify_certs=True):
    if not verify_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return requests.get(url, timeout=5)


def documented():
    """Configure the client like this::

    client = Client(aws_access_key_id="AKIAQ3EGUTR4ZKJ7WXYP")
    """
