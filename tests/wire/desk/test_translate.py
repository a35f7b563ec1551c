"""Translation help against a small LibreTranslate-compatible server started here on 127.0.0.1.

The server stands in for the real service (LibreTranslate, which cannot run in the tests): it
speaks the same API (POST /translate with q, source, target, format, api_key; answers
{"translatedText": ...} or {"error": ...} with a 4xx), and can be told to fail, to be slow or
to answer nonsense, so the client's timeout and its distrust of the answer are tested against
real HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aggregator.storage.stories import get_story
from aggregator.translate import TranslationUnavailable, suggest_translation
from tests.conftest import make_config
from tests.wire.desk.story_data import seed_inbox

KEY = "test-api-key"
#: What the stand-in knows: (source, target, text) -> translation.
PHRASES = {
    ("tr", "fa", "Açlık grevinde 120. gün"): "روز ۱۲۰ اعتصاب غذا",
    ("tr", "fa", "Gazeteciler davası ertelendi"): "دادگاه روزنامه‌نگاران <b>به تعویق</b> افتاد",
    ("tr", "fa", "Kuzeykent'teki gazeteciler davasının duruşması Ocak ayına ertelendi."): "جلسه دادگاه به دی ماه رفت",
}


class FakeLibreTranslate:
    """A LibreTranslate-compatible HTTP server; `mode` switches it to failing the ways real services fail."""

    def __init__(self):
        service = self
        self.mode, self.requests = "ok", []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                service.requests.append((self.path, body))
                if service.mode == "slow":
                    time.sleep(2)
                if self.path != "/translate":
                    return self.answer(404, {"error": "Not Found"})
                if body.get("api_key") != KEY:
                    return self.answer(403, {"error": "Invalid API key"})
                if service.mode == "down":
                    return self.answer(500, {"error": "Translation engine crashed"})
                if service.mode == "nonsense":
                    return self.answer(200, {"translatedText": ["not", "a", "string"]})
                if service.mode == "html":
                    return self.answer(200, {"translatedText": "<img src=x onerror=alert(1)>\u202eروز\u200b"})
                text = PHRASES.get((body["source"], body["target"], body["q"]))
                if text is None:
                    return self.answer(400, {"error": f"{body['target']} is not supported"})
                return self.answer(200, {"translatedText": text})

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def libretranslate():
    service = FakeLibreTranslate()
    yield service
    service.close()


def test_a_suggestion_comes_back_as_plain_text(libretranslate):
    text = suggest_translation("Açlık grevinde 120. gün", "tr", "fa", libretranslate.url, KEY, timeout=5)
    assert text == "روز ۱۲۰ اعتصاب غذا"
    path, body = libretranslate.requests[-1]
    assert path == "/translate"
    assert body == {"q": "Açlık grevinde 120. gün", "source": "tr", "target": "fa", "format": "text", "api_key": KEY}


@pytest.mark.parametrize(
    "mode, key, message",
    [
        ("down", KEY, "answered 500: Translation engine crashed"),
        ("ok", "wrong-key", "answered 403: Invalid API key"),
        ("nonsense", KEY, "has no translatedText"),
    ],
)
def test_a_failing_service_is_one_clear_error_without_the_key(libretranslate, mode, key, message):
    libretranslate.mode = mode
    with pytest.raises(TranslationUnavailable, match=message) as caught:
        suggest_translation("Açlık grevinde 120. gün", "tr", "fa", libretranslate.url, key, timeout=5)
    assert key not in str(caught.value)


def test_a_slow_service_times_out(libretranslate):
    libretranslate.mode = "slow"
    started = time.monotonic()
    with pytest.raises(TranslationUnavailable, match="could not be reached"):
        suggest_translation("Açlık grevinde 120. gün", "tr", "fa", libretranslate.url, KEY, timeout=0.5)
    assert time.monotonic() - started < 1.8


def test_an_unreachable_service_is_named():
    with pytest.raises(TranslationUnavailable, match=r"127\.0\.0\.1:9 could not be reached"):
        suggest_translation("x", "tr", "fa", "http://127.0.0.1:9", timeout=2)


def test_the_answer_is_cleaned_but_kept_as_text(libretranslate):
    """Markup stays characters (the page escapes it); bidi overrides and zero-width characters go."""
    libretranslate.mode = "html"
    text = suggest_translation("Açlık grevinde 120. gün", "tr", "fa", libretranslate.url, KEY, timeout=5)
    assert text == "<img src=x onerror=alert(1)>روز"


# -- the story page's "suggest" button -------------------------------------------------------------


@pytest.fixture
def config(tmp_path, libretranslate):
    """The app's configuration with the stand-in service as its translation service."""
    return make_config(tmp_path, translate_url=libretranslate.url, translate_api_key=KEY, translate_timeout=1.0)


def test_suggest_fills_the_form_and_saves_nothing(desk_client, db, config):
    story = seed_inbox(db, config)["trial"]
    assert 'class="suggest"' in desk_client.get(f"/desk/stories/{story}").get_data(as_text=True)
    response = desk_client.post(
        f"/desk/stories/{story}/suggest", data={"language": "fa", "headline": "", "summary": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="دادگاه روزنامه‌نگاران &lt;b&gt;به تعویق&lt;/b&gt; افتاد"' in html  # filled in, as text
    assert 'value="جلسه دادگاه به دی ماه رفت"' in html
    assert "correct it, then save" in html
    assert "fa" not in get_story(db, story)["translations"]  # never saved by itself


def test_a_failing_service_says_so_and_keeps_what_the_editor_typed(desk_client, db, config, libretranslate):
    story = seed_inbox(db, config)["trial"]
    libretranslate.mode = "down"
    response = desk_client.post(
        f"/desk/stories/{story}/suggest", data={"language": "fa", "headline": "پیش‌نویس من", "summary": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "No suggestion: the translation service answered 500: Translation engine crashed" in html
    assert 'value="پیش‌نویس من"' in html
    assert KEY not in html
    assert "fa" not in get_story(db, story)["translations"]
