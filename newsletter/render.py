"""An edition in one reader language -> subject, HTML (Jinja2 -> MJML -> mjml-python) and plain text.

Pure: no database, no network. Everything a reader sees outside the partners' own words
comes from the gettext catalog of their language (`newsletter.i18n`). Partners' text is
escaped by Jinja's autoescape, never trusted as HTML, and bounded in length (a 1 MB title
once made a 1 MB e-mail). No remote images, no web fonts, no tracking pixels, no
rewritten links: subscribers may live where reading this is risky; links are the
partners' own, without tracking parameters.

Direction: a right-to-left edition (`aggregator.scripts`) is right to left in every block:
MJML `direction` on sections and columns (MJML would give each column `direction:ltr`),
`dir` and `text-align` on the blocks. Runs in another direction stay whole: `<bdi>` around
partner names and dates in HTML, FSI ... PDI in the text part where a run's direction
differs from its line's, and a right-to-left mark opening a text line that would
otherwise start left to right.

Speed: what depends only on the language (catalog strings, section titles, region names,
dates, language names) is cached; each entry is prepared once in Python for both parts,
so that the template only lays out strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup, escape
from mjml import mjml2html

from aggregator.scripts import FSI, PDI, RLM, language_direction, text_direction
from newsletter import cldr, i18n
from newsletter.compose import Edition, Entry, clean_link
from newsletter.weeks import week_bounds

__all__ = [
    "FSI",
    "PDI",
    "TOKEN_PLACEHOLDER",
    "Rendered",
    "compile_mjml",
    "personalise",
    "render_edition",
    "render_html",
    "render_mjml",
    "render_text",
    "section_title",
    "shorten",
]

TEMPLATES = Path(__file__).parent / "templates"
#: Placeholder for the subscriber's secret token in links; `personalise` replaces it per message.
TOKEN_PLACEHOLDER = "SUBSCRIBER-TOKEN"
#: Columns of the plain-text part; only a line holding a single URL may be longer.
WIDTH = 78
#: Characters kept of a headline, a teaser and a partner's name; longer ones end in "…".
HEADLINE_LIMIT, SUMMARY_LIMIT, NAME_LIMIT = 300, 600, 120
SEPARATOR = " · "


def N_(message: str) -> str:
    """Mark a message for extraction (`make messages`); it is translated where it is shown."""
    return message


SECTION_TITLES = {
    "hunger-strike": N_("Hunger strikes"),
    "health": N_("Health appeals"),
    "trial-sentence": N_("Trials and sentences"),
    "release": N_("Releases"),
    "isolation": N_("Isolation and prison conditions"),
    "arrest": N_("Arrests and detention"),
    "administrative-detention": N_("Administrative detention"),
    "solidarity-action": N_("Solidarity actions"),
    "event-call": N_("Events and calls"),
    "statement": N_("Statements and declarations"),
    "other": N_("More news"),
}


@dataclass
class Rendered:
    language: str
    subject: str
    preheader: str
    html: str
    text: str


@dataclass
class _Mention:
    """A partner that also reported the story."""

    name: str
    url: str
    language: str  # the name of its language, in the reader's language ('' when unknown)
    isolate: bool  # in the text part: the name runs against the line's direction


@dataclass
class _Item:
    """An entry as both parts show it in one reader language."""

    url: str
    headline: str
    headline_lang: str
    headline_dir: str
    summary: str
    summary_lang: str
    summary_dir: str
    meta: list[str]  # partner, day, "in English"
    reports: list[_Mention] = field(default_factory=list)

    @property
    def headline_align(self) -> str:
        return "right" if self.headline_dir == "rtl" else "left"

    @property
    def summary_align(self) -> str:
        return "right" if self.summary_dir == "rtl" else "left"


def shorten(text: str | None, limit: int) -> str:
    """`text` cut to `limit` characters at a word boundary when there is one nearby, ending in '…'."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:–-…") + "…"


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept in memory and shared by every language's environment, and on disk.

    The compiled code does not depend on the catalog (the i18n extension looks messages up
    when the template runs), so a template is compiled once per process, not once per language;
    and once per installation: Jinja's own FileSystemBytecodeCache keeps it in the user's cache
    directory (beside the compiled catalogs), where the next process finds it. Jinja checks the
    template source's checksum and the Python version when loading, so a changed template is
    compiled again.
    """

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}
        self.disk: FileSystemBytecodeCache | None = None

    def _on_disk(self) -> FileSystemBytecodeCache | None:
        if self.disk is None:
            folder = i18n.cache_dir().parent / "templates"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self.disk = FileSystemBytecodeCache(str(folder))
            except OSError:
                return None
        return self.disk

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)
            return
        disk = self._on_disk()
        if disk is not None:
            try:
                disk.load_bytecode(bucket)
            except (OSError, ValueError, EOFError):
                bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()
        disk = self._on_disk()
        if disk is not None:
            try:
                disk.dump_bytecode(bucket)  # written to a temporary name and renamed by Jinja
            except OSError:
                pass


_BYTECODE = _SharedBytecode()


@lru_cache(maxsize=64)
def _environment(language: str) -> Environment:
    """One Jinja environment per language, built once; all share the compiled templates."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=False,
        bytecode_cache=_BYTECODE,
    )
    # added to the environment at run time by the i18n extension (Environment.extend), so unknown to its type
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


