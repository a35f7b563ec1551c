"""Render a partner's feed as RSS 2.0, Atom 1.0 or RSS 1.0 (RDF), faults included.

Feeds are written as text by hand rather than through an XML library, because the
demo must also serve what real partners serve: excerpts only, a legacy encoding, an
unescaped ampersand, an unclosed item, a date no parser reads. The faults a partner's
feed carries are listed in its content file (``feed.faults`` and ``feed_faults`` on
single articles) and applied here.
"""

from __future__ import annotations

import html
import uuid
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from wire.demo import dates
from wire.demo.content import FeedSpec, PartnerSpec
from wire.demo.posts import Post, excerpt

WORDPRESS_NAMESPACES = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"\n\t'
    'xmlns:wfw="http://wellformedweb.org/CommentAPI/"\n\t'
    'xmlns:dc="http://purl.org/dc/elements/1.1/"\n\t'
    'xmlns:atom="http://www.w3.org/2005/Atom"\n\t'
    'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n\t'
    'xmlns:slash="http://purl.org/rss/1.0/modules/slash/"'
)


def render_feed(partner: PartnerSpec, posts: list[Post], origin: str, now: datetime) -> bytes:
    """Return the feed document as bytes in the partner's declared encoding."""
    feed = _feed_of(partner)
    renderer = {"rss2": _rss2, "atom": _atom, "rdf": _rdf}[feed.format]
    text = renderer(partner, posts, origin, now)
    # Characters the legacy encoding lacks become character references, as PHP does.
    return text.encode(feed.encoding, errors="xmlcharrefreplace")


def _feed_of(partner: PartnerSpec) -> FeedSpec:
    """Return the partner's feed; only a partner with a feed has one rendered."""
    if partner.feed is None:
        raise ValueError(f"partner {partner.slug!r} has no feed")
    return partner.feed


def content_html(post: Post) -> str:
    """Return an article body as the HTML a CMS puts in a feed."""
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in post.paragraphs)


def _summary(partner: PartnerSpec, post: Post) -> str:
    ellipsis = partner.feed.ellipsis if partner.feed else "…"
    return excerpt(post.spec.body_text.replace("\n\n", " "), ellipsis)


def _link(partner: PartnerSpec, post: Post) -> str:
    """Return the item link, with the tracking parameters some CMS plugins add."""
    tracking = partner.feed.tracking if partner.feed else ""
    return post.url + tracking


def _prolog(partner: PartnerSpec) -> str:
    encoding = partner.feed.encoding if partner.feed else "utf-8"
    return f'<?xml version="1.0" encoding="{encoding}"?>'


def _newest(posts: list[Post], now: datetime) -> datetime:
    return posts[0].published if posts else now


def _rss2(partner: PartnerSpec, posts: list[Post], origin: str, now: datetime) -> str:
    wordpress = partner.theme == "wordpress"
    feed, offset = _feed_of(partner), partner.utc_offset
    if wordpress:
        opening = f'<rss version="2.0"\n\t{WORDPRESS_NAMESPACES}\n\t>'
    else:
        opening = '\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    head = [_prolog(partner) + opening, "<channel>", f"\t<title>{escape(partner.name)}</title>"]
    if wordpress:
        self_link = f"{origin}{feed.path}"
        head.append(f'\t<atom:link href="{self_link}" rel="self" type="application/rss+xml" />')
    head += [
        f"\t<link>{origin}/</link>",
        f"\t<description>{escape(partner.tagline)}</description>",
        f"\t<lastBuildDate>{dates.rfc822(_newest(posts, now), offset)}</lastBuildDate>",
        f"\t<language>{partner.language}</language>",
    ]
    if wordpress:
        head += [
            "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>",
            "\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>",
            "\t<generator>https://wordpress.org/?v=6.4.3</generator>",
        ]
    items = [_rss2_item(partner, post, origin, wordpress) for post in posts]
    return "\n".join(head + items + ["</channel>", "</rss>", ""])


def _rss2_item(partner: PartnerSpec, post: Post, origin: str, wordpress: bool) -> str:
    feed, spec = _feed_of(partner), post.spec
    faults = set(feed.faults) & set(spec.feed_faults)
    title = spec.title if "raw-ampersand" in faults else escape(spec.title)
    if "bad-date" in faults:
        pub_date = dates.spanish_broken(post.published, partner.utc_offset)
    else:
        pub_date = dates.rfc822(post.published, partner.utc_offset)
    lines = [
        "\t<item>",
        f"\t\t<title>{title}</title>",
        f"\t\t<link>{escape(_link(partner, post))}</link>",
    ]
    if wordpress:
        lines += [
            f"\t\t<comments>{post.url}#respond</comments>",
            f"\t\t<dc:creator><![CDATA[{spec.author}]]></dc:creator>",
            f"\t\t<pubDate>{pub_date}</pubDate>",
            *(f"\t\t<category><![CDATA[{tag}]]></category>" for tag in spec.tags),
            f'\t\t<guid isPermaLink="false">{origin}/?p={spec.post_id}</guid>',
            f"\t\t<description><![CDATA[{_summary(partner, post)}]]></description>",
        ]
        if feed.content == "full":
            encoded = f"<![CDATA[{content_html(post)}]]>"
            lines.append(f"\t\t\t\t\t<content:encoded>{encoded}</content:encoded>")
        lines += [
            f"\t\t\t\t\t<wfw:commentRss>{post.url.rstrip('/')}/feed/</wfw:commentRss>",
            f"\t\t<slash:comments>{len(spec.comments)}</slash:comments>",
        ]
    else:
        description = _summary(partner, post) if feed.content == "excerpt" else content_html(post)
        lines += [
            f"\t\t<pubDate>{pub_date}</pubDate>",
            f"\t\t<dc:creator>{escape(spec.author)}</dc:creator>",
            *(f"\t\t<category>{escape(tag)}</category>" for tag in spec.tags),
            f'\t\t<guid isPermaLink="true">{escape(post.url)}</guid>',
            f"\t\t<description>{escape(description)}</description>",
        ]
    if "unclosed-item" not in faults:
        lines.append("\t</item>")
    return "\n".join(lines)


