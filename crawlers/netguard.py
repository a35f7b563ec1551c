"""Refuse requests to loopback, private, link-local, multicast and reserved addresses. Pure but for DNS.

The partner portal feeds user-supplied URLs into the crawler, so without this guard
anyone could make us fetch our own admin pages or a cloud metadata service (SSRF).
The check runs on every request, redirects included. In the crawler, addresses that
host names resolve to are checked by its resolver when it connects (`crawlers/resolver.py`);
elsewhere (feed discovery) `checked_address` resolves the name once and returns the address
to connect to, so that no second lookup can answer differently (DNS rebinding).
`allow_private_networks` lifts the check for the demo and the tests only.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class BlockedAddress(Exception):
    """A URL that resolves to an address we must not fetch; the message says which and why."""


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback or ip.is_private or ip.is_unspecified
    )


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to, in the resolver's order of preference."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise BlockedAddress(f"the host name {host!r} does not resolve ({reason})") from None
    # the address is a str for AF_INET and AF_INET6; typeshed also allows the (int, bytes) form
    # that CPython builds without IPv6 support return, which carries no address to check
    addresses = (info[4][0] for info in infos)
    return list(dict.fromkeys(address for address in addresses if isinstance(address, str)))


def check_url(url: str, allow_private: bool, allowed_hosts: tuple[str, ...] = (), resolve_names: bool = True) -> None:
    """Raise BlockedAddress unless `url` is http(s) to public addresses (or private ones are allowed).

    `allowed_hosts`, when not empty, is a closed list: the demo and the tests set it to
    127.0.0.1 so that a link in a real feed from the corpus never leaves the machine.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedAddress(f"only http and https are fetched, not {parts.scheme!r}")
    host = parts.hostname or ""
    if not host:
        raise BlockedAddress(f"no host in {url!r}")
    if allowed_hosts and host.lower() not in allowed_hosts:
        raise BlockedAddress(f"{host} is not in allowed_hosts ({', '.join(allowed_hosts)}); refused")
    if allow_private:
        return
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if not resolve_names:
            return  # the crawler's resolver checks the address it connects to (crawlers/resolver.py)
        addresses = resolve(host)
    for address in addresses:
        if not is_public_address(address):
            raise BlockedAddress(
                f"{host} resolves to {address}, a loopback/private/reserved address; refused "
                f"(set allow_private_networks only for the demo and tests)"
            )


def checked_addresses(url: str, allow_private: bool, allowed_hosts: tuple[str, ...] = ()) -> list[str]:
    """Check `url` as `check_url` does and return the addresses to connect to, in order of preference.

    The name is resolved here, once: connecting to these addresses (and never to the name)
    means that what was checked is what is connected to.
    """
    check_url(url, allow_private, allowed_hosts, resolve_names=False)  # scheme, host, allowed_hosts
    host = urlsplit(url).hostname or ""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = resolve(host)
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise BlockedAddress(
                    f"{host} resolves to {address}, a loopback/private/reserved address; refused "
                    f"(set allow_private_networks only for the demo and tests)"
                )
    return addresses