@lru_cache(maxsize=64)
def _words(language: str) -> dict:
    """What the frame says in `language` that does not depend on the edition."""
    translations = i18n.translations(language)
    gettext = translations.gettext
    direction = language_direction(language)
    return {
        "gettext": gettext,
        "ngettext": translations.ngettext,
        "dir": direction,
        "align": "right" if direction == "rtl" else "left",
        "section_titles": {key: gettext(title) for key, title in SECTION_TITLES.items()},
        # the separator of a list of names: the Persian and Arabic comma where the language uses it
        "separator": translations.pgettext("list separator", ", "),
        "also": gettext("Also reported by:"),
        "links": gettext("Links"),
    }


@lru_cache(maxsize=4096)
def _day(iso_text: str, language: str, zone) -> str:
    return cldr.format_day(datetime.fromisoformat(iso_text).astimezone(zone).date(), "d MMM", language)


@lru_cache(maxsize=1024)
def _in_language(code: str, language: str) -> str:
    return i18n.translations(language).gettext("in %(language)s") % {"language": i18n.language_name(code, language)}


@lru_cache(maxsize=1024)
def _region_name(key: str, language: str) -> str | None:
    """A region section's name: the taxonomy's label in the reader's language, else Babel's country name."""
    from aggregator.tagging import default_taxonomy

    if not key.startswith("country-"):
        return None
    label = next((tag.labels.get(language) for tag in default_taxonomy() if tag.id == key), None)
    if label:
        return label
    return cldr.territory_name(key[-2:].upper(), language) if len(key) == 10 else None


def section_title(key: str, language: str) -> str:
    """A section's heading in `language`, as the e-mail shows it (the desk's composer shows the same)."""
    words = _words(language)
    return words["section_titles"].get(key) or _region_name(key, language) or words["section_titles"]["other"]


def _direction_of(text: str, language: str | None, default: str) -> str:
    if language:
        return language_direction(language)
    return text_direction(text) or default


def _isolate(value: str, direction: str) -> str:
    """`value` between FSI and PDI when it would run against a line in `direction`."""
    own = text_direction(value)
    return f"{FSI}{value}{PDI}" if own and own != direction else value


def _item(entry: Entry, language: str, direction: str, zone) -> _Item:
    headline, headline_lang = entry.headline_in(language)
    summary, summary_lang = entry.summary_in(language)
    headline = shorten(headline, HEADLINE_LIMIT)
    summary = shorten(summary, SUMMARY_LIMIT)
    meta = [shorten(entry.source, NAME_LIMIT)] if entry.source else []
    if entry.published:
        meta.append(_day(entry.published, language, zone))
    if headline_lang and headline_lang != language:
        meta.append(_in_language(headline_lang, language))
    reports = []
    for report in entry.reports:
        name = shorten(report.source, NAME_LIMIT)
        reports.append(
            _Mention(
                name=name,
                url=clean_link(report.url),
                language=i18n.language_name(report.language, language) if report.language else "",
                isolate=(text_direction(name) or direction) != direction,
            )
        )
    return _Item(
        url=clean_link(entry.url),
        headline=headline,
        headline_lang=headline_lang or "",
        headline_dir=_direction_of(headline, headline_lang, direction),
        summary=summary,
        summary_lang=summary_lang or "",
        summary_dir=_direction_of(summary, summary_lang, direction),
        meta=meta,
        reports=reports,
    )


