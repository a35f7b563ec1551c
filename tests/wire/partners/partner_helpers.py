"""What the partner portal's tests share: an app on a real SMTP server, a partner feed on loopback, form posts."""

from __future__ import annotations

import re

from aggregator.db import open_db
from tests.conftest import make_config

FULL = "<p>" + "Les détenus en grève de la faim demandent la fin de l'isolement et des visites de leurs familles. " * 6
RSS = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Comité de soutien</title>
<item><title>Grève de la faim, jour douze : les détenus demandent des visites</title>
<link>http://127.0.0.1/a</link><pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate>
<description><![CDATA[{FULL}]]></description></item>
<item><title>Rassemblement devant le consulat samedi</title><link>http://127.0.0.1/b</link>
<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[{FULL}]]></description></item>
</channel></rss>""".encode()


def make_site(tmp_path, mail_sink, **app_config):
    """The web app on the test's SMTP server; returns (app, config, db)."""
    from wire.web import create_app

    config = make_config(tmp_path, smtp_url=mail_sink.url, base_url="http://wire.example")
    app = create_app(config)
    app.config.update(app_config)
    return app, config, open_db(config.db)


def feed_site(static_site, body=RSS, path="/feed/"):
    return static_site({path: (200, {"Content-Type": "application/rss+xml"}, body)})


def csrf(client, path="/partners/register"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def fields(site_url, **changes):
    values = {
        "organisation": "Comité de soutien aux prisonniers",
        "website": site_url + "/",
        "contact_email": "contact@comite.example",
        "feed_url": site_url + "/feed/",
        "languages": ["fr"],
        "countries": "France, Turquie",
        "description": "Nous publions des nouvelles des prisonniers politiques.",
        "company_fax": "",
    }
    values.update(changes)
    return values


def register(client, data, lang="en", **kwargs):
    data = dict(data, csrf_token=csrf(client, f"/partners/register?lang={lang}"))
    return client.post(f"/partners/register?lang={lang}", data=data, **kwargs)


def preview_code(response) -> str:
    return re.search(r'name="code" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def send(client, response, lang="en"):
    data = {"code": preview_code(response), "csrf_token": csrf(client, f"/partners/register?lang={lang}")}
    return client.post(f"/partners/register/send?lang={lang}", data=data)


def mail_body(message) -> str:
    return message.get_payload(decode=True).decode()


def link_path(message, kind: str) -> str:
    """The path of the /partners/<kind>/... link in a mail (the base URL is http://wire.example)."""
    return re.search(rf"http://wire\.example(/partners/{kind}/\S+)", mail_body(message)).group(1)
