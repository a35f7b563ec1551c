"""The plain-text part: 78 columns except URLs, links as numbered references that resolve, names in
another script isolated (FSI ... PDI) only where the line's direction differs, and Persian and
Arabic lines that a first-strong client shows right to left."""

import re
from zoneinfo import ZoneInfo

import pytest

from aggregator.config import DEFAULT_LANGUAGES
from aggregator.scripts import FSI, PDI, RLM, text_direction
from newsletter.compose import Report
from newsletter.render import personalise, render_edition

ZONE = ZoneInfo("Europe/Berlin")
BASE = "https://wire.example"
URL_LINE = re.compile(r"^(\[\d+\] )?https?://\S+$")
REFERENCE = re.compile(r"\[(\d+)\]")


def _text(edition, language, token="t" * 32):
    return personalise(render_edition(edition, language, "Solidarity Wire", BASE, ZONE).text, token)


def _references(text):
    """{number: url} from the list at the end, and the numbers cited above it."""
    body, _, listing = text.rpartition("\n\n")
    listed = {}
    for line in listing.splitlines():
        match = re.match(r"^\[(\d+)\] (\S+)$", line)
        if match:
            listed[int(match.group(1))] = match.group(2)
    cited = {int(n) for line in body.splitlines() if not URL_LINE.match(line) for n in REFERENCE.findall(line)}
    return listed, cited


@pytest.mark.parametrize("language", DEFAULT_LANGUAGES)
def test_every_line_fits_78_columns_unless_it_is_a_url(edition, language):
    edition.entries[0].headline = "A very long headline " * 12  # editors' headlines and old rows can be long
    edition.entries[1].reports.append(Report(99, "Partner", "en", "https://long.example/" + "segment/" * 20, "t"))
    text = _text(edition, language)
    long = [line for line in text.splitlines() if len(line) > 78 and not URL_LINE.match(line)]
    assert long == []
    assert "utm_" not in text and "fbclid" not in text


@pytest.mark.parametrize("language", ["en", "fa", "ar", "de"])
def test_links_are_numbered_references_that_resolve(edition, language):
    text = _text(edition, language)
    listed, cited = _references(text)
    assert cited and cited == set(listed), (cited, listed)
    assert sorted(listed) == list(range(1, len(listed) + 1))
    urls = set(listed.values())
    assert "https://open-cell.example/they-want-to-break-him/" in urls  # clean: tracking parameters gone
    assert "https://free-mahir.example/news/day-87.html" in urls
    for entry in edition.entries:
        assert any(url.startswith(entry.url.split("?")[0]) for url in urls)
    # our own links stand on lines of their own, never wrapped
    assert f"{BASE}/unsubscribe/{'t' * 32}" in text.splitlines()


def test_latin_names_are_isolated_in_persian_and_persian_names_in_english_only_where_needed(edition):
    persian = _text(edition, "fa")
    assert f"{FSI}The Open Cell{PDI} · 29 نوامبر" in persian  # a Latin partner name in a Persian line
    assert f"{FSI}بیست" not in persian  # Persian in a Persian edition needs no isolation
    assert "(Reza Tavakoli)" in persian and f"{FSI}Reza" not in persian  # a name inside the partner's own text
    for name in ("Komeleya Piştgiriyê ya Malbatên Girtiyan", "Solidarity Across Walls", "Free Mahir Ekinci"):
        assert f"{FSI}{name}{PDI}" in persian  # whole, never split across two lines
    english = _text(edition, "en")
    assert f"{FSI}کانون همبستگی با زندانیان سیاسی{PDI}" in english
    assert f"{FSI}The Open Cell" not in english and f"{FSI}Mahir" not in english


@pytest.mark.parametrize("language", ["fa", "ar"])
def test_right_to_left_lines_start_right_to_left(edition, language):
    """Each line a client lays out by its first strong character is right to left, URLs aside."""
    for line in _text(edition, language).splitlines():
        if line.strip() and not URL_LINE.match(line) and text_direction(line):
            assert text_direction(line) == "rtl", line
    assert RLM not in _text(edition, "en")


@pytest.mark.parametrize("language", ["fa", "ar"])
def test_the_languages_own_punctuation(edition, language):
    rendered = render_edition(edition, language, "Solidarity Wire", BASE, ZONE)
    joined = rendered.text.replace("\n", " ")
    assert re.search(r"\[\d+\]، ", joined) and not re.search(r"\[\d+\], ", joined)  # between partners
    assert re.search(r"</bdi>(?: \([^)]*\))?</span>، <span", rendered.html)
    assert "</span>, <span" not in rendered.html
    assert rendered.subject.count(":") <= 1, rendered.subject
