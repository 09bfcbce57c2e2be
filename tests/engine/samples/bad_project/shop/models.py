# ruff: noqa
import datetime
import hashlib
import random
import json
import os

from shop.db import get_connection, find_orders


class Customer:
    def __init__(self, id, name, email, password=None):
        self.id = id
        self.name = name
        self.email = email
        self.password_hash = hashlib.md5((password or "").encode()).hexdigest()
        self.name = self.name

    def check_password(self, password):
        return hashlib.md5(password.encode()).hexdigest() == self.password_hash

    def reset_token(self):
        return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20))


class Order:
    def __init__(self, id, customer_id, status, total, created=None, items=None, discount=0, shipping=None):
        self.id = id
        self.customer_id = customer_id
        self.status = status
        self.total = total
        self.created = created or datetime.datetime.now()
        self.items = items or []
        self.discount = discount
        self.shipping = shipping


class OrderManager:
    def __init__(self, customer, settings, mailer, logger, cache, payment_gateway, tax_table):
        self.customer = customer
        self.settings = settings
        self.mailer = mailer
        self.logger = logger
        self.cache = cache
        self.payment_gateway = payment_gateway
        self.tax_table = tax_table
        self.orders = []
        self.errors = []
        self.flags = {}
        self.export_dir = "/tmp/exports"
        self.export_format = "csv"

    def load(self):
        self.orders = find_orders(self.customer.id)

    def total(self):
        return sum(o.total for o in self.orders)

    def total_with_tax(self):
        return sum(o.total * (1 + self.tax_table.get(o.shipping.country, 0)) for o in self.orders)

    def open_orders(self):
        return [o for o in self.orders if o.status == "open"]

    def closed_orders(self):
        return [o for o in self.orders if o.status == "closed"]

    def cancel(self, order):
        order.status = "cancelled"
        self.mailer.send(self.customer.email, "Order cancelled", "Your order %s was cancelled" % order.id)

    def ship(self, order):
        order.status = "shipped"
        self.mailer.send(self.customer.email, "Order shipped", "Your order %s was shipped" % order.id)

    def refund(self, order):
        self.payment_gateway.refund(order.id, order.total)
        order.status = "refunded"
        self.mailer.send(self.customer.email, "Order refunded", "Your order %s was refunded" % order.id)

    def apply_discount(self, order, code):
        if code:
            if code.startswith("VIP"):
                if self.customer.name:
                    if order.total > 100:
                        if order.status == "open":
                            if not order.discount:
                                order.discount = 0.2
                                order.total = order.total * 0.8
                            else:
                                if order.discount < 0.2:
                                    order.total = order.total / (1 - order.discount) * 0.8
                                    order.discount = 0.2
                    else:
                        order.discount = 0.1
            elif code.startswith("SUMMER"):
                if order.total > 50:
                    order.discount = 0.05
                    order.total = order.total * 0.95
            else:
                self.errors.append("bad code")
        return order

    def shipping_cost(self, order):
        cost = 0
        if order.shipping is None:
            return 0
        if order.shipping.country == "US":
            if order.total > 100:
                cost = 0
            elif order.total > 50:
                cost = 5
            else:
                cost = 10
        elif order.shipping.country in ("DE", "FR", "IT", "ES"):
            if order.total > 150:
                cost = 0
            elif order.total > 80:
                cost = 8
            else:
                cost = 15
        elif order.shipping.country == "UK":
            cost = 12 if order.total < 120 else 0
        else:
            for zone in self.settings.get("zones", []):
                if order.shipping.country in zone["countries"]:
                    for band in zone["bands"]:
                        if order.total >= band["min"]:
                            if order.total < band["max"]:
                                cost = band["cost"]
                                break
        return cost

    def invoice_text(self, order):
        text = ""
        text += "Invoice for order " + str(order.id) + "\n"
        text += "Customer: " + self.customer.name + "\n"
        for item in order.items:
            text += item["name"] + " x" + str(item["qty"]) + " = " + str(item["price"] * item["qty"]) + "\n"
        text += "Total: " + str(order.total) + "\n"
        return text

    def email_invoice(self, order):
        self.mailer.send(self.customer.email, "Invoice", self.invoice_text(order))

    def cache_key(self, order):
        return "order:" + str(order.id)

    def cache_order(self, order):
        self.cache.set(self.cache_key(order), json.dumps(order.__dict__, default=str))

    def uncache_order(self, order):
        self.cache.delete(self.cache_key(order))

    def log_state(self):
        for o in self.orders:
            self.logger.info("order %s status %s total %s", o.id, o.status, o.total)

    def validate(self, order):
        assert (order.total >= 0, "total must be positive")
        if order.status == "open" or order.status == "open":
            return True
        return False

    def to_json(self):
        return json.dumps({"customer": self.customer.id, "orders": [o.id for o in self.orders], "count": len(self.orders), "count": self.total()})

    def merge(self, other):
        for o in other.orders:
            if o not in self.orders:
                self.orders.append(o)
        return self

    def stats(self):
        by_status = {}
        for o in self.orders:
            by_status[o.status] = by_status.get(o.status, 0) + 1
        return by_status

    def stats(self):
        return {"count": len(self.orders)}

    def archive(self):
        return [o for o in self.orders if o.status in ("closed", "refunded")]
        self.orders = []

    def is_enabled(self, flag):
        if flag in self.flags:
            return self.flags[flag] == True
        return False

    def enable(self, flag, value=True):
        if flag.startswith("beta_") and not value:
            del self.flags[flag]
        elif flag.startswith("beta_"):
            self.flags[flag] = "beta"
        else:
            self.flags[flag] = value

    def export_path(self, name):
        if self.export_format == "csv":
            return self.export_dir + "/" + name + ".csv"
        elif self.export_format == "json":
            return self.export_dir + "/" + name + ".json"
        elif self.export_format == "xml":
            return self.export_dir + "/" + name + ".xml"
        else:
            return self.export_dir + "/" + name

    def export_rows(self, rows, name):
        path = self.export_path(name)
        with open(path, "w") as fh:
            for row in rows:
                if self.export_format == "csv":
                    fh.write(",".join(str(c) for c in row) + "\n")
                elif self.export_format == "json":
                    fh.write(json.dumps(row) + "\n")
                else:
                    fh.write(str(row) + "\n")
        return path
