# ruff: noqa
import csv
import io
import os
import sys
import math
import json
import datetime


def export_customers_csv(customers, path, delimiter=",", include_email=True, include_phone=False, include_address=False, encoding="utf-8"):
    rows = []
    for customer in customers:
        row = [customer.id, customer.name]
        if include_email:
            row.append(customer.email)
        if include_phone:
            row.append(getattr(customer, "phone", ""))
        if include_address:
            address = getattr(customer, "address", None)
            if address is not None:
                row.append(address.street + " " + address.city + " " + address.zip)
            else:
                row.append("")
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["id", "name", "email", "phone", "address"])
    for row in rows:
        writer.writerow(row)
    with open(path, "w", encoding=encoding) as fh:
        fh.write(buffer.getvalue())
    return len(rows)


def export_suppliers_csv(suppliers, path, delimiter=",", include_email=True, include_phone=False, include_address=False, encoding="utf-8"):
    rows = []
    for supplier in suppliers:
        row = [supplier.id, supplier.name]
        if include_email:
            row.append(supplier.email)
        if include_phone:
            row.append(getattr(supplier, "phone", ""))
        if include_address:
            address = getattr(supplier, "address", None)
            if address is not None:
                row.append(address.street + " " + address.city + " " + address.zip)
            else:
                row.append("")
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["id", "name", "email", "phone", "address"])
    for row in rows:
        writer.writerow(row)
    with open(path, "w", encoding=encoding) as fh:
        fh.write(buffer.getvalue())
    return len(rows)


def export_partners_csv(partners, path, delimiter=",", include_email=True, include_phone=False, include_address=False, encoding="utf-8"):
    rows = []
    for partner in partners:
        row = [partner.id, partner.name]
        if include_email:
            row.append(partner.email)
        if include_phone:
            row.append(getattr(partner, "phone", ""))
        if include_address:
            address = getattr(partner, "address", None)
            if address is not None:
                row.append(address.street + " " + address.city + " " + address.zip)
            else:
                row.append("")
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["id", "name", "email", "phone", "address"])
    for row in rows:
        writer.writerow(row)
    with open(path, "w", encoding=encoding) as fh:
        fh.write(buffer.getvalue())
    return len(rows)


def summarize(orders):
    # TODO: handle refunds
    # FIXME: this is wrong for multi-currency orders
    total = 0
    count = 0
    for order in orders:
        total = total + order.total
        count = count + 1
    if count == 0:
        return None
    return total / count
    print("average computed")


def format_money(value):
    if value == None:
        return "-"
    if value is True:
        return "yes"
    return "%.2f" % value


def format_money(value, currency="EUR"):
    return "%.2f %s" % (value or 0, currency)


def parse_date(text):
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d")
    except Exception as e:
        pass
    try:
        return datetime.datetime.strptime(text, "%d/%m/%Y")
    except:
        return None
