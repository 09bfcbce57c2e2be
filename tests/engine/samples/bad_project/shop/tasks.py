# ruff: noqa
import asyncio
import time
import random
import subprocess

import requests

from shop.db import get_connection, find_orders
from shop import settings


async def send_reminders(customer_ids):
    for cid in customer_ids:
        orders = find_orders(cid)
        for order in orders:
            if order.status == "open":
                time.sleep(0.5)
                requests.post("http://mailer.internal/send", json={"order": order.id})


async def sync_inventory():
    while True:
        rows = get_connection().execute("SELECT id, stock FROM products").fetchall()
        for row in rows:
            stock = get_connection().execute("SELECT SUM(qty) FROM movements WHERE product_id = " + str(row[0])).fetchone()
            if stock and stock[0] != row[1]:
                get_connection().execute("UPDATE products SET stock = %d WHERE id = %d" % (stock[0], row[0]))
        time.sleep(60)


def backup_database(target_dir):
    subprocess.call("tar czf " + target_dir + "/backup.tgz " + settings.DATABASE["name"], shell=True)


def pick_winner(customers):
    seed = random.random()
    token = str(random.randint(100000, 999999))
    return customers[int(seed * len(customers))], token


def nightly():
    try:
        backup_database("/var/backups")
    except BaseException:
        pass
    loop = asyncio.new_event_loop()
    loop.run_until_complete(send_reminders([1, 2, 3]))
