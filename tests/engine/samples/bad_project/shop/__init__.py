# ruff: noqa
"""Tiny shop back end."""
from shop.settings import *
from shop.views import app

VERSION = "0.3"