@lru_cache(maxsize=65_536)  # names, headlines and teasers recur in every language of an edition
def _e(text: str) -> str:
    return str(escape(text))


def _entry_html(item: _Item, direction: str, also: str, separator: str) -> Markup:
    """One entry's HTML inside its section's text block: built here, not in the template, because a
    Jinja loop escaping some twenty values per entry was most of an edition's rendering time.
    Everything from partners goes through `_e` (HTML escaping)."""
    meta = " · ".join(f'<bdi class="part">{_e(part)}</bdi>' for part in item.meta)
    html = [
        (
            f'<div dir="{direction}" style="padding:12px 0 4px">'
            f'<h3 lang="{_e(item.headline_lang)}" dir="{item.headline_dir}" style="font-size:18px;line-height:1.35;'
            f'text-align:{item.headline_align}"><a href="{_e(item.url)}">{_e(item.headline)}</a></h3>'
            f'<p class="meta" dir="{direction}">{meta}</p>'
        )
    ]
    if item.summary:
        html.append(
            f'<p lang="{_e(item.summary_lang)}" dir="{item.summary_dir}" style="text-align:{item.summary_align}">'
            f"{_e(item.summary)}</p>"
        )
    if item.reports:
        reports = _e(separator).join(
            f'<span class="part"><bdi><a href="{_e(report.url)}">{_e(report.name)}</a></bdi>'
            f"{f' ({_e(report.language)})' if report.language else ''}</span>"
            for report in item.reports
        )
        html.append(f'<p class="also" dir="{direction}"><span class="part">{_e(also)}</span> {reports}</p>')
    html.append("</div>")
    return Markup("".join(html))


def _frame(edition: Edition, language: str, site_name: str, base_url: str, zone) -> dict:
    """Everything both parts show, prepared once per language."""
    words = _words(language)
    gettext, direction = words["gettext"], words["dir"]
    base_url = base_url.rstrip("/")
    start, end = week_bounds(edition.week, zone)
    first = cldr.format_day(start.astimezone(zone).date(), "d MMMM", language)
    last = cldr.format_day((end - timedelta(days=1)).astimezone(zone).date(), "d MMMM y", language)
    week_label = gettext("News of the week %(first)s – %(last)s") % {"first": first, "last": last}
    count = len(edition.entries)
    partners = len(
        {entry.source for entry in edition.entries}
        | {report.source for entry in edition.entries for report in entry.reports}
    )
    ngettext = words["ngettext"]
    preheader = ngettext(
        "%(num)d story from %(partners)d partner organisations",
        "%(num)d stories from %(partners)d partner organisations",
        count,
    ) % {"num": count, "partners": partners}
    # a Latin site name must not turn a Persian subject left to right in the reader's inbox
    subject = gettext("%(site)s: %(week)s") % {"site": _isolate(site_name, direction), "week": week_label}
    intro_text = edition.intros.get(language) or gettext(
        "This week's news from the solidarity networks for political prisoners, gathered from our partners. "
        "Headlines in other languages are marked with their language."
    )
    sections = [
        (
            words["section_titles"].get(key) or _region_name(key, language) or words["section_titles"]["other"],
            [_item(entry, language, direction, zone) for entry in entries],
        )
        for key, entries in edition.sections(language)
    ]
    return {
        **words,
        "lang": language,
        "site_name": site_name,
        "week_label": week_label,
        "subject": subject,
        "preheader": preheader,
        "intro": [p for p in intro_text.split("\n\n") if p.strip()],
        "sections": sections,
        "archive_url": f"{base_url}/editions/{edition.week}/{language}",
        "preferences_url": f"{base_url}/subscription/{TOKEN_PLACEHOLDER}",
        "unsubscribe_url": f"{base_url}/unsubscribe/{TOKEN_PLACEHOLDER}",
    }


def render_mjml(edition: Edition, language: str, site_name: str, base_url: str, zone) -> tuple[str, dict]:
    """The MJML source of the edition in `language` (the first of the two steps)."""
    frame = _frame(edition, language, site_name, base_url, zone)
    return _mjml_source(frame), frame


def _mjml_source(frame: dict) -> str:
    values = {key: value for key, value in frame.items() if key not in ("gettext", "ngettext", "sections")}
    values["sections"] = [
        (title, [_entry_html(item, frame["dir"], frame["also"], frame["separator"]) for item in items])
        for title, items in frame["sections"]
    ]
    return _environment(frame["lang"]).get_template("edition.mjml.j2").render(values)


