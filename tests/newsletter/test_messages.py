"""A reader's message from the per-language template is the message the email package builds, and the
DKIM signature made with the cached key is dkimpy's own.

Expect: for Latin, Persian and Arabic editions (quoted-printable and base64 parts), the same headers
and the same decoded parts as `build_message`, with the reader's token in every link and no
placeholder left; encoded lines within 76 characters; an address that is not ASCII takes the email
package's way; the signature of `Signer` equals `dkim.sign` with the same key, headers and second.
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest

from benchmarks.rendering import edition
from newsletter.messages import MessageTemplate, build_message
from newsletter.render import TOKEN_PLACEHOLDER, render_edition
from newsletter.sending import CANONICALIZE, DKIM_HEADERS, Signer
from tests.conftest import make_config

NOW = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
SENDER = "Solidarity Wire <weekly@wire.example>"
BASE = "https://wire.example"
TOKEN = "Ab3_d-12" * 4


def _parse(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


@pytest.fixture(scope="module")
def rendered():
    subject = edition(12)
    return {
        lang: render_edition(subject, lang, "Solidarity Wire", BASE, ZoneInfo("Europe/Berlin"))
        for lang in ("en", "fa", "ar")
    }


@pytest.mark.parametrize("language", ["en", "fa", "ar"])
def test_the_template_gives_the_message_the_email_package_builds(rendered, language):
    template = MessageTemplate(rendered[language], SENDER, BASE, NOW)
    message_id, data = template.render("reader7@example.org", TOKEN, NOW)
    ours = _parse(data)
    theirs = _parse(build_message(rendered[language], SENDER, "reader7@example.org", TOKEN, BASE, NOW).as_bytes())
    for name in ("From", "To", "Subject", "Date", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id"):
        assert str(ours[name]).strip() == str(theirs[name]).strip(), name
    assert ours["Content-Language"] == language and ours.get_content_type() == "multipart/alternative"
    assert ours["Message-ID"] == message_id and message_id != template.message_id.decode()
    for kind in ("plain", "html"):
        text = ours.get_body((kind,)).get_content().replace("\r\n", "\n")
        assert text == theirs.get_body((kind,)).get_content().replace("\r\n", "\n")
        assert f"/unsubscribe/{TOKEN}" in text and TOKEN_PLACEHOLDER not in text
    assert TOKEN_PLACEHOLDER.encode() not in data
    body_lines = data.partition(b"\r\n\r\n")[2].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 76
    if language in ("fa", "ar"):  # the shorter encoding for mostly non-Latin text, as the email package picks
        assert ours.get_body(("plain",))["Content-Transfer-Encoding"] == "base64"


def test_two_readers_get_their_own_token_and_message_id(rendered):
    template = MessageTemplate(rendered["en"], SENDER, BASE, NOW)
    first_id, first = template.render("one@example.org", "a" * 32, NOW)
    second_id, second = template.render("two@example.org", "b" * 32, NOW)
    assert first_id != second_id
    assert b"a" * 32 in first and b"b" * 32 not in first and b"b" * 32 in second
    assert b"To: two@example.org\r\n" in second


def test_an_address_that_is_not_ascii_is_built_by_the_email_package(rendered):
    _id, data = MessageTemplate(rendered["en"], SENDER, BASE, NOW).render("lecteur@exämple.org", TOKEN, NOW)
    assert _parse(data)["To"].addresses[0].domain == "exämple.org"


def test_the_cached_key_signs_as_dkimpy_does(tmp_path, rendered):
    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    (tmp_path / "dkim.pem").write_bytes(pem)
    config = make_config(tmp_path, dkim_key_file=str(tmp_path / "dkim.pem"), mail_from=SENDER, dkim_selector="s1")
    _id, data = MessageTemplate(rendered["fa"], SENDER, BASE, NOW).render("reader@example.org", TOKEN, NOW)
    for _ in range(3):  # both signatures carry t= (the second): retried if a second passed between them
        second = int(time.time())
        ours = Signer(config)(data).removesuffix(data)
        reference = dkim.sign(
            data, b"s1", b"wire.example", pem, include_headers=list(DKIM_HEADERS), canonicalize=CANONICALIZE
        )
        if int(time.time()) == second:
            break
    assert ours == reference
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    assert dkim.verify(ours + data, dnsfunc=lambda name, timeout=5: record)


def test_a_key_file_that_is_no_private_key_is_one_clear_error(tmp_path):
    from aggregator.exceptions import InvalidInput

    (tmp_path / "dkim.pem").write_text("-----BEGIN CERTIFICATE-----\nnot a key\n-----END CERTIFICATE-----\n")
    config = make_config(tmp_path, dkim_key_file=str(tmp_path / "dkim.pem"), mail_from=SENDER)
    with pytest.raises(InvalidInput, match="dkim_key_file: cannot read .* as an unencrypted PEM private key"):
        Signer(config)
