"""/desk/subscribers: counts by language and status, search by address, CSV export for admins.

The list is what some governments would like to have, so the desk never shows it whole:
every editor sees the counts and may look up one address exactly ("is she subscribed?");
admins may also search by part of an address (a few characters at least, 50 rows at most)
and export the CSV, which is the same file as `wire subscribers export` and is recorded in
the audit log with the admin's address.
"""

from __future__ import annotations

from flask import Response, render_template, request

from aggregator.exceptions import InvalidInput
from aggregator.storage.audit import record_action
from aggregator.storage.subscriber_search import LIMIT, count_subscribers, search_subscribers
from aggregator.storage.subscribers import list_subscribers
from newsletter.subscriber_files import write_subscribers
from wire.web import get_db
from wire.web.desk import blueprint
from wire.web.desk.auth import actor, admin_required, current_editor, login_required

STATUSES = ("active", "paused", "pending", "unsubscribed")


@blueprint.route("/subscribers")
@login_required
def subscribers() -> tuple[str, int]:
    """Counts for everyone; with ?q=, the matching addresses (exact for editors, partial for admins)."""
    counts: dict[str, dict[str, int]] = {}
    for row in count_subscribers(get_db()):
        counts.setdefault(row["language"], {})[row["status"]] = row["count"]
    totals = {status: sum(by.get(status, 0) for by in counts.values()) for status in STATUSES}
    query = request.args.get("q", "").strip()
    partial = current_editor().is_admin and request.args.get("match") == "part"
    found, error = None, None
    if query:
        try:
            found = search_subscribers(get_db(), query, partial)
        except InvalidInput as problem:
            error = str(problem)
    return render_template(
        "desk/subscribers.html",
        counts=counts,
        totals=totals,
        statuses=STATUSES,
        query=query,
        partial=partial,
        found=found[:LIMIT] if found else found,
        more=bool(found and len(found) > LIMIT),
        limit=LIMIT,
        error=error,
    ), (400 if error else 200)


@blueprint.route("/subscribers/export.csv")
@admin_required
def export():
    """Every subscriber as CSV (email, language, status, consent date): `wire subscribers export`'s file."""
    rows = list_subscribers(get_db())
    record_action(get_db(), actor(), "subscribers exported", "subscriber", None, count=len(rows))
    return Response(
        write_subscribers(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="subscribers.csv"'},
    )
