"""`wire editors`: the accounts that log in to the editors' desk."""

from __future__ import annotations

import json
import sys

import click

from aggregator.exceptions import InvalidInput
from wire.cli.output import relative, table
from wire.cli.state import check_language, pass_state


@click.group()
def editors():
    """Accounts for the editors' desk (/desk/)."""


def read_password() -> str:
    """The new password: asked twice at a terminal, else two lines of stdin; both must match.

    Never an option or an argument, which would leave it in the shell's history and `ps`.
    """
    if sys.stdin.isatty():
        first = click.prompt("new password", hide_input=True, err=True)
        second = click.prompt("the same again", hide_input=True, err=True)
    else:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 2:
            raise InvalidInput("give the password twice, on two lines of stdin")
        first, second = lines[0], lines[1]
    if first != second:
        raise InvalidInput("the two passwords differ; nothing was changed")
    return first


@editors.command("add")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May manage editors and settings.")
@click.option("--language", default="en", show_default=True, help="Language of the desk's pages for this editor.")
@pass_state
def editors_add(state, email, admin, language):
    """Create an editor's account; the password is asked twice (or read as two lines from stdin).

    \b
    Example:
        wire editors add ayse@example.org --admin
        printf '%s\\n%s\\n' "$PASS" "$PASS" | wire editors add ali@example.org --language fa
    """
    from aggregator.accounts import add_account, editor_email
    from aggregator.db import utcnow
    from aggregator.passwords import check_password

    check_language(state, language)
    email = editor_email(email)  # before the prompt: a typo in the address should not cost a password
    password = check_password(read_password())
    editor_id = add_account(state.db, email, password, admin=admin, language=language, actor="cli", now=utcnow())
    click.echo(f"editor {editor_id}: {email} ({'admin' if admin else 'editor'})")


@editors.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@pass_state
def editors_list(state, as_json):
    """Every editor: address, role, page language, last login, open sessions, lock.

    \b
    Example:
        wire editors list
    """
    from aggregator.accounts import list_accounts
    from aggregator.db import utcnow

    now = utcnow()
    rows = list_accounts(state.db, now)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        row["last_login"] = relative(row["last_login_at"], now)
        row["locked"] = relative(row["locked_until"], now) if row["locked_until"] else ""
    table(
        rows,
        [
            ("id", "id"),
            ("email", "email"),
            ("role", "role"),
            ("language", "language"),
            ("last_login", "last login"),
            ("sessions", "sessions"),
            ("failed_logins", "failures"),
            ("locked", "locked until"),
        ],
    )


@editors.command("remove")
@click.argument("email")
@pass_state
def editors_remove(state, email):
    """Remove an editor's account and log them out everywhere (their past work keeps their name).

    \b
    Example:
        wire editors remove ali@example.org
    """
    from aggregator.accounts import editor_email, remove_account
    from aggregator.db import utcnow

    email = editor_email(email)
    revoked = remove_account(state.db, email, actor="cli", now=utcnow())
    click.echo(f"removed {email}; {revoked} session(s) revoked")


@editors.command("reset")
@click.argument("email")
@pass_state
def editors_reset(state, email):
    """Set a new password (asked twice, or two lines of stdin), unlock the account and revoke its sessions.

    \b
    Example:
        wire editors reset ali@example.org
    """
    from aggregator.accounts import editor_email, reset_password
    from aggregator.db import utcnow
    from aggregator.passwords import check_password
    from aggregator.storage.editors import get_editor

    email = editor_email(email)
    get_editor(state.db, email)  # an unknown address fails before the password is asked
    password = check_password(read_password())
    revoked = reset_password(state.db, email, password, actor="cli", now=utcnow())
    click.echo(f"new password set for {email}; {revoked} session(s) revoked")
