"""TLS and signing against real servers: aiosmtpd with STARTTLS or implicit TLS and a certificate
made here by a CA made here, and DKIM verified with dkimpy against the key made here.

Expect: an untrusted certificate is refused (nothing is sent, no AUTH), the test's CA in
`smtp_ca_file` makes it trusted; AUTH only ever inside TLS; a password is never offered to a
server without STARTTLS (one line, exit 2); every message carries a DKIM signature that verifies.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from aggregator.db import open_db
from newsletter.exceptions import InsecureSmtp, SmtpUnavailable
from newsletter.sending import open_smtp, send_edition
from tests.conftest import make_config
from tests.newsletter.sending_helpers import PickyHandler, add_readers, make_edition, per_address, wire, wire_env
from wire.mailsink import free_port


def _name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA and a server certificate for 127.0.0.1 signed by it, as PEM files."""
    folder = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Wire Test CA"))
        .issuer_name(_name("Wire Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    return folder


class Auth:
    """Accepts one user and records every AUTH the server received, and whether it came inside TLS."""

    def __init__(self):
        self.calls = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        in_tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        self.calls.append((mechanism, in_tls))
        ok = auth_data.login == b"wire" and auth_data.password == b"s3cret pass"
        return AuthResult(success=ok, handled=False)


def _server_context(pki):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    return context


def _knock(port, pki):
    import socket

    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.recv(1024)


class TlsServer:
    def __init__(self, maildir, pki, implicit=False, tls=True, auth_require_tls=True):
        self.port, self.auth, self.handler = free_port(), Auth(), PickyHandler(maildir)
        kwargs = dict(authenticator=self.auth, auth_require_tls=auth_require_tls)
        if tls and implicit:  # aiosmtpd's auth_require_tls knows STARTTLS only; the socket is TLS from the start
            kwargs.update(ssl_context=_server_context(pki), auth_require_tls=False)
        elif tls:
            kwargs["tls_context"] = _server_context(pki)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        if implicit:  # the controller's readiness check wraps with the server's context; knock as a client
            self.controller._trigger_server = lambda: _knock(self.port, pki)
        self.scheme = "smtps" if implicit else "smtp"

    def url(self, credentials="wire:s3cret%20pass@"):
        return f"{self.scheme}://{credentials}127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
def test_an_untrusted_certificate_is_refused_before_any_auth(tmp_path, pki, implicit):
    with TlsServer(tmp_path / "maildir", pki, implicit=implicit) as server:
        with pytest.raises(SmtpUnavailable, match="certificate is not trusted.*smtp_ca_file"):
            open_smtp(server.url(), timeout=10)
        assert server.auth.calls == []


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
def test_with_the_test_ca_configured_the_edition_goes_out_over_tls_and_auth_only_inside_it(tmp_path, pki, implicit):
    maildir = tmp_path / "maildir"
    with TlsServer(maildir, pki, implicit=implicit) as server:
        config = make_config(tmp_path, smtp_url=server.url(), smtp_ca_file=str(pki / "ca.pem"), languages="en,fa")
        db = open_db(config.db)
        edition_id = make_edition(db)
        readers = add_readers(db, 3)
        report = send_edition(db, config, edition_id)
        assert report.sent == 3 and report.status == "sent"
        assert server.auth.calls and all(in_tls for _, in_tls in server.auth.calls)
    assert per_address(maildir) == {address: 1 for address in readers}


def test_starttls_is_used_without_credentials_too(tmp_path, pki):
    with TlsServer(tmp_path / "maildir", pki) as server:
        client = open_smtp(server.url(credentials=""), timeout=10, ca_file=str(pki / "ca.pem"))
        try:
            assert isinstance(client.sock, ssl.SSLSocket)
        finally:
            client.quit()
        with pytest.raises(SmtpUnavailable, match="not trusted"):
            open_smtp(server.url(credentials=""), timeout=10)


def test_a_password_is_never_sent_to_a_server_without_tls(tmp_path, pki):
    """The server offers AUTH in clear (badly configured); the client refuses, in one line, exit 2."""
    with TlsServer(tmp_path / "maildir", pki, tls=False, auth_require_tls=False) as server:
        with pytest.raises(InsecureSmtp, match="unencrypted connection"):
            open_smtp(server.url(), timeout=10)
        config = make_config(tmp_path, smtp_url=server.url(), languages="en")
        db = open_db(config.db)
        edition_id = make_edition(db)
        add_readers(db, 2)
        result = wire(config, "edition", "send", str(edition_id), "--yes")
        assert server.auth.calls == []
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to send the SMTP password" in lines[0], lines
    assert "s3cret" not in result.stderr + result.stdout


def _dkim_key(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_every_message_is_dkim_signed_and_verifies_with_the_test_key(tmp_path):
    import dkim

    key_path, record = _dkim_key(tmp_path)
    maildir = tmp_path / "maildir"
    with TlsServer(maildir, None, tls=False) as server:
        config = make_config(
            tmp_path,
            smtp_url=server.url(credentials=""),
            languages="en,fa,de",
            dkim_key_file=str(key_path),
            dkim_selector="wire2026",
            mail_from="Solidarity Wire <weekly@solidarity-wire.example>",
        )
        db = open_db(config.db)
        edition_id = make_edition(db)
        add_readers(db, 3)
        assert send_edition(db, config, edition_id).sent == 3
    asked = []

    def dnsfunc(name, timeout=5):
        asked.append(name)
        return record if name == b"wire2026._domainkey.solidarity-wire.example." else None

    files = sorted((maildir / "new").iterdir())
    assert len(files) == 3
    for path in files:
        raw = path.read_bytes()
        assert raw.startswith(b"DKIM-Signature:")
        assert dkim.verify(raw, dnsfunc=dnsfunc), path
        tampered = raw.replace(b"Subject: ", b"Subject: [changed] ", 1)
        assert not dkim.verify(tampered, dnsfunc=dnsfunc)
    assert set(asked) == {b"wire2026._domainkey.solidarity-wire.example."}


def test_without_a_key_nothing_is_signed(tmp_path):
    maildir = tmp_path / "maildir"
    with TlsServer(maildir, None, tls=False) as server:
        config = make_config(tmp_path, smtp_url=server.url(credentials=""), languages="en")
        db = open_db(config.db)
        edition_id = make_edition(db)
        add_readers(db, 1)
        send_edition(db, config, edition_id)
    assert b"DKIM-Signature" not in next((maildir / "new").iterdir()).read_bytes()
    assert wire_env(config)  # the helper stays importable for the CLI cases above
