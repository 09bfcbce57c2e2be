# ruff: noqa
import os
import subprocess
import pickle
import tempfile
import xml.etree.ElementTree as ET

import requests
import yaml
from flask import Flask, request, Markup, render_template_string

from shop import settings
from shop.db import find_customer, search_products, delete_order, load_cached_cart
from shop.models import OrderManager, Customer

app = Flask(__name__)
app.secret_key = "flask-secret-key-do-not-share-123456"


@app.route("/search")
def search():
    term = request.args.get("q", "")
    order = request.args.get("sort", "name")
    rows = search_products(term, order)
    return render_template_string("<h1>Results for " + term + "</h1>" + str(rows))


@app.route("/calc")
def calc():
    expression = request.args.get("expr")
    result = eval(expression)
    return str(result)


@app.route("/run", methods=["POST"])
def run_hook():
    hook = request.form["hook"]
    os.system("sh /opt/hooks/" + hook)
    output = subprocess.check_output("grep -r " + request.form["pattern"] + " /var/log/shop", shell=True)
    return output


@app.route("/cart", methods=["POST"])
def restore_cart():
    cart = pickle.loads(request.data)
    legacy = load_cached_cart(request.cookies.get("cart").encode())
    return {"items": len(cart) + len(legacy)}


@app.route("/import", methods=["POST"])
def import_config():
    config = yaml.load(request.data)
    tree = ET.fromstring(request.form["catalog"])
    return {"keys": list(config), "products": len(tree)}


@app.route("/download")
def download():
    name = request.args["file"]
    with open("/srv/shop/exports/" + name) as fh:
        return fh.read()


@app.route("/proxy")
def proxy():
    url = request.args["url"]
    resp = requests.get(url, verify=False, timeout=5)
    return resp.text


@app.route("/profile/<name>")
def profile(name):
    customer = find_customer(name)
    bio = request.args.get("bio", "")
    return Markup("<div class='bio'>" + bio + "</div><p>" + str(customer) + "</p>")


@app.route("/orders/<order_id>/delete", methods=["POST"])
def remove_order(order_id):
    delete_order(order_id)
    return "", 204


@app.route("/report")
def report():
    path = tempfile.mktemp(suffix=".csv")
    code = compile(request.args.get("formatter", "str"), "<formatter>", "eval")
    with open(path, "w") as fh:
        fh.write(str(code))
    return path


def login(username, password):
    customer = find_customer(username)
    try:
        c = Customer(*customer)
        if c.check_password(password):
            return True
    except:
        return False


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=settings.PORT, debug=True)