def _atom(partner: PartnerSpec, posts: list[Post], origin: str, now: datetime) -> str:
    feed, offset = _feed_of(partner), partner.utc_offset
    lines = [
        _prolog(partner),
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{partner.language}">',
        f'  <title type="text">{escape(partner.name)}</title>',
        f'  <subtitle type="text">{escape(partner.tagline)}</subtitle>',
        f'  <link rel="alternate" type="text/html" href="{origin}/"/>',
        f'  <link rel="self" type="application/atom+xml" href="{origin}{feed.path}"/>',
        f"  <id>{origin}/</id>",
        f"  <updated>{dates.rfc3339(_newest(posts, now), offset)}</updated>",
        "  <generator>Hugo</generator>"
        if partner.theme != "wordpress"
        else '  <generator uri="https://wordpress.org/" version="6.4.3">WordPress</generator>',
    ]
    for post in posts:
        spec = post.spec
        lines += [
            "  <entry>",
            f'    <title type="text">{escape(spec.title)}</title>',
            f'    <link rel="alternate" type="text/html" href={quoteattr(_link(partner, post))}/>',
            f"    <id>{_entry_id(partner, post)}</id>",
            f"    <published>{dates.rfc3339(post.published, offset)}</published>",
            f"    <updated>{dates.rfc3339(post.published, offset)}</updated>",
            f"    <author><name>{escape(spec.author)}</name></author>",
            *(f"    <category term={quoteattr(tag)}/>" for tag in spec.tags),
            f'    <summary type="text">{escape(_summary(partner, post))}</summary>',
        ]
        if feed.content == "full":
            content = escape(content_html(post))
            lines.append(f'    <content type="html" xml:base="{origin}/">{content}</content>')
        lines.append("  </entry>")
    lines += ["</feed>", ""]
    return "\n".join(lines)


def _entry_id(partner: PartnerSpec, post: Post) -> str:
    """Return a stable Atom id that does not depend on the port the server got."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{post.spec.key}"))


def _rdf(partner: PartnerSpec, posts: list[Post], origin: str, now: datetime) -> str:
    feed, offset = _feed_of(partner), partner.utc_offset
    lines = [
        _prolog(partner),
        "<rdf:RDF",
        '  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
        '  xmlns="http://purl.org/rss/1.0/"',
        '  xmlns:dc="http://purl.org/dc/elements/1.1/"',
        '  xmlns:content="http://purl.org/rss/1.0/modules/content/"',
        f'  xml:lang="{partner.language}">',
        f'<channel rdf:about="{origin}{feed.path}">',
        f"  <title>{escape(partner.name)}</title>",
        f"  <link>{origin}/</link>",
        f"  <description>{escape(partner.tagline)}</description>",
        f"  <dc:language>{partner.language}</dc:language>",
        f"  <dc:date>{dates.rfc3339(_newest(posts, now), offset)}</dc:date>",
        "  <items>",
        "    <rdf:Seq>",
        *(f"      <rdf:li rdf:resource={quoteattr(_link(partner, p))}/>" for p in posts),
        "    </rdf:Seq>",
        "  </items>",
        "</channel>",
    ]
    for post in posts:
        spec = post.spec
        link = _link(partner, post)
        lines += [
            f"<item rdf:about={quoteattr(link)}>",
            f"  <title>{escape(spec.title)}</title>",
            f"  <link>{escape(link)}</link>",
            f"  <description>{escape(_summary(partner, post))}</description>",
        ]
        if feed.content == "full":
            lines.append(f"  <content:encoded><![CDATA[{content_html(post)}]]></content:encoded>")
        lines += [
            f"  <dc:creator>{escape(spec.author)}</dc:creator>",
            f"  <dc:date>{dates.rfc3339(post.published, offset)}</dc:date>",
            *(f"  <dc:subject>{escape(tag)}</dc:subject>" for tag in spec.tags),
            "</item>",
        ]
    lines += ["</rdf:RDF>", ""]
    return "\n".join(lines)
