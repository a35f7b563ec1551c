"""Downloader middlewares: the network guard on every request and redirect; robots.txt for every request."""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

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
            check_url(request.url, self.allow_private, self.allowed_hosts, resolve_names=False)
        except BlockedAddress as error:
            logger.warning("refused %s for source %s: %s", request.url, request.meta.get("source_id"), error)
            raise BlockedRequest(str(error)) from None
        return None


class OneLineRobotsErrors(logging.Filter):
    """Log a robots.txt that cannot be fetched as one warning line, not an ERROR with a traceback.

    Scrapy's middleware logs the failure with `exc_info`; the request then goes ahead (as
    if robots.txt allowed it) and fails on its own, where the spider's errback records it
    on the source in plain words. A traceback per unreachable host only buries that line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Error downloading"):
            record.msg = "robots.txt for %(request)s could not be fetched (%(f_exception)s)"
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every waiting request given the parsed rules.

    In Scrapy 2.13+ the requests that wait for a host's robots.txt all await one
    Deferred; the first to resume consumes its result and the others receive None, which
    the middleware reads as "no robots.txt": they were fetched even when disallowed
    (seen here: 8 of 10 feeds on one host skipped the check). Each waiter now gets its own
    Deferred fed from the shared one, leaving the shared result intact.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scrapy_logger = logging.getLogger(_ScrapyRobotsTxtMiddleware.__module__)
        if not any(isinstance(existing, OneLineRobotsErrors) for existing in scrapy_logger.filters):
            scrapy_logger.addFilter(OneLineRobotsErrors())

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            mine = Deferred()

            def relay(result):
                mine.callback(result)
                return result  # leave the result for the next waiter

            pending.addBoth(relay)
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)
