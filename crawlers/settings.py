"""Scrapy settings for Solidarity Wire: polite by default, every value derived from wire.toml.

`scrapy crawl feeds` from the repository root reads this module; `wire crawl` builds the
same settings from its own configuration with `settings_for(config)`.
"""

from __future__ import annotations

from scrapy.settings import default_settings

from aggregator.config import Config, load_config

BOT_NAME = "solidarity-wire"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"


# Scrapy renamed two settings; the old names warn on new versions and the new ones mean nothing on old ones.
_DNS_RESOLVER = "TWISTED_DNS_RESOLVER" if hasattr(default_settings, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"


def _jitter(share: float) -> dict:
    if hasattr(default_settings, "DOWNLOAD_DELAY_JITTER"):
        return {"DOWNLOAD_DELAY_JITTER": share}
    return {"RANDOMIZE_DOWNLOAD_DELAY": share > 0}


def settings_for(config: Config) -> dict:
    """The Scrapy settings that follow from the configuration."""
    return {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "NEWSPIDER_MODULE": NEWSPIDER_MODULE,
        # -- who we are: partners can find us and ask us to slow down
        "USER_AGENT": f"SolidarityWire/0.1 (+{config.contact_url})",
        "ROBOTSTXT_OBEY": True,
        # -- politeness: small volunteer sites must never feel us
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": config.crawl_per_host,
        "DOWNLOAD_DELAY": config.crawl_delay,
        **_jitter(0.5 if config.crawl_delay > 0 else 0.0),  # ±50% around the delay, as browsers vary
        "AUTOTHROTTLE_ENABLED": config.crawl_delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(config.crawl_delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(config.crawl_per_host),
        # -- limits: one hostile or broken source must not harm the host or the crawl
        "DOWNLOAD_TIMEOUT": config.crawl_timeout,
        "DOWNLOAD_MAXSIZE": config.max_response_bytes,  # also caps decompressed size (gzip bombs)
        "DOWNLOAD_WARNSIZE": config.max_response_bytes // 2,
        "REDIRECT_MAX_TIMES": 5,
        "RETRY_ENABLED": False,  # the polling schedule retries, with backoff; no burst of retries
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "DNS_TIMEOUT": 20,
        _DNS_RESOLVER: "crawlers.resolver.GuardedResolver",  # private addresses refused at connection time
        # -- our components, in order
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.NetworkGuardMiddleware": 50,  # before robots.txt and everything else
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,  # replaced by ours:
            "crawlers.middlewares.RobotsTxtMiddleware": 100,  # same place, every waiting request checked
        },
        # Scrapy starts CONCURRENT_ITEMS worker tasks for every response (100 by default) to run
        # asynchronous pipelines side by side; ours stores each item synchronously, so one is
        # enough: 100 tasks per response were ~1.5 s of CPU in an unchanged re-crawl of 1,000 feeds
        "CONCURRENT_ITEMS": 1,
        "ITEM_PIPELINES": {
            "crawlers.pipelines.StoragePipeline": 500,  # normalise -> validate -> store
        },
        "WIRE_CONFIG": config,
        "LOG_LEVEL": "WARNING",  # `wire crawl` shows Scrapy's lines only with -v (wire/cli/__init__.py)
        "LOG_INSTALL_ROOT_HANDLER": False,  # the `wire` CLI configures logging itself
        "FEED_EXPORT_ENCODING": "utf-8",
    }


globals().update({key: value for key, value in settings_for(load_config()).items()})
