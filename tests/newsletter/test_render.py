"""Rendering: right to left, escaping, the plain-text part, absolute links, no remote assets, Gmail's size limit."""

import re
from zoneinfo import ZoneInfo

import pytest

from newsletter.compose import Edition, Entry, Report
from newsletter.render import FSI, PDI, render_edition

ZONE = ZoneInfo("Europe/Berlin")
BASE = "https://wire.example"


def _entry(n, language="en", headline=None, section="hunger-strike"):
    return Entry(
        story_id=n,
        section=section,
        position=n,
        headline=headline or f"Hunger strike reaches day {n}",
        summary="The prisoner's family appealed for vitamin B1 and an independent doctor. " * 2,
        language=language,
        url=f"https://partner{n}.example/news/{n}",
        source=f"Partner {n}",
        published="2026-11-18T10:00:00+00:00",
        reports=[Report(100 + n, "Dayanışma Ağı", "tr", f"https://dayanisma.example/{n}", "Açlık grevi")],
    )


def _edition(entries):
    return Edition(id=1, week="2026-W47", sections_by="theme", entries=entries)


def test_persian_edition_is_right_to_left_and_isolates_latin_headlines():
    edition = _edition(
        [_entry(1, "en", "Ahmet K. on day 87"), _entry(2, "fa", "اعتصاب غذای زندانیان", section="other")]
    )
    rendered = render_edition(edition, "fa", "Solidarity Wire", BASE, ZONE)
    assert re.search(r'<html[^>]*lang="fa"[^>]*dir="rtl"', rendered.html)
    assert 'dir="ltr"' in rendered.html and 'lang="en"' in rendered.html  # the English headline keeps its direction
    assert f"{FSI}Ahmet K. on day 87{PDI}" in rendered.text  # isolated in the plain text
    assert f"{FSI}اعتصاب" not in rendered.text  # Persian in a Persian edition needs no isolation


def test_partner_text_is_escaped_not_trusted_as_html():
    edition = _edition([_entry(1, headline="<script>alert(1)</script><img src=x onerror=y>")])
    html = render_edition(edition, "en", "Solidarity Wire", BASE, ZONE).html
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_plain_text_is_written_for_reading():
    rendered = render_edition(_edition([_entry(1), _entry(2)]), "en", "Solidarity Wire", BASE, ZONE)
    lines = rendered.text.splitlines()
    assert "HUNGER STRIKES" in lines
    assert "<" not in rendered.text
    assert max(len(line) for line in lines if not re.match(r"^(\[\d+\] )?https?://\S+$", line)) <= 78  # issue 10
    assert "[1] https://partner1.example/news/1" in lines  # numbered links listed at the end
    assert "Also reported by: Dayanışma Ağı (Turkish) [2]" in rendered.text


def test_no_remote_assets_no_tracking_and_absolute_links():
    html = render_edition(_edition([_entry(1)]), "en", "Solidarity Wire", BASE, ZONE).html
    assert "<img" not in html
    assert "fonts.googleapis" not in html and "@import" not in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    assert f"{BASE}/unsubscribe/" in html


def test_forty_items_stay_under_gmail_clipping_size():
    entries = []
    for n in range(1, 41):
        entry = _entry(
            n,
            ["en", "de", "tr", "fa"][n % 4],
            section=["hunger-strike", "trial-sentence", "other"][n % 3],
            headline=f"Hunger strike in Kuzeykent High-Security Prison reaches day {n}: family asks for a doctor",
        )
        entry.summary = "The prisoner has lost 21 kilos; his lawyer was allowed a visit of twenty minutes only. " * 4
        entry.reports = entry.reports * 3
        entries.append(entry)
    for language in ("en", "fa"):
        html = render_edition(_edition(entries), language, "Solidarity Wire", BASE, ZONE).html
        assert len(html.encode("utf-8")) < 102 * 1024, f"{language}: {len(html.encode())} bytes"


