"""The web app: an app factory and one blueprint per audience (public, archive, subscribers).

Thin views: load, check, call the library, render or redirect. Static assets are
served by the app itself; no page loads anything from another host. Page strings come
from the same gettext catalogs as the e-mails (`newsletter/locales`) through Flask-Babel;
the page language is the reader's choice (`?lang=`), else `Accept-Language`, else English.
"""

from __future__ import annotations

import threading
from urllib.parse import urlencode

from flask import Flask, current_app, g, request
from flask_babel import Babel, Domain, get_locale

from aggregator.config import Config, load_config
from aggregator.db import open_db, utcnow
from aggregator.storage.app_secrets import get_or_create_secret
from newsletter import i18n

#: Every page: nothing from another host, never inside someone else's frame.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class CatalogDomain(Domain):
    """Flask-Babel reading the e-mails' catalogs, compiled in memory by `newsletter.i18n` (no .mo files)."""

    def get_translations(self):
        return i18n.translations(str(get_locale() or i18n.FALLBACK_LANGUAGE))


def get_db():
    """The request's database connection: its serving thread's own, opened on first use and kept.

    A connection opened per request paid its pragmas and started with an empty page cache, so every
    desk page read its indexes from disk pages again (2-7 ms of CPU on the inbox at 100,000 items).
    Kept per thread, as Flask apps commonly keep theirs: never shared between threads, and in
    autocommit between statements, so each read sees what other connections have committed.
    A request that fails or leaves a transaction open gives its connection up (`_end_request`).
    Each kept connection keeps its page cache (up to `open_db`'s 64 MB): at 100,000 items the
    server's peak memory rose from 202 to 258 MB (benchmarks/desk_pages.py). Cached pages never ask for one.
    """
    if "db" not in g:
        kept = current_app.extensions["wire_db"]
        if getattr(kept, "db", None) is None:
            kept.db = open_db(current_app.config["WIRE"].db, migrate=False)
        g.db = kept.db
    return g.db


def page_language() -> str:
    """The reader's choice (`?lang=`, else their subscription's), else the best of `Accept-Language`, else English."""
    languages = current_app.config["WIRE"].languages
    chosen = request.args.get("lang", "")
    if chosen in languages:
        return chosen
    if g.get("reader_language") in languages:  # a page behind a reader's link: the language they chose
        return g.reader_language
    return request.accept_languages.best_match(languages) or (
        i18n.FALLBACK_LANGUAGE if i18n.FALLBACK_LANGUAGE in languages else languages[0]
    )


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__)
    app.config["WIRE"] = config
    database = open_db(config.db)  # create and migrate once, before the first request
    try:
        # signs the CSRF tokens of forms (Flask-WTF) and the confirmation links (itsdangerous)
        app.config["SECRET_KEY"] = config.secret_key or get_or_create_secret(database, "web")
    finally:
        database.conn.close()
    # the only cookie: the session that holds the CSRF token; never sent to another site
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.base_url.startswith("https:"),
    )
    app.config["WIRE_CLOCK"] = utcnow  # tests set their own to move time
    babel = Babel(app, locale_selector=page_language, default_domain=i18n.DOMAIN)
    babel.domain_instance = CatalogDomain(domain=i18n.DOMAIN)

    app.extensions["wire_db"] = threading.local()  # each serving thread's connection (`get_db`)

    @app.teardown_request
    def _end_request(exc):
        db = g.pop("db", None)
        if db is not None and (exc is not None or db.conn.in_transaction):
            # a view that broke half-way may have left anything: closing rolls back and frees the lock,
            # and the thread's next request opens a connection anew
            app.extensions["wire_db"].db = None
            db.conn.close()

    @app.context_processor
    def _page():
        language = str(get_locale())
        # a language chosen in the address, or the one of a page behind a reader's or partner's link
        # (opened without ?lang): links keep it, or the next page follows the browser's language
        explicit = request.args.get("lang") in config.languages or g.get("reader_language") in config.languages

        def lang_url(endpoint: str, **values) -> str:
            """A link that keeps the reader's explicit language choice."""
            from flask import url_for

            if explicit:
                values.setdefault("lang", language)
            return url_for(endpoint, **values)

        def switch_url(code: str) -> str:
            """This page in another language."""
            args = {key: value for key, value in request.args.items() if key != "lang"}
            return f"{request.path}?{urlencode({**args, 'lang': code})}"

        return {
            "page_lang": language,
            "page_dir": i18n.direction(language),
            "site_name": config.site_name,
            "languages": config.languages,
            "lang_url": lang_url,
            "switch_url": switch_url,
            "language_name": lambda code, in_language=None: i18n.language_name(code, in_language or language),
            "direction": i18n.direction,
        }

    @app.after_request
    def _headers(response):
        # no third-party anything: the policy makes the browser refuse it too
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
            response.headers["Vary"] = "Accept-Language"
        return response

    from wire.web.api import init_api
    from wire.web.archive import blueprint as archive
    from wire.web.desk import init_desk
    from wire.web.partners import blueprint as partners
    from wire.web.public import blueprint as public
    from wire.web.subscribers import blueprint as subscribers
    from wire.web.subscribers import init_subscriber_forms

    app.register_blueprint(public)
    app.register_blueprint(archive)
    app.register_blueprint(subscribers)
    app.register_blueprint(partners)
    init_subscriber_forms(app, config)
    init_desk(app, config)  # after the subscribers' forms: the login limit shares their Limiter
    init_api(app)  # after the forms: exempt from their CSRF (tokens, not cookies), sharing their Limiter
    return app
