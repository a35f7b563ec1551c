"""/desk/partners: partner registrations waiting for an editor's decision, approved or rejected here.

The same library calls as `wire partners approve|reject` (`approve_registration`, which creates
the partner and its source as `wire sources add` does, and `reject_registration`), the same
audit entries (with the editor's address instead of the CLI's `--editor`), and the same
e-mail to the partner in the language of their form (`newsletter.partner_mail`). The decision
is stored first: a mail that cannot be sent is said on the page, and the decision stands.

Contact addresses: an editor sees the address of a registration that waits for a decision (it
helps judge it: does the address belong to the organisation's website?). Of the others, once
decided or not confirmed, editors see only the domain and admins the whole address: together
they are a list of the people behind solidarity groups, and the desk treats that list as it
treats subscribers' addresses (never shown whole to every editor).
"""

from __future__ import annotations

import logging

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from aggregator.exceptions import ConflictError, InvalidInput
from aggregator.registrations import approve_registration, reject_registration
from aggregator.storage.audit import record_action
from aggregator.storage.registrations import count_registrations, list_registrations
from newsletter.partner_mail import send_decision
from wire.web import get_db
from wire.web.desk import blueprint
from wire.web.desk.auth import actor, current_editor, login_required

logger = logging.getLogger(__name__)

#: The lists an editor can choose, the one waiting for them first ('previewed' ones were never sent).
STATUSES = ("pending", "unconfirmed", "approved", "rejected")


def _config():
    return current_app.config["WIRE"]


def _now():
    return current_app.config["WIRE_CLOCK"]()


def waiting_count() -> int:
    """Registrations waiting for a decision, for the nav; counted once per request, only when the nav asks."""
    if "desk_partners_waiting" not in g:
        g.desk_partners_waiting = count_registrations(get_db(), "pending")
    return int(g.desk_partners_waiting)


@blueprint.context_processor
def _nav_count():
    return {"desk_partners_waiting": waiting_count}


def shown_contact(row: dict, is_admin: bool) -> str:
    """The contact address as this editor may see it: whole when pending or for admins, else only its domain."""
    address = row["contact_email"] or ""
    if is_admin or row["status"] == "pending":
        return address
    return "…@" + address.rpartition("@")[2]


@blueprint.route("/partners")
@login_required
def partners():
    """The registrations in one state (?status=, pending by default), with what the site check found."""
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        return _page("pending", problem=gettext("There is no such list of registrations.")), 400
    return _page(status)


def _page(status: str, problem: str | None = None, problem_for: int | None = None, reason: str = ""):
    db = get_db()
    rows = list_registrations(db, status)
    if status != "pending":
        rows.reverse()  # the newest decisions first; pending ones in the order they came
    is_admin = current_editor().is_admin
    for row in rows:
        row["contact_shown"] = shown_contact(row, is_admin)
        row["language_codes"] = [code for code in (row["languages"] or "").split(",") if code]
    return render_template(
        "desk/partners.html",
        registrations=rows,
        status=status,
        statuses=STATUSES,
        counts={name: count_registrations(db, name) for name in STATUSES},
        problem=problem,
        problem_for=problem_for,
        reason=reason,
    )


@blueprint.route("/partners/<int:registration_id>/approve", methods=["POST"])
@login_required
def approve_partner(registration_id: int):
    """Approve: partner and source created, the partner mailed their page link (`wire partners approve`)."""
    try:
        registration = approve_registration(get_db(), registration_id, actor(), _now())
    except ConflictError as error:
        return _page("pending", problem=str(error), problem_for=registration_id), 409
    record_action(get_db(), actor(), "partner registration approved", "partner", registration["partner_id"])
    _tell(registration)
    flash(gettext("Approved: the partner and its source are added."), "ok")
    return redirect(url_for("desk.partners"), code=303)


@blueprint.route("/partners/<int:registration_id>/reject", methods=["POST"])
@login_required
def reject_partner(registration_id: int):
    """Reject with a reason, which the partner receives by e-mail (`wire partners reject --reason`)."""
    reason = request.form.get("reason", "")
    if not reason.strip():
        problem = gettext("Write the reason for the partner: it is sent to them.")
        return _page("pending", problem=problem, problem_for=registration_id), 400
    try:
        registration = reject_registration(get_db(), registration_id, reason, actor(), _now())
    except (InvalidInput, ConflictError) as error:
        status = 409 if isinstance(error, ConflictError) else 400
        return _page("pending", problem=str(error), problem_for=registration_id, reason=reason), status
    record_action(get_db(), actor(), "partner registration rejected", "partner_registration", registration_id)
    _tell(registration)
    flash(gettext("Rejected: the partner is told why."), "ok")
    return redirect(url_for("desk.partners"), code=303)


def _tell(registration: dict) -> None:
    """E-mail the decision to the partner, as `wire partners` does; a failure is said, the decision stands."""
    try:
        send_decision(get_db(), _config(), current_app.config["SECRET_KEY"], registration, _now())
    except Exception as error:  # noqa: BLE001 - the decision is stored; the editor can tell the partner
        # the error's type only: an SMTP refusal would carry the partner's address into the log
        logger.error(
            "decision e-mail for partner registration %s not sent: %s", registration["id"], type(error).__name__
        )
        flash(gettext("The e-mail to the partner was not sent: please tell them yourself."), "error")
