"""The web app: an app factory and one blueprint per audience.

Thin views: load, check, call the library, render or redirect. Static assets are
served by the app itself; no page loads anything from another host.
"""

from __future__ import annotations

from flask import Flask, g

from aggregator.config import Config, load_config
from aggregator.db import open_db


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__)
    app.config["WIRE"] = config
    open_db(config.db).conn.close()  # create and migrate once, before the first request

    @app.before_request
    def _open_db():
        g.db = open_db(config.db, migrate=False)

    @app.teardown_request
    def _close_db(_exc):
        db = g.pop("db", None)
        if db is not None:
            db.conn.close()

    @app.after_request
    def _headers(response):
        # no third-party anything: the policy makes the browser refuse it too
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    from wire.web.archive import blueprint as archive
    from wire.web.public import blueprint as public
    from wire.web.subscribers import blueprint as subscribers

    app.register_blueprint(public)
    app.register_blueprint(archive)
    app.register_blueprint(subscribers)
    return app
