"""The same views as shop.views, through the safe helpers."""

from flask import Flask, request

from shop.safe import helpers

app = Flask(__name__)


@app.route("/safe/run")
def run_hook():
    return helpers.run(request.args["hook"])


@app.route("/safe/search")
def search():
    return helpers.find_products(request.args["q"])


@app.route("/safe/calc")
def calc():
    return str(helpers.calculate(request.form["expr"]))


@app.route("/safe/cart", methods=["POST"])
def cart():
    return helpers.restore(request.data)


@app.route("/safe/catalog", methods=["POST"])
def catalog():
    return helpers.read_catalog(request.get_data())


@app.route("/safe/bio")
def bio():
    return helpers.highlight(request.args["bio"])


@app.route("/safe/download")
def download():
    return helpers.read_file(request.args["file"])


@app.route("/safe/preview")
def preview():
    return helpers.fetch(request.args["id"]).text
