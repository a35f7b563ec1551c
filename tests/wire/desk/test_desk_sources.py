"""/desk/sources: health in words, pause and resume, a feed's new URL, a site recipe with "try it".

Partner sites are real HTTP servers on 127.0.0.1 (`static_site`); fetches go through the
crawler's network guard, which the test configuration opens to loopback only (and which a
second app, configured as in production, shows closed).
"""

from __future__ import annotations

import json

import pytest

from aggregator.db import iso, utcnow
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source, get_source
from aggregator.text import content_hash
from tests.conftest import make_config

RSS = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Moved feed</title>'
    b"<link>http://127.0.0.1/</link><item><title>Still here</title><link>http://127.0.0.1/a</link>"
    b"<guid>a</guid></item></channel></rss>"
)
LIST = """<!doctype html><html lang="es"><head><title>Noticias</title></head><body><main>
<ul class="news"><li><a href="/noticias/huelga.html">Huelga</a></li>
<li><a href="/noticias/juicio.html">Juicio</a></li></ul>
</main></body></html>"""
ARTICLE = """<!doctype html><html lang="es"><head><title>{title} | Comité</title></head><body><article>
<h1 class="headline">{title}</h1><time datetime="2026-11-20T10:00:00+00:00">20 nov</time>
<div class="body"><p>{text}</p><p>Second paragraph of the article with enough words to count as text here.</p></div>
</article></body></html>"""


@pytest.fixture
def partner(static_site):
    site = static_site()
    (site.root / "noticias").mkdir()
    (site.root / "noticias" / "index.html").write_text(LIST)
    (site.root / "noticias" / "huelga.html").write_text(
        ARTICLE.format(title="Día 40 de la huelga de hambre", text="Mahir Ekinci sigue en huelga de hambre en prisión.")
    )
    (site.root / "noticias" / "juicio.html").write_text(
        ARTICLE.format(title="Juicio aplazado otra vez", text="El tribunal aplazó el juicio de los periodistas.")
    )
    (site.root / "feed.xml").write_bytes(RSS)
    return site


def test_the_list_shows_health_in_words_and_items_this_week(desk_client, db):
    broken = add_source(db, "http://127.0.0.1:1/feed/", "Broken partner", "feed")
    db.execute(
        "UPDATE sources SET last_fetch_at = ?, last_success_at = ?, consecutive_failures = 4, failing_since = ?, "
        "last_error = 'HTTP 503', last_error_hint = 'The partner site is down; it usually comes back' WHERE id = ?",
        [iso(utcnow()), iso(utcnow()), "2026-01-01T00:00:00+00:00", broken],
    )
    fine = add_source(db, "http://127.0.0.1:2/feed/", "Fine partner", "feed")
    save_item(
        db,
        {
            "source_id": fine,
            "guid": "g",
            "url": "http://127.0.0.1:2/1",
            "canonical_url": "http://127.0.0.1:2/1",
            "title": "A story",
            "text": "Text of a story.",
            "language": "en",
            "published_at": iso(utcnow()),
            "content_hash": content_hash("A story", "Text of a story."),
        },
    )
    html = desk_client.get("/desk/sources").get_data(as_text=True)
    assert html.index("Broken partner") < html.index("Fine partner")  # failing sources first
    row = html[html.index("Broken partner") : html.index("Fine partner")]
    assert "Failing" in row and "<td>4</td>" in row and "The partner site is down" in row
    fine_row = html[html.index("Fine partner") :]
    assert "<td>1</td>" in fine_row  # one item this week


def test_pause_and_resume_as_the_cli_does_with_the_editor_in_the_audit_log(desk_client, db):
    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    assert desk_client.post(f"/desk/sources/{source}/pause").status_code == 303
    assert get_source(db, source)["status"] == "paused"
    assert "Resume" in desk_client.get(f"/desk/sources/{source}").get_data(as_text=True)
    assert desk_client.post(f"/desk/sources/{source}/resume").status_code == 303
    assert get_source(db, source)["status"] == "active"
    log = list(db.query("SELECT actor, action FROM audit_log WHERE entity = 'source' ORDER BY id"))
    assert log == [
        {"actor": desk_client.editor.email, "action": "source paused"},
        {"actor": desk_client.editor.email, "action": "source active"},
    ]
    assert desk_client.post("/desk/sources/999/pause").status_code == 404