def compile_mjml(source: str) -> str:
    # fonts={}: mjml would otherwise link Google Fonts, a third-party request from the reader's mail client
    return mjml2html(source, fonts={}, disable_comments=True)


def render_html(edition: Edition, language: str, site_name: str, base_url: str, zone) -> tuple[str, dict]:
    source, frame = render_mjml(edition, language, site_name, base_url, zone)
    return compile_mjml(source), frame


def render_text(edition: Edition, language: str, site_name: str, base_url: str, zone) -> str:
    """The plain-text part: 78 columns, headings, and the links as numbered references at the end."""
    return _text_part(_frame(edition, language, site_name, base_url, zone))


def render_edition(edition: Edition, language: str, site_name: str, base_url: str, zone) -> Rendered:
    frame = _frame(edition, language, site_name, base_url, zone)
    return Rendered(
        language=language,
        subject=frame["subject"],
        preheader=frame["preheader"],
        html=compile_mjml(_mjml_source(frame)),
        text=_text_part(frame),
    )


def personalise(content: str, token: str) -> str:
    """Put a subscriber's token into the preference and unsubscribe links."""
    return content.replace(TOKEN_PLACEHOLDER, token)


# -- the plain-text part ---------------------------------------------------------------------------

_WORD = re.compile(r"\S+")


def _wrap(segments: list[tuple[str, bool]], direction: str) -> tuple[str, ...]:
    """Lines of at most WIDTH characters from `segments` (text, isolated?), marks included.

    An isolated segment is closed at each line's end and opened again on the next, so that a
    line never holds half an isolate. A right-to-left line that would start left to right
    (a Latin headline, a number) opens with RLM.
    """
    if len(segments) == 1 and not segments[0][1]:
        text = segments[0][0]
        if len(text) < WIDTH - 1 and "\n" not in text:
            return (_join([(text, 0, False)], segments, direction),) if text.strip() else ()
        return _wrap_plain(text, direction)
    if _joinable(segments):  # "[3] " + a headline, a meta line: one plain text, wrapped the same way
        return _wrap_plain("".join(text for text, _ in segments), direction)
    return _wrap_lines(tuple(segments), direction)


def _joinable(segments: Sequence[tuple[str, bool]]) -> bool:
    """No segment is isolated and white space separates each from the next: as one text, the same words."""
    texts = [text for text, isolated in segments if text]
    if any(isolated for _, isolated in segments):
        return False
    return all(left[-1].isspace() or right[0].isspace() for left, right in zip(texts, texts[1:], strict=False))


@lru_cache(maxsize=8192)
def _wrap_plain(text: str, direction: str) -> tuple[str, ...]:
    """`_wrap_lines` of one segment that is not isolated (paragraphs, most teasers), without its bookkeeping.

    Most of a first render's text part was spent in `_wrap_lines`; this gives the same lines
    (tested against it) at a fraction of the cost: words greedily, a word longer than a line cut
    into pieces that join without a space.
    """
    width = WIDTH - (1 if direction == "rtl" else 0)
    limit = width - 2
    lines: list[str] = []
    line: list[str] = []
    used = 0
    for word in text.split():
        spaced = True
        while word:
            piece, word = (word[:limit], word[limit:]) if len(word) > limit else (word, "")
            cost = len(piece) + (1 if spaced and line else 0)
            if line and used + cost > width:
                lines.append(_mark_line("".join(line), direction))
                line, used, cost = [], 0, len(piece)
            line.append(" " + piece if spaced and line else piece)
            used += cost
            spaced = False
    if line:
        lines.append(_mark_line("".join(line), direction))
    return tuple(lines)


