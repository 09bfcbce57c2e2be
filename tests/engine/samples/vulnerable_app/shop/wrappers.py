"""The shop's own helpers: each passes its parameter to a sink (a sink for their callers)."""

import os
import pickle
import sqlite3
import xml.etree.ElementTree as ET

import requests
from markupsafe import Markup


def run(command):
    return os.system(command)  # expect: command-injection vulnerability


def shell(command):
    return run("sh -c " + command)


def find_products(name):
    cursor = sqlite3.connect("shop.db").cursor()
    return cursor.execute("SELECT * FROM products WHERE name = '%s'" % name)  # expect: sql-injection vulnerability


def calculate(expression):
    return eval(expression)  # expect: code-injection vulnerability


def restore(blob):
    return pickle.loads(blob)  # expect: unsafe-deserialization vulnerability


def read_catalog(document):
    return ET.fromstring(document)  # expect: xxe vulnerability


def highlight(text):
    return Markup("<b>%s</b>" % text)  # expect: xss vulnerability


def read_file(name):
    with open(os.path.join("/srv/files", name)) as fh:  # expect: path-traversal vulnerability
        return fh.read()


def fetch(url):
    return requests.get(url, timeout=5)  # expect: ssrf vulnerability