def test_items_in_the_readers_language_come_first_in_a_section():
    edition = _edition([_entry(1, "en"), _entry(2, "de"), _entry(3, "en"), _entry(4, "de")])
    order = [entry.story_id for _, entries in edition.sections("de") for entry in entries]
    assert order == [2, 4, 1, 3]


@pytest.mark.parametrize("language", ["de", "tr", "fa", "ar"])
def test_frame_is_translated(language):
    rendered = render_edition(_edition([_entry(1)]), language, "Solidarity Wire", BASE, ZONE)
    english = render_edition(_edition([_entry(1)]), "en", "Solidarity Wire", BASE, ZONE)
    assert rendered.subject != english.subject
    assert "Unsubscribe" not in rendered.text


def test_region_sections_are_named_in_the_readers_language():
    edition = Edition(
        id=1,
        week="2026-W47",
        sections_by="region",
        entries=[_entry(1, section="country-kurdistan"), _entry(2, section="country-tr")],
    )
    text = render_edition(edition, "de", "Solidarity Wire", BASE, ZONE).text
    assert "KURDISTAN" in text and "TÜRKEI" in text


def test_links_point_at_the_partners_page_without_tracking_parameters(edition):
    for language in ("en", "fa"):
        rendered = render_edition(edition, language, "Solidarity Wire", BASE, ZONE)
        hrefs = re.findall(r'href="([^"]+)"', rendered.html)
        assert "https://open-cell.example/they-want-to-break-him/" in hrefs  # the partner's own spelling, slash kept
        assert "https://free-mahir.example/news/day-87.html" in hrefs and "https://kanoon.example/fa/87" in hrefs
        for part in (rendered.html, rendered.text):
            assert "utm_" not in part and "fbclid" not in part
        assert all(
            h.startswith(
                (
                    "https://open-cell",
                    "https://free-mahir",
                    "https://komele",
                    "https://kanoon",
                    "https://saw",
                    "https://tadamun",
                    "https://dayanisma",
                    "https://gefangenen",
                    f"{BASE}/",
                )
            )
            for h in hrefs
        ), hrefs  # nothing rewritten through us


def test_clean_link_keeps_what_names_the_article():
    from newsletter.compose import clean_link

    assert clean_link("https://a.example/x/?utm_source=rss&utm_medium=feed") == "https://a.example/x/"
    assert (
        clean_link("https://a.example/modules.php?name=News&sid=12&utm_campaign=c")
        == "https://a.example/modules.php?name=News&sid=12"
    )
    assert clean_link("https://a.example/p?id=7&fbclid=Ab#utm_source=tw") == "https://a.example/p?id=7"
    assert clean_link("https://a.example/p?id=7#comments") == "https://a.example/p?id=7#comments"
    assert clean_link("https://a.example/%D8%B1") == "https://a.example/%D8%B1"


def test_headlines_and_teasers_are_bounded(edition):
    edition.entries[0].headline = "H" * 1_000_000
    edition.entries[1].summary = "خبر " * 250_000
    edition.entries[2].source = "S" * 10_000
    rendered = render_edition(edition, "fa", "Solidarity Wire", BASE, ZONE)
    assert len(rendered.html.encode()) < 40 * 1024 and len(rendered.text.encode()) < 20 * 1024
    assert "H" * 300 in rendered.html and "H" * 301 not in rendered.html and "H…" in rendered.html
    assert "خبر …" in rendered.html or "خبر…" in rendered.html


@pytest.mark.parametrize("language", ["fa", "ar", "en", "de", "fr", "eu", "ru", "tr"])
def test_subject_has_one_colon_and_a_right_to_left_subject_starts_right_to_left(edition, language):
    from aggregator.scripts import text_direction

    subject = render_edition(edition, language, "Solidarity Wire", BASE, ZONE).subject
    assert subject.count(":") == 1, subject
    assert text_direction(subject) == ("rtl" if language in ("fa", "ar") else "ltr"), subject
