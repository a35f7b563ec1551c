"""A DNS resolver that refuses private addresses at connection time.

The downloader middleware checks each URL before it is requested, but a host name can
resolve to a public address for that check and to 127.0.0.1 a moment later, when the
connection is made (DNS rebinding). Scrapy connects to the address its resolver returns,
so checking that address here closes the gap: what is checked is what is connected to.
"""

from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawlers.netguard import is_public_address


class PrivateAddressRefused(DNSLookupError):
    """The host resolved to a loopback, private or reserved address."""


#: host name -> why it was refused. Twisted's hostname endpoint reports a refused lookup as
#: "no results for hostname lookup" and drops our reason; the spider looks it up here.
REFUSED: dict[str, str] = {}


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's default resolver, refusing non-public answers unless `allow_private_networks` is set."""

    allow_private = False

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        config = crawler.settings.get("WIRE_CONFIG")
        resolver.allow_private = bool(config and config.allow_private_networks)
        return resolver

    def getHostByName(self, name, timeout=()):
        deferred = super().getHostByName(name, timeout)
        if self.allow_private:
            return deferred

        def check(address: str) -> str:
            if not is_public_address(address):
                REFUSED[name] = (
                    f"{name} resolves to {address}, a loopback/private/reserved address; refused "
                    f"(set allow_private_networks only for the demo and tests)"
                )
                raise PrivateAddressRefused(REFUSED[name])
            return address

        return deferred.addCallback(check)
