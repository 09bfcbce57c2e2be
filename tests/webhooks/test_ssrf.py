"""SSRF protection: refused at creation (400 with the envelope) and again at delivery time."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tests.webhooks.helpers import create_endpoint
from webhooks import netguard, services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

URL = "/api/v1/customer-webhooks"


@pytest.fixture
def fake_dns(monkeypatch):
    """Answers chosen names with chosen addresses (the outside world's DNS); others resolve normally."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            out = []
            for address in answers[host]:
                if ipaddress.ip_address(address).version == 6:
                    out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port or 0, 0, 0)))
                else:
                    out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0)))
            return out
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/hook",
        "http://localhost:8000/hook",  # a name that resolves to loopback
        "http://[::ffff:10.0.0.1]/hook",  # IPv4-mapped IPv6
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",  # AWS IMDS over IPv6 (unique local)
        "http://[fe80::1]/",
        "http://192.168.1.10/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "ftp://93.184.216.34/hook",
        "file:///etc/passwd",
    ],
)
def test_create_refuses_non_public_targets(owner, url):
    response = owner.client.post(URL, {"name": "x", "url": url, "events": ["analysis.completed"]}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR"
    assert "url" in body["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_create_accepts_a_public_address(owner):
    response = owner.client.post(
        URL, {"name": "x", "url": "https://93.184.216.34/hook", "events": ["analysis.completed"]}, format="json"
    )
    assert response.status_code == 201, response.json()


def test_hostname_resolving_to_a_private_address_is_refused(owner, fake_dns):
    fake_dns["internal.example.com"] = ["10.1.2.3"]
    response = owner.client.post(
        URL, {"name": "x", "url": "https://internal.example.com/hook", "events": ["analysis.completed"]}, format="json"
    )
    assert response.status_code == 400
    assert "10.1.2.3" in response.json()["fields"]["url"][0]


def test_every_resolved_address_must_be_public(fake_dns):
    fake_dns["mixed.example.com"] = ["93.184.216.34", "127.0.0.1"]
    with pytest.raises(netguard.UnsafeTarget):
        netguard.vet_url("https://mixed.example.com/")


def test_update_to_a_private_url_is_refused(owner, fake_dns):
    fake_dns["hooks.example.com"] = ["93.184.216.34"]
    endpoint, _ = create_endpoint(owner.organization, "https://hooks.example.com/in")
    response = owner.client.patch(f"{URL}/{endpoint.pk}", {"url": "http://10.0.0.1/in"}, format="json")
    assert response.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/in"


def test_dns_rebinding_is_refused_at_delivery_time(org, receiver, fake_dns):
    fake_dns["rebind.example.com"] = ["93.184.216.34"]
    create_endpoint(org, f"http://rebind.example.com:{receiver.port}/hook")
    fake_dns["rebind.example.com"] = ["127.0.0.1"]
    [delivery_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={})

    assert services.delivery_attempt(delivery_id=delivery_id) == DeliveryStatus.PENDING

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.error.startswith("Refused target")
    assert receiver.requests == []


def test_delivery_connects_to_the_vetted_address_with_the_original_host(org, receiver, fake_dns, settings):
    # The name is allowlisted and resolves (once, in the check) to the receiver's address; the
    # request must go to that address: the name itself does not resolve anywhere else.
    settings.WEBHOOKS_ALLOWED_HOSTS = ["hooks.internal.test"]
    fake_dns["hooks.internal.test"] = ["127.0.0.1"]
    create_endpoint(org, f"http://hooks.internal.test:{receiver.port}/hook")
    [delivery_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={})

    assert services.delivery_attempt(delivery_id=delivery_id) == DeliveryStatus.SUCCEEDED

    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.internal.test:{receiver.port}"
    assert WebhookDelivery.objects.get(pk=delivery_id).attempt_log.get().remote_ip == "127.0.0.1"


def test_cidr_allowlist_allows_only_its_range(settings):
    settings.WEBHOOKS_ALLOWED_HOSTS = ["127.0.0.1/32"]
    assert netguard.vet_url("http://127.0.0.1:9/x").address == "127.0.0.1"
    with pytest.raises(netguard.UnsafeTarget):
        netguard.vet_url("http://10.0.0.1/x")


def test_production_ignores_the_development_escape_hatches(settings):
    settings.PRODUCTION = True
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_ALLOWED_HOSTS = ["127.0.0.0/8"]
    with pytest.raises(netguard.UnsafeTarget):
        netguard.vet_url("http://127.0.0.1/x")


def test_private_targets_are_refused_unless_explicitly_allowed(settings):
    assert settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS is False
    with pytest.raises(netguard.UnsafeTarget):
        netguard.vet_url("http://127.0.0.1/x")
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert netguard.vet_url("http://127.0.0.1/x").address == "127.0.0.1"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("2002:0a00:0001::1", False),  # 6to4 wrapping 10.0.0.1
        ("169.254.169.254", False),
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("198.18.0.1", False),
        ("::", False),
    ],
)
def test_public_address_classification(address, public):
    assert netguard.is_public_address(ipaddress.ip_address(address)) is public


def _self_signed(hostname: str, tmp_path):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.mark.parametrize(("url_host", "ok"), [("hooks.internal.test", True), ("other.internal.test", False)])
def test_https_delivery_to_the_vetted_address_checks_the_certificate_of_the_url_host(
    org, receiver, fake_dns, settings, monkeypatch, tmp_path, url_host, ok
):
    import ssl

    cert_file, key_file = _self_signed("hooks.internal.test", tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_file, key_file)
    receiver.server.socket = server_ctx.wrap_socket(receiver.server.socket, server_side=True)
    client_ctx = ssl.create_default_context(cafile=str(cert_file))
    monkeypatch.setattr(services, "_ssl_context", lambda: client_ctx)
    settings.WEBHOOKS_ALLOWED_HOSTS = ["127.0.0.1/32"]
    fake_dns[url_host] = ["127.0.0.1"]
    create_endpoint(org, f"https://{url_host}:{receiver.port}/hook")
    [delivery_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={})

    status = services.delivery_attempt(delivery_id=delivery_id)

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    if ok:
        assert status == DeliveryStatus.SUCCEEDED, delivery.error
        assert receiver.requests[0].headers["host"] == f"{url_host}:{receiver.port}"
    else:
        # The certificate names another host: refused, whatever address the name resolved to.
        assert status == DeliveryStatus.PENDING
        assert "certificate" in delivery.error.lower() or "ssl" in delivery.error.lower()
        assert receiver.requests == []
