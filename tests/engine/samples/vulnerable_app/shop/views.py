"""Views: request data handed to the helpers, in this module and through others."""

import subprocess

from flask import Flask, request

from shop import wrappers
from shop.inputs import search_term, uploaded_document
from shop.wrappers import calculate, fetch, find_products, highlight, read_catalog, read_file, restore, shell

app = Flask(__name__)


@app.route("/grep")
def grep():
    pattern = request.args["pattern"]
    return subprocess.check_output("grep -r " + pattern + " /var/log", shell=True)  # expect: command-injection vulnerability


@app.route("/run")
def run_hook():
    return shell(request.args["hook"])


@app.route("/search")
def search():
    return find_products(search_term())


@app.route("/calc")
def calc():
    return str(calculate(request.form["expr"]))


@app.route("/cart", methods=["POST"])
def cart():
    return restore(request.data)


@app.route("/catalog", methods=["POST"])
def catalog():
    return read_catalog(uploaded_document())


@app.route("/bio")
def bio():
    return highlight(request.args["bio"])


@app.route("/download")
def download():
    return wrappers.read_file(request.args["file"]) + read_file(request.args["other"])


@app.route("/preview")
def preview():
    return fetch(request.args["url"]).text
