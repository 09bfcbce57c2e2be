# ruff: noqa
from shop.models import Order, OrderManager


def test_order_total():
    order = Order(1, 1, "open", 10)
    order.total


def test_manager_stats():
    manager = OrderManager(None, {}, None, None, None, None, {})
    manager.stats()


def test_validate():
    order = Order(2, 1, "open", 5)
    assert (order.total > 0, "positive")
