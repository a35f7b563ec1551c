"""An edition in one reader language -> subject, HTML (Jinja2 -> MJML -> mjml-python) and plain text.

Pure: no database, no network. Everything a reader sees outside the partners' own words
comes from the gettext catalog of their language (`newsletter.i18n`). Partners' text is
escaped by Jinja's autoescape, never trusted as HTML. No remote images, no web fonts,
no tracking pixels, no rewritten links: subscribers may live where reading this is risky.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from mjml import mjml2html

from newsletter import i18n
from newsletter.compose import Edition
from newsletter.weeks import week_bounds

TEMPLATES = Path(__file__).parent / "templates"
#: Placeholder for the subscriber's secret token in links; `personalise` replaces it per message.
TOKEN_PLACEHOLDER = "SUBSCRIBER-TOKEN"
FSI, PDI = "\u2068", "\u2069"  # Unicode first-strong isolate and its closing mark
WIDTH = 72


@dataclass
class Rendered:
    language: str
    subject: str
    preheader: str
    html: str
    text: str


@lru_cache(maxsize=32)
def _environment(language: str, autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), extensions=["jinja2.ext.i18n"],
                      autoescape=select_autoescape(["j2"]) if autoescape else False,
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    return env


def _frame(edition: Edition, language: str, site_name: str, base_url: str, zone) -> dict:
    """Values shared by the HTML and text templates."""
    base_url = base_url.rstrip("/")
    gettext = i18n.translations(language).gettext
    start, end = week_bounds(edition.week, zone)
    loc = i18n.locale(language)
    first = format_date(start.astimezone(zone).date(), "d MMMM", locale=loc)
    last = format_date((end - timedelta(days=1)).astimezone(zone).date(), "d MMMM y", locale=loc)
    week_label = gettext("News of the week %(first)s – %(last)s") % {"first": first, "last": last}
    count = len(edition.entries)
    partners = len({entry.source for entry in edition.entries} |
                   {report.source for entry in edition.entries for report in entry.reports})
    preheader = i18n.translations(language).ngettext(
        "%(num)d story from %(partners)d partner organisations",
        "%(num)d stories from %(partners)d partner organisations", count) % {"num": count, "partners": partners}
    subject = gettext("%(site)s: %(week)s") % {"site": site_name, "week": week_label}
    intro_text = edition.intros.get(language) or gettext(
        "This week's news from the solidarity networks for political prisoners, gathered from our partners. "
        "Headlines in other languages are marked with their language.")
    archive_url = f"{base_url}/editions/{edition.week}/{language}"
    return {
        "lang": language, "dir": i18n.direction(language),
        "align": "right" if i18n.direction(language) == "rtl" else "left",
        "site_name": site_name, "week_label": week_label, "subject": subject, "preheader": preheader,
        "intro": [p for p in intro_text.split("\n\n") if p.strip()],
        "sections": edition.sections(language),
        "archive_url": archive_url,
        "preferences_url": f"{base_url}/subscription/{TOKEN_PLACEHOLDER}",
        "unsubscribe_url": f"{base_url}/unsubscribe/{TOKEN_PLACEHOLDER}",
        "language_name": lambda code: i18n.language_name(code, language),
        "text_dir": i18n.direction,
        "list_separator": "، " if language in ("fa", "ar") else ", ",
        "format_day": lambda iso_text: format_date(datetime.fromisoformat(iso_text).astimezone(zone).date(),
                                                   "d MMM", locale=loc),
        "region_name": lambda key: _region_name(key, loc),
    }


def _region_name(key: str, loc) -> str | None:
    """A region section's name: the taxonomy's label in the reader's language, else Babel's country name."""
    from aggregator.tagging import default_taxonomy

    if not key.startswith("country-"):
        return None
    label = next((tag.labels.get(loc.language) for tag in default_taxonomy() if tag.id == key), None)
    if label:
        return label
    return loc.territories.get(key[-2:].upper()) if len(key) == 10 else None


def render_mjml(edition: Edition, language: str, site_name: str, base_url: str, zone) -> tuple[str, dict]:
    """The MJML source of the edition in `language` (the first of the two steps)."""
    frame = _frame(edition, language, site_name, base_url, zone)
    return _environment(language, True).get_template("edition.mjml.j2").render(**frame), frame


def compile_mjml(source: str) -> str:
    # fonts={}: mjml would otherwise link Google Fonts, a third-party request from the reader's mail client
    return mjml2html(source, fonts={}, disable_comments=True)


def render_html(edition: Edition, language: str, site_name: str, base_url: str, zone) -> tuple[str, dict]:
    source, frame = render_mjml(edition, language, site_name, base_url, zone)
    return compile_mjml(source), frame


def render_text(edition: Edition, language: str, site_name: str, base_url: str, zone) -> str:
    """The plain-text part: headings, short lines, and numbered links listed at the end."""
    frame = _frame(edition, language, site_name, base_url, zone)
    links: list[str] = []

    def link_number(url: str) -> int:
        if url not in links:
            links.append(url)
        return links.index(url) + 1

    def isolate(value: str, value_language: str | None) -> str:
        if value and i18n.direction(value_language) != frame["dir"]:
            return f"{FSI}{value}{PDI}"
        return value

    def wrap(value: str) -> str:
        return "\n".join(textwrap.wrap(value, WIDTH, break_long_words=False, break_on_hyphens=False)) or value

    text = _environment(language, False).get_template("edition.txt.j2").render(
        **frame, links=links, link_number=link_number, number=lambda entry: f"[{link_number(entry.url)}]",
        isolate=isolate, wrap=wrap)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def render_edition(edition: Edition, language: str, site_name: str, base_url: str, zone) -> Rendered:
    html, frame = render_html(edition, language, site_name, base_url, zone)
    return Rendered(language=language, subject=frame["subject"], preheader=frame["preheader"], html=html,
                    text=render_text(edition, language, site_name, base_url, zone))


def personalise(content: str, token: str) -> str:
    """Put a subscriber's token into the preference and unsubscribe links."""
    return content.replace(TOKEN_PLACEHOLDER, token)