def test_a_feeds_new_url_is_fetched_and_checked_before_it_is_saved(desk_client, db, partner):
    source = add_source(db, "http://127.0.0.1:1/old-feed/", "Partner", "feed")
    db.execute("UPDATE sources SET etag = 'old' WHERE id = ?", [source])
    for typed, message in [
        ("ftp://127.0.0.1/feed.xml", "not an http(s) URL"),
        ("http://localhost:8/feed.xml", "not in allowed_hosts"),
        (f"{partner.url}/nothing-here.html", "cannot use"),
    ]:
        response = desk_client.post(f"/desk/sources/{source}/url", data={"url": typed})
        assert response.status_code == 400, typed
        assert message in response.get_data(as_text=True), typed
        assert get_source(db, source)["url"] == "http://127.0.0.1:1/old-feed/"
    response = desk_client.post(f"/desk/sources/{source}/url", data={"url": f"{partner.url}/feed.xml"})
    assert response.status_code == 303
    stored = get_source(db, source)
    assert stored["url"] == f"{partner.url}/feed.xml" and stored["etag"] is None
    audit = next(db.query("SELECT actor, detail FROM audit_log WHERE action = 'source url changed'"))
    assert audit["actor"] == desk_client.editor.email and partner.url in audit["detail"]


def test_try_a_recipe_then_save_it(desk_client, db, partner):
    source = add_source(db, f"{partner.url}/noticias/", "Comité", "site")
    recipe = {
        "list_urls": [f"{partner.url}/noticias/index.html"],
        "link_selector": "ul.news a",
        "title_selector": "h1.headline",
        "body_selector": "div.body",
        "date_selector": "time::attr(datetime)",
    }
    response = desk_client.post(f"/desk/sources/{source}/recipe", data={"recipe": json.dumps(recipe), "action": "try"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Article links found: 2" in html
    assert "Día 40 de la huelga de hambre" in html and "Juicio aplazado otra vez" in html
    assert "2026-11-20" in html and "El tribunal aplazó el juicio" in html
    assert get_source(db, source)["recipe"] is None  # trying stores nothing
    assert any(path == "/noticias/huelga.html" for path, _ in partner.requests)

    response = desk_client.post(f"/desk/sources/{source}/recipe", data={"recipe": "{not json", "action": "save"})
    assert response.status_code == 400 and "not valid JSON" in response.get_data(as_text=True)
    response = desk_client.post(
        f"/desk/sources/{source}/recipe", data={"recipe": json.dumps({"link_selector": "a[["}), "action": "try"}
    )
    assert response.status_code == 400 and "is not a CSS selector" in response.get_data(as_text=True)
    assert get_source(db, source)["recipe"] is None

    response = desk_client.post(f"/desk/sources/{source}/recipe", data={"recipe": json.dumps(recipe), "action": "save"})
    assert response.status_code == 303
    assert json.loads(get_source(db, source)["recipe"]) == recipe
    assert next(db.query("SELECT actor FROM audit_log WHERE action = 'source recipe changed'"))["actor"] == (
        desk_client.editor.email
    )


def test_try_it_goes_through_the_network_guard(tmp_path, partner):
    """Configured as in production (no private networks): the partner on loopback is refused, never fetched."""
    from aggregator.db import open_db
    from tests.wire.desk.conftest import DeskClient, make_editor
    from wire.web import create_app

    config = make_config(tmp_path, allow_private_networks=False, allowed_hosts="")
    db = open_db(config.db)
    source = add_source(db, f"{partner.url}/noticias/", "Comité", "site")
    account = make_editor(db)
    app = create_app(config)
    app.test_client_class = DeskClient
    client = app.test_client()
    assert client.log_in(account.email, account.password).status_code == 303
    recipe = json.dumps({"list_urls": [f"{partner.url}/noticias/index.html"], "link_selector": "a"})
    response = client.post(f"/desk/sources/{source}/recipe", data={"recipe": recipe, "action": "try"})
    assert response.status_code == 200
    assert "loopback/private/reserved address; refused" in response.get_data(as_text=True)
    assert partner.requests == []
