"""Safe twins of shop.wrappers: the same jobs without letting the value change their meaning."""

import ast
import json
import shlex
import sqlite3
import subprocess

import defusedxml.ElementTree as DET
import requests
from markupsafe import Markup, escape
from werkzeug.utils import safe_join

ALLOWED_HOSTS = {"api.example.com"}


def run(command):
    return subprocess.run(["sh", "-c", "ls " + shlex.quote(command)], check=False)


def find_products(name):
    cursor = sqlite3.connect("shop.db").cursor()
    return cursor.execute("SELECT * FROM products WHERE name = ?", (name,))


def calculate(expression):
    return ast.literal_eval(expression)


def restore(blob):
    return json.loads(blob)


def read_catalog(document):
    return DET.fromstring(document)


def highlight(text):
    return Markup("<b>%s</b>") % escape(text)


def read_file(name):
    path = safe_join("/srv/files", name)
    with open(path) as fh:
        return fh.read()


def fetch(item_id):
    return requests.get(f"https://api.example.com/items/{int(item_id)}", timeout=5)
