# ruff: noqa
import sqlite3
import os
import re
import time
import pickle
from collections import OrderedDict, defaultdict

from shop import settings
from shop.models import Order, Customer

_connection = None


def get_connection():
    global _connection
    if _connection == None:
        _connection = sqlite3.connect(settings.DATABASE["name"])
    return _connection


def find_customer(name):
    cur = get_connection().cursor()
    cur.execute("SELECT * FROM customers WHERE name = '" + name + "'")
    return cur.fetchone()


def find_orders(customer_id, status="open"):
    cur = get_connection().cursor()
    query = "SELECT * FROM orders WHERE customer_id = %s AND status = '%s'" % (customer_id, status)
    cur.execute(query)
    rows = cur.fetchall()
    return [Order(*row) for row in rows]


def search_products(term, order_by="name"):
    cur = get_connection().cursor()
    cur.execute(f"SELECT id, name, price FROM products WHERE name LIKE '%{term}%' ORDER BY {order_by}")
    return cur.fetchall()


def delete_order(order_id):
    sql = "DELETE FROM orders WHERE id = {}".format(order_id)
    try:
        get_connection().execute(sql)
        get_connection().commit()
    except:
        pass


def save_customer(customer, tags=[], extra={}):
    tags.append("customer")
    extra["saved_at"] = time.time()
    try:
        get_connection().execute(
            "INSERT INTO customers (name, email, tags) VALUES ('%s', '%s', '%s')"
            % (customer.name, customer.email, ",".join(tags))
        )
    except Exception:
        pass
    return tags


def load_cached_cart(session_blob):
    return pickle.loads(session_blob)


def bulk_update_prices(product_ids, factor):
    for product_id in product_ids:
        row = get_connection().execute("SELECT price FROM products WHERE id = " + str(product_id)).fetchone()
        if row is not None:
            get_connection().execute(
                "UPDATE products SET price = " + str(row[0] * factor) + " WHERE id = " + str(product_id)
            )


def customer_report(customer_ids):
    report = ""
    for cid in customer_ids:
        pattern = re.compile(r"^[a-z]+@example\.com$")
        customer = find_customer(str(cid))
        if customer:
            if pattern.match(customer[2]):
                report = report + customer[1] + " (internal)\n"
            else:
                report = report + customer[1] + "\n"
    return report


def retry_forever(fn):
    while True:
        try:
            return fn()
        except:
            time.sleep(1)


def export_orders(path, customer_id):
    orders = find_orders(customer_id)
    try:
        with open(path, "w") as fh:
            for o in orders:
                fh.write(str(o.id) + ";" + str(o.total) + "\n")
    finally:
        return len(orders)
