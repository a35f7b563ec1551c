"""`wire demo` end to end: the demo network over HTTP, a real SMTP server, the Maildir it fills."""

import email
import email.policy
import mailbox
import re

import pytest

from wire.demo.pipeline import DEMO_SUBSCRIBERS, run_pipeline


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_pipeline(tmp_path_factory.mktemp("demo") / "work")


def test_summary_figures(result):
    assert result.sources >= 8
    assert result.items >= 30
    assert result.duplicates_folded >= 1  # the press release copied word for word
    assert result.stories < result.items
    assert result.delivered == len(DEMO_SUBSCRIBERS)


def test_rendered_files_in_every_language(result):
    names = {path.name for path in result.rendered}
    for language in ("en", "de", "tr", "fa"):
        assert {f"{language}.html", f"{language}.txt"} <= names
    persian = (result.rendered[0].parent / "fa.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*lang="fa"[^>]*dir="rtl"', persian)


def test_maildir_holds_multipart_messages_in_each_readers_language(result):
    messages = [
        email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
        for m in mailbox.Maildir(str(result.maildir), create=False)
    ]
    assert len(messages) == len(DEMO_SUBSCRIBERS)
    languages = dict(DEMO_SUBSCRIBERS)
    for message in messages:
        for header in ("From", "To", "Subject", "Date", "Message-ID", "Content-Language", "List-Unsubscribe"):
            assert message[header], header
        assert message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        assert message["Content-Language"] == languages[message["To"]]
        html = message.get_body(("html",)).get_content()
        assert "SUBSCRIBER-TOKEN" not in html and "/unsubscribe/" in html