@lru_cache(maxsize=8192)  # a teaser is wrapped once for all the languages that show it untranslated
def _wrap_lines(segments: tuple[tuple[str, bool], ...], direction: str) -> tuple[str, ...]:
    width = WIDTH - (1 if direction == "rtl" else 0)  # room for RLM
    tokens: list[tuple[str, int, bool]] = []  # (word, segment, preceded by a space)
    full = ""
    for index, (text, isolated) in enumerate(segments):
        offset = len(full)
        full += text
        # a short isolated run (a partner's name, a date) stays whole on one line
        words = (
            [re.search(r"\S.*\S|\S", text)] if isolated and len(text.strip()) <= width // 2 else _WORD.finditer(text)
        )
        for match in words:
            if match is None:
                continue
            word, start = match.group(), offset + match.start()
            spaced = start > 0 and full[start - 1].isspace()
            limit = width - 2
            while len(word) > limit:  # a word longer than a line (no URL is wrapped here) is cut
                tokens.append((word[:limit], index, spaced))
                word, spaced = word[limit:], False
            tokens.append((word, index, spaced))
    lines: list[list[tuple[str, int, bool]]] = [[]]
    used = 0
    for token in tokens:
        word, index, spaced = token
        line = lines[-1]
        opens = segments[index][1] and (not line or line[-1][1] != index)
        cost = len(word) + (1 if spaced and line else 0) + (2 if opens else 0)
        if line and used + cost > width:
            lines.append([])
            line = lines[-1]
            cost = len(word) + (2 if segments[index][1] else 0)
            used = 0
        line.append(token)
        used += cost
    return tuple(_join(line, segments, direction) for line in lines if line)


def _join(line: list[tuple[str, int, bool]], segments: Sequence[tuple[str, bool]], direction: str) -> str:
    out = []
    for position, (word, index, spaced) in enumerate(line):
        previous = line[position - 1][1] if position else None
        following = line[position + 1][1] if position + 1 < len(line) else None
        isolated = segments[index][1]
        if spaced and position:
            out.append(" ")
        if isolated and previous != index:
            out.append(FSI)
        out.append(word)
        if isolated and following != index:
            out.append(PDI)
    return _mark_line("".join(out), direction)


def _mark_line(text: str, direction: str) -> str:
    """A right-to-left line that would start left to right (or with an isolate) opens with RLM."""
    if direction != "rtl":
        return text
    own = text_direction(text)
    return RLM + text if own == "ltr" or (own is None and FSI in text) else text


def _text_part(frame: dict) -> str:
    direction, lang, gettext = frame["dir"], frame["lang"], frame["gettext"]
    links: list[str] = []

    def number(url: str) -> str:
        if url not in links:
            links.append(url)
        return f"[{links.index(url) + 1}]"

    def plain(text: str) -> tuple[str, ...]:
        return _wrap([(text, False)], direction)

    def foreign(text: str, text_dir: str) -> tuple[str, ...]:
        return _wrap([(text, text_dir != direction)], direction)

    rule = "=" * 40
    out = [*plain(frame["site_name"]), *plain(frame["week_label"]), rule, ""]
    for paragraph in frame["intro"]:
        out += [*plain(paragraph), ""]
    for title, items in frame["sections"]:
        if lang in ("tr", "az"):  # Turkish capitals: i -> İ, ı -> I
            title = title.replace("i", "İ")
        out += ["", *plain(title.upper()), "-" * 40, ""]
        for item in items:
            out += _wrap([(number(item.url) + " ", False), (item.headline, item.headline_dir != direction)], direction)
            meta = []
            for position, part in enumerate(item.meta):
                meta.append((part, (text_direction(part) or direction) != direction))
                if position + 1 < len(item.meta):
                    meta.append((SEPARATOR, False))
            out += _wrap(meta, direction)
            if item.summary:
                out += foreign(item.summary, item.summary_dir)
            if item.reports:
                also = [(frame["also"] + " ", False)]
                for position, report in enumerate(item.reports):
                    also.append((report.name, report.isolate))
                    tail = f" ({report.language})" if report.language else ""
                    tail += f" {number(report.url)}"
                    if position + 1 < len(item.reports):
                        tail += frame["separator"]
                    also.append((tail, False))
                out += _wrap(also, direction)
            out.append("")
    out += [rule]
    out += plain(
        gettext(
            "You receive this because you subscribed to %(site)s, the weekly digest of news from "
            "solidarity networks for political prisoners."
        )
        % {"site": frame["site_name"]}
    )
    out += plain(gettext("This e-mail has no tracking: no pixels, no rewritten links."))
    out.append("")
    for label, url in (
        (gettext("Read this edition in your browser"), frame["archive_url"]),
        (gettext("Change language or preferences"), frame["preferences_url"]),
        (gettext("Unsubscribe"), frame["unsubscribe_url"]),
    ):
        out += [*plain(f"{label}:"), url]  # a URL on a line of its own: never wrapped, easy to select
    out += ["", *plain(frame["links"])]
    out += [f"[{index}] {url}" for index, url in enumerate(links, start=1)]
    text = "\n".join(line.rstrip() for line in out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
