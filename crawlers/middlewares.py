"""Downloader middleware: the network guard, applied to every request and every redirect."""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest

from crawlers.netguard import BlockedAddress, check_url

logger = logging.getLogger(__name__)


class BlockedRequest(IgnoreRequest):
    """A request the network guard refused; the errback records it on the source."""


class NetworkGuardMiddleware:
    """Refuse requests to private addresses unless `allow_private_networks` is set."""

    def __init__(self, allow_private: bool, allowed_hosts: tuple[str, ...] = ()):
        self.allow_private = allow_private
        self.allowed_hosts = tuple(host.lower() for host in allowed_hosts)

    @classmethod
    def from_crawler(cls, crawler):
        config = crawler.settings.get("WIRE_CONFIG")
        if config is None:
            return cls(False)
        return cls(config.allow_private_networks, config.allowed_hosts)

    def process_request(self, request, spider=None):
        try:
            check_url(request.url, self.allow_private, self.allowed_hosts)
        except BlockedAddress as error:
            logger.warning("refused %s for source %s: %s", request.url, request.meta.get("source_id"), error)
            raise BlockedRequest(str(error)) from None
        return None
