# ruff: noqa
import os
import sys
import json
import logging

DEBUG = True
SECRET_KEY = "django-insecure-9x!k2@v#p$w8z&q7r%t6y^u5i*o4"
ALLOWED_HOSTS = ["*"]

DATABASE = {
    "name": "shop.db",
    "user": "admin",
    "password": "Sup3rS3cretPassw0rd!2019",
}

AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
STRIPE_API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc8Rt0"
GITHUB_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
api_token = "a8f5f167f44f4964e6c998dee827110c3f9d1b2e"

HOST = "0.0.0.0"
PORT = 8000

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

LOG = logging.getLogger("shop")
