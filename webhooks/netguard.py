"""SSRF protection for customer webhook URLs.

Only http(s) URLs; the host is resolved and *every* address must be public: loopback, private,
link-local (cloud metadata 169.254.169.254 included), multicast, reserved, unspecified, shared
(100.64/10) and the IPv4 addresses embedded in IPv6 (IPv4-mapped, 6to4, Teredo, NAT64) are
refused. The check runs when a URL is saved and again before every delivery, and the request
then connects to the vetted address (not to a second DNS answer), so DNS rebinding cannot
switch the target between check and use.

The same guard vets clone URLs (``analysis/sources.py``): ``literal_address`` reads every
spelling of a numeric host (``0x7f000001``, ``2130706433``, ``127.1``), ``public_addresses``
resolves a host and refuses it unless every address is public.

Development and tests may allow private targets (``WEBHOOKS_ALLOW_PRIVATE_TARGETS``) or allowlist
hosts and CIDRs (``WEBHOOKS_ALLOWED_HOSTS``, from ``REPOTOIRE_WEBHOOK_ALLOWED_HOSTS``); production
ignores both.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(Exception):
    """The URL may not be called: a bad scheme, an unresolvable host or a non-public address."""


@dataclass(frozen=True)
class Target:
    scheme: str
    hostname: str  # as written in the URL (IDNA-encoded), without brackets
    port: int
    address: str  # the vetted IP to connect to


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            # ::ffff:a.b.c.d is a plain IPv4 connection: judge the IPv4 address.
            return is_public_address(ip.ipv4_mapped)
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public_address(embedded):
            return False
        if ip.scope_id:
            return False
    if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return False
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return False
    return ip.is_global


def _allow_private() -> bool:
    return not settings.PRODUCTION and bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False))


def _allowlisted(hostname: str, ip: IPAddress) -> bool:
    if settings.PRODUCTION:
        return False
    for entry in getattr(settings, "WEBHOOKS_ALLOWED_HOSTS", []) or []:
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            if entry == hostname.lower():
                return True
    return False


def check_url_syntax(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"Invalid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget("Only http and https URLs are allowed")
    hostname = parts.hostname or ""
    if not hostname:
        raise UnsafeTarget("The URL has no host")
    try:
        hostname = hostname.encode("idna").decode("ascii") if not _is_ip_literal(hostname) else hostname
    except UnicodeError as exc:
        raise UnsafeTarget("The host name is not valid") from exc
    return scheme, hostname, port or (443 if scheme == "https" else 80)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resolve(hostname: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeTarget(f"The host {hostname} cannot be resolved") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        sockaddr = info[4]
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if info[0] == socket.AF_INET6 and len(sockaddr) == 4 and sockaddr[3]:
            # A zone id (fe80::1%eth0) only exists for link-local addresses: never public.
            raise UnsafeTarget(f"The host {hostname} resolves to a non-public address ({ip})")
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnsafeTarget(f"The host {hostname} cannot be resolved")
    return addresses


def literal_address(host: str) -> IPAddress | None:
    """The address a numeric host stands for, in any spelling the resolver accepts
    (``inet_aton``'s hex, octal, integer and short forms included); None for a name."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


def public_addresses(hostname: str, port: int) -> list[IPAddress]:
    """Every address ``hostname`` resolves to, when all are public; else UnsafeTarget."""
    addresses = resolve(hostname, port)
    for ip in addresses:
        if not is_public_address(ip):
            raise UnsafeTarget(f"The host {hostname} resolves to a non-public address ({ip})")
    return addresses


def vet_url(url: str) -> Target:
    """Resolve ``url``'s host and return the address to connect to, or raise UnsafeTarget.

    Every resolved address must pass, not just the first: otherwise a host answering with one
    public and one private address would pass the check and could be connected to either.
    """
    scheme, hostname, port = check_url_syntax(url)
    addresses = resolve(hostname, port)
    if not _allow_private():
        for ip in addresses:
            if not is_public_address(ip) and not _allowlisted(hostname, ip):
                raise UnsafeTarget(f"The host {hostname} resolves to a non-public address ({ip})")
    return Target(scheme=scheme, hostname=hostname, port=port, address=str(addresses[0]))
