"""`wire partners`: registrations from the partner portal, waiting for an editor's decision.

A decision is stored first, then the partner is told by e-mail in the language of their form;
a mail that cannot be sent is a warning on stderr, and the decision stands.
"""

from __future__ import annotations

import json

import click

from wire.cli.state import pass_state

STATUSES = ("previewed", "unconfirmed", "pending", "approved", "rejected")


def _plain(value) -> str:
    """A partner's text for a terminal: no control or bidi characters, no rich markup, on one line."""
    from rich.markup import escape

    from aggregator.text import clean_at_door

    return escape(" ".join(clean_at_door("" if value is None else str(value)).split()))


def _secret(state) -> str:
    from aggregator.storage.app_secrets import get_or_create_secret

    return state.config.secret_key or get_or_create_secret(state.db, "web")


def _tell(state, registration: dict) -> None:
    """E-mail the decision to the partner; a failure is a warning, never an error: the decision is made."""
    from aggregator.db import utcnow
    from newsletter.partner_mail import send_decision

    try:
        send_decision(state.db, state.config, _secret(state), registration, utcnow())
    except Exception as error:  # noqa: BLE001 - the decision is stored; the editor can tell the partner
        click.echo(
            f"Warning: the e-mail to the partner was not sent ({type(error).__name__}: {error}); tell them yourself",
            err=True,
        )


@click.group()
def partners():
    """Partner registrations: list them, approve or reject them."""


@partners.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only registrations in this state (default: all).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@pass_state
def partners_list(state, status, as_json):
    """Registrations with their organisation, contact, feed, languages and what the site check found.

    \b
    Example:
        wire partners list --status pending
    """
    from aggregator.storage.registrations import list_registrations
    from wire.cli.output import table

    rows = list_registrations(state.db, status)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        report = row["report"] or {}
        row["problems"] = ", ".join(problem["code"] for problem in report.get("problems", []))
        row["found"] = f"{row['found_kind']} {row['found_url']}"
        for key in ("organisation", "contact_email", "found", "languages", "countries", "description", "reason"):
            row[key] = _plain(row[key])
    table(
        rows,
        [
            ("id", "id"),
            ("status", "status"),
            ("organisation", "organisation"),
            ("contact_email", "contact"),
            ("found", "feed or site"),
            ("languages", "languages"),
            ("countries", "countries"),
            ("problems", "problems"),
            ("description", "description"),
            ("reason", "reason"),
        ],
    )


@partners.command("approve")
@click.argument("registration_id", type=int)
@click.option("--editor", default="cli", show_default=True, help="Who decided (kept in the audit log).")
@pass_state
def partners_approve(state, registration_id, editor):
    """Approve a pending registration: the partner and its source are created, the partner is told by e-mail.

    \b
    Example:
        wire partners approve 4
    """
    from aggregator.db import utcnow
    from aggregator.registrations import approve_registration
    from aggregator.storage.audit import record_action

    registration = approve_registration(state.db, registration_id, editor, utcnow())
    record_action(state.db, editor, "partner registration approved", "partner", registration["partner_id"])
    _tell(state, registration)
    click.echo(f"registration {registration_id}: approved; partner {registration['partner_id']}")


@partners.command("reject")
@click.argument("registration_id", type=int)
@click.option("--reason", required=True, help="Why, in words the partner will read (sent to them).")
@click.option("--editor", default="cli", show_default=True, help="Who decided (kept in the audit log).")
@pass_state
def partners_reject(state, registration_id, reason, editor):
    """Reject a pending registration; the partner gets the reason by e-mail.

    \b
    Example:
        wire partners reject 4 --reason "We collect news about political prisoners only."
    """
    from aggregator.db import utcnow
    from aggregator.registrations import reject_registration
    from aggregator.storage.audit import record_action

    registration = reject_registration(state.db, registration_id, reason, editor, utcnow())
    record_action(state.db, editor, "partner registration rejected", "partner_registration", registration_id)
    _tell(state, registration)
    click.echo(f"registration {registration_id}: rejected")


@partners.command("token")
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Only revoke the token; issue no new one.")
@pass_state
def partners_token(state, email, revoke):
    """Replace (or only revoke) the API token of the partner with this contact address; prints the new token once.

    The token belongs to the address's newest approved registration (else its newest); the
    old token stops working at once. Only its hash is kept: pass the printed token to the
    partner by a channel you trust, it cannot be shown again.

    \b
    Example:
        wire partners token contact@partner.example
        wire partners token contact@partner.example --revoke
    """
    from aggregator.db import utcnow
    from aggregator.exceptions import NotFound
    from aggregator.storage.api_tokens import issue_token, registration_of_contact, revoke_tokens
    from aggregator.storage.audit import record_action

    registration = registration_of_contact(state.db, email)
    if registration is None:
        raise NotFound(f"no partner registration with the contact address {email!r} (see `wire partners list`)")
    if revoke:
        count = revoke_tokens(state.db, registration["id"], utcnow())
        record_action(state.db, "cli", "API token revoked", "partner_registration", registration["id"])
        click.echo(f"registration {registration['id']}: {count} token(s) revoked")
        return
    token = issue_token(state.db, registration["id"], utcnow(), verified=True)  # the editor vouches for it
    record_action(state.db, "cli", "API token replaced", "partner_registration", registration["id"])
    click.echo(f"registration {registration['id']} ({_plain(registration['organisation'])}): new API token", err=True)
    click.echo(token)
