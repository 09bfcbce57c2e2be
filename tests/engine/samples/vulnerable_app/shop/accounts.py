"""Accounts: weak password hashing, predictable tokens, no TLS or JWT verification."""

import hashlib
import random
import string

import jwt
import requests


def set_password(user, password):
    user.password_hash = hashlib.md5(password.encode()).hexdigest()  # expect: weak-crypto vulnerability


def reset_token(user):
    token = "".join(random.choice(string.ascii_letters) for _ in range(32))  # expect: insecure-random vulnerability
    user.reset_token = token
    return token


def profile(url):
    return requests.get(url, verify=False, timeout=5)  # expect: insecure-tls vulnerability


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})  # expect: jwt-verification-disabled vulnerability
