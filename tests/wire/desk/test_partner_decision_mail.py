"""The desk and `wire partners` tell a partner of a decision with the same e-mail (`newsletter.partner_mail`).

Both approve or reject a registration made the portal's way (`register`), in the partner's language,
and the messages arrive in a real SMTP server (aiosmtpd, the `mail_sink` fixture). Each decision is on
its own registration, so the messages differ only where the registration does: its feed's address and,
once approved, the page link signed for its own partner. Those are set aside (each link is checked to
open its own partner's page with the app's secret); everything else must be the same, byte for byte.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from aggregator import registrations as reg
from tests.conftest import make_config
from tests.wire.desk.test_desk_partners import register


@pytest.fixture
def config(tmp_path, mail_sink):
    """The test configuration, sending to the real SMTP server of `mail_sink`."""
    return make_config(tmp_path, smtp_url=mail_sink.url, base_url="http://wire.example")


def _decide_from_the_cli(config, decision: str, registration_id: int, reason: str) -> None:
    from wire.cli import cli

    env = {"WIRE_DB": str(config.db), "WIRE_SMTP_URL": config.smtp_url, "WIRE_BASE_URL": config.base_url}
    args = ["partners", decision, str(registration_id)] + (["--reason", reason] if decision == "reject" else [])
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output  # the mail went out


@pytest.mark.parametrize(("decision", "language"), [("approve", "fr"), ("reject", "fa")])
def test_the_desk_and_the_cli_send_the_partner_the_same_mail(
    desk_app, desk_client, db, config, mail_sink, decision, language
):
    reason = "Nous ne suivons que les nouvelles des prisonniers politiques. <b>Merci</b>"
    by_desk = register(db, language=language, url="http://127.0.0.1:9/feed/")
    by_cli = register(db, language=language, url="http://127.0.0.1:9/other-feed/")
    response = desk_client.post(f"/desk/partners/{by_desk['id']}/{decision}", data={"reason": reason})
    assert response.status_code == 303
    _decide_from_the_cli(config, decision, by_cli["id"], reason)

    messages = mail_sink.messages()
    assert len(messages) == 2
    bodies = {}
    for message in messages:
        body = message.get_payload(decode=True).decode()
        row = by_desk if by_desk["found_url"] in body else by_cli
        if decision == "approve":
            [code] = re.findall(r"http://wire\.example/partners/page/(\S+)", body)
            partner = reg.read_page_code(db, desk_app.config["SECRET_KEY"], code)
            approved = db.execute("SELECT partner_id FROM partner_registrations WHERE id = ?", [row["id"]]).fetchone()
            assert partner is not None and partner["id"] == approved[0]  # its own partner's page, signed alike
            body = body.replace(code, "CODE")
        else:
            assert reason in body  # the editor's words as they are, in a plain-text body
        bodies[row["id"]] = (
            message["Subject"],
            message["From"],
            message["To"],
            message["Content-Language"],
            message["Auto-Submitted"],
            message.get_content_type(),
            body.replace(row["found_url"], "FEED"),
        )
    assert set(bodies) == {by_desk["id"], by_cli["id"]}
    assert bodies[by_desk["id"]] == bodies[by_cli["id"]]
    assert bodies[by_desk["id"]][3] == language
