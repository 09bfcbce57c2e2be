"""Where request data enters."""

from flask import request


def search_term():
    return request.args.get("q", "")


def uploaded_document():
    return request.get_data()
