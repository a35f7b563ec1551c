"""An Atom 1.0 feed of sent editions in one language (RFC 4287). Pure.

Built with ElementTree so that every title and summary is escaped by the serializer.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"


def editions_feed(editions: list[dict], language: str, base_url: str, site_name: str, title: str) -> bytes:
    """`editions`: dicts with week, sent_at, subject, summary and optionally content, the edition's HTML.

    Newest first.
    """
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{base}/editions/{language}.atom"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = editions[0]["sent_at"] if editions else "1970-01-01T00:00:00+00:00"
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = site_name
    ET.SubElement(
        feed,
        f"{{{ATOM}}}link",
        {"rel": "self", "type": "application/atom+xml", "href": f"{base}/editions/{language}.atom"},
    )
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": f"{base}/editions/"})
    for edition in editions:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{base}/editions/{edition['week']}/{language}"
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}title").text = edition["subject"]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = edition["sent_at"]
        ET.SubElement(entry, f"{{{ATOM}}}published").text = edition["sent_at"]
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": url})
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = edition["summary"]
        if edition.get("content"):
            ET.SubElement(entry, f"{{{ATOM}}}content", {"type": "html"}).text = edition["content"]
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
