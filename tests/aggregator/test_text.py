"""Users' text is never trusted as HTML: sanitising, titles, plain text, excerpts."""

import pytest

from aggregator.text import clean_title, content_hash, html_to_text, looks_truncated, sanitise_html

HOSTILE = """<p onclick="steal()">Day 40 <script>alert(1)</script><style>p{}</style>
<a href="javascript:alert(1)">link</a> <a href="https://ok.example/">ok</a>
<img src="https://tracker.example/p.gif" onerror="x()"><iframe src="https://evil.example"></iframe>
<svg onload="x()"></svg><form action="/x"><input name=q></form></p>"""


def test_sanitiser_drops_scripts_handlers_and_javascript_urls():
    clean = sanitise_html(HOSTILE)
    for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<style", "onload", "<form", "<input"):
        assert bad not in clean
    assert 'href="https://ok.example/"' in clean
    assert 'rel="noopener noreferrer"' in clean
    assert "Day 40" in clean


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Hunger strike &amp;amp; isolation", "Hunger strike & isolation"),
        ("  Day\n 87 \t of the <b>strike</b> ", "Day 87 of the strike"),
        ("&#304;stanbul&#39;da a&ccedil;l&#305;k grevi", "İstanbul'da açlık grevi"),
    ],
)
def test_clean_title(raw, expected):
    assert clean_title(raw) == expected


def test_html_to_text_keeps_paragraphs():
    text = html_to_text("<h2>Call</h2><p>First  paragraph.</p><ul><li>one</li><li>two</li></ul><p>Last<br>line</p>")
    assert text.split("\n\n") == ["Call", "First paragraph.", "one", "two", "Last line"]


@pytest.mark.parametrize(
    "text, truncated",
    [
        ("The hearing was postponed again [&hellip;]", True),
        ("The hearing was postponed again […]", True),
        ("The hearing was postponed again...", True),
        ("Der Prozess wurde vertagt. Weiterlesen »", True),
        ("The hearing was postponed again.", False),
    ],
)
def test_looks_truncated(text, truncated):
    assert looks_truncated(text) is truncated


def test_content_hash_ignores_spacing_and_case_but_not_words():
    assert content_hash("a", "Day 40 of the strike.") == content_hash("b", "day  40 of the STRIKE")
    assert content_hash("a", "Day 40 of the strike.") != content_hash("a", "Day 41 of the strike.")


@pytest.mark.parametrize(
    "declared, text, expected",
    [
        ("ku", "Girtiyê siyasî Mahir Ekinci di roja 87an a greva birçîbûnê de ye û rewşa wî giran e.", "ku"),
        ("ku", "Siyasi tutsak Mahir Ekinci'nin açlık grevi 87. gününde; ağırlığı kırk kiloya düştü.", "tr"),
        ("en", "Der Gefangene befindet sich seit 87 Tagen im Hungerstreik und seine Familie ist besorgt.", "de"),
        (None, "Le prisonnier est en grève de la faim depuis quatre-vingt-sept jours, sa famille s'inquiète.", "fr"),
        ("fa", "زندانی سیاسی در روز هشتاد و هفتم اعتصاب غذا است و خانواده‌اش نگران است.", "fa"),
    ],
)
def test_language_is_declared_then_checked(declared, text, expected):
    from aggregator.language import resolve_language

    assert resolve_language(declared, text)[0] == expected


@pytest.mark.parametrize(
    "markup, expected",
    [
        ("<!DOCTYPE html><html><head><title>x</title>", "x"),  # a whole document with no body: lxml asserts
        ("<html><head></head></html>", ""),
        ("<html><body><p>One</p><p>Two</p></body></html>", "One\n\nTwo"),
    ],
)
def test_html_to_text_reads_whole_documents_too(markup, expected):
    """A feed's content can be a whole page; the text is read, never an AssertionError that fails the feed."""
    assert html_to_text(markup) == expected


def test_folding_whitespace_touches_only_the_runs_that_change_and_folds_them_as_before():
    """`fold_paragraphs` replaces only the whitespace runs that change (two or more characters, or
    one that is not a plain space) instead of every space of the text: the same text comes out
    for any mix of spaces, tabs, no-break and wide spaces, line breaks and letters."""
    import random
    import re

    from aggregator.text import _WS, _WS_FOLD, fold_paragraphs

    def before(text: str) -> str:  # the rule as it was written first: every run, one match each
        lines = (_WS.sub(" ", chunk.replace("\n", " ")).strip() for chunk in re.split(r"\n\s*\n", text))
        return "\n\n".join(line for line in lines if line)

    alphabet = [" ", " ", " ", "\t", "\u00a0", "\u2003", "\u202f", "\u3000", "\n", "\r", "a", "b", "ş", "ن", "."]
    rng = random.Random(9)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert fold_paragraphs(text) == before(text.replace("\r\n", "\n")), repr(text)
        assert _WS_FOLD.sub(" ", text) == _WS.sub(" ", text), repr(text)
    assert fold_paragraphs("Day 40 \u00a0of\tthe  strike.\n \nEvin  prison") == "Day 40 of the strike.\n\nEvin prison"


def test_the_sanitiser_built_once_cleans_as_nh3_clean_with_the_same_rules(corpus):
    """`sanitise_html` keeps one `nh3.Cleaner` instead of passing the rules to `nh3.clean` each
    call: the same output on real pages of the corpus and on hostile markup (after the same
    bounds and clean-up at the door, which `sanitise_html` applies first)."""
    import nh3

    from aggregator.text import _CLEANER, SAFE_ATTRIBUTES, SAFE_TAGS

    def by_clean(markup: str) -> str:
        rules = dict(tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, url_schemes={"http", "https", "mailto"})
        return nh3.clean(markup, **rules, link_rel="noopener noreferrer", strip_comments=True).strip()

    pages = sorted(corpus.rglob("*.html"))[:60]
    hostile = ['<a href="javascript:alert(1)" onclick="x()">a</a><script>x</script><!-- c --><img src=x onerror=y>']
    samples = [*hostile, *(page.read_text("utf-8", errors="replace")[:40_000] for page in pages)]
    assert len(samples) > 50
    for markup in samples:
        assert _CLEANER.clean(markup).strip() == by_clean(markup)
    assert sanitise_html(hostile[0]) == '<a rel="noopener noreferrer">a</a><img src="x">'
