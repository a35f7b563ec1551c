"""Pages for subscribers: sign up (double opt-in), confirm, preferences behind the personal link, unsubscribe.

Only the secret token in the link identifies the reader, so pages that carry one are never
stored by a browser or a proxy (`Cache-Control: no-store`). Links in e-mails only ever show
a page; the change happens when the reader presses its button (POST), so a mail scanner
that follows links confirms, unsubscribes and deletes nobody (RFC 8058's one-click POST
to /unsubscribe/<token> is the one form without a CSRF token: mail clients send it).

The sign-up form answers the same whatever the address (new, pending, active or
unsubscribed), so it tells nobody who subscribes: the same page, and the same work before
it, since the form (and the one that sends a personal link again) only checks the input,
counts the address and queues the request in the outbox; `OutboxSender`, a thread of the web
app, carries it out off the request (the pending row, the e-mail through SMTP), so the
response time does not say whether a mail went out. Forms carry Flask-WTF's CSRF token;
posts are rate-limited per client by Flask-Limiter, and requests per address through the
same limiter's storage, silently, so that the form cannot be used to flood someone's inbox.

Rate-limit counts live in Flask-Limiter's memory storage (`rate_limit_storage = "memory://"`).
That is enough for `wire serve`: one waitress process whose threads share that storage (the
`limits` library locks it), so every request is counted once. Counts restart with the
process: a restart gives a client a fresh hour, which nobody outside can cause, and the limits
only damp abuse. Several processes behind a proxy would each count alone: set
`rate_limit_storage` to a shared store `limits` supports (redis://, memcached://, mongodb://).
Flask-Limiter has no SQLite storage, and a hand-made one would add a write transaction
to every form post.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    after_this_request,
    current_app,
    g,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from limits import parse as parse_limit

from aggregator.db import open_db
from aggregator.storage.audit import record_action
from aggregator.storage.outbox import count_requests, done_request, due_requests, put_off_request, queue_request
from aggregator.storage.subscribers import (
    confirm_subscriber,
    erase_subscriber,
    find_by_token,
    get_subscriber,
    resubscribe,
    rotate_token,
    set_paused,
    set_subscriber_language,
    subscriber_data,
    unsubscribe,
)
from newsletter.subscriptions import LinkSigner, carry_out_request, personal_link_message, send_message, token_digest
from wire.web import get_db

logger = logging.getLogger(__name__)

blueprint = Blueprint("subscribers", __name__, template_folder="templates")

#: Views that send e-mail on POST: limited per client address.
LIMITED = ("subscribers.subscribe", "subscribers.request_link")


def init_subscriber_forms(app, config) -> None:
    """CSRF on every form but the RFC 8058 one-click POST and the partners' box; a per-client limit on sign-ups.

    One Limiter per app (its storage belongs to the instance), so several apps in one process
    (tests) do not share counts.
    """
    csrf = CSRFProtect(app)
    csrf.exempt("wire.web.subscribers.unsubscribe_page")
    csrf.exempt("wire.web.subscribers.partner_box")  # it only shows our form, filled in; nothing is stored
    limiter = Limiter(
        get_remote_address, app=app, storage_uri=config.rate_limit_storage, default_limits=[], headers_enabled=False
    )
    app.extensions["wire_limiter"] = limiter
    outbox = app.extensions["wire_outbox"] = OutboxSender(app)
    database = open_db(config.db, migrate=False)
    try:
        if count_requests(database):  # left by a stop or a crash: sent now, not at the next sign-up
            outbox.wake()
    finally:
        database.conn.close()
    for endpoint in LIMITED:
        app.view_functions[endpoint] = limiter.limit(lambda: config.subscribe_limit_per_client, methods=["POST"])(
            app.view_functions[endpoint]
        )


def _config():
    return current_app.config["WIRE"]


def _now():
    return current_app.config["WIRE_CLOCK"]()


def _signer() -> LinkSigner:
    return LinkSigner(current_app.config["SECRET_KEY"], _now)


def _no_store() -> None:
    @after_this_request
    def _header(response):
        response.headers["Cache-Control"] = "no-store"
        return response


def _subscriber(token: str, speak_their_language: bool = True) -> dict | None:
    """The reader behind a personal link; their pages then speak their language unless `?lang=` says otherwise."""
    row = find_by_token(get_db(), token)
    if row is not None and speak_their_language:
        g.reader_language = row["language"]
    return row


def _address_allows_mail(email: str) -> bool:
    """Count one e-mail to this address; False once the per-address limit is reached (keyed by a digest)."""
    limiter = current_app.extensions["wire_limiter"]
    key = hashlib.sha256((current_app.config["SECRET_KEY"] + email.lower()).encode()).hexdigest()
    return limiter.limiter.hit(parse_limit(_config().subscribe_limit_per_address), "mail-to-address", key)


def _send(message, subscriber_id: int, what: str) -> None:
    """Send, and on failure log the subscriber id only: the form's answer must not change."""
    try:
        send_message(_config(), message)
    except Exception as error:  # noqa: BLE001 - the reader sees the same page; the operator sees the log
        logger.error("%s e-mail to subscriber %s not sent: %s", what, subscriber_id, type(error).__name__)


def _check_address(email: str) -> str | None:
    """The normalised address, or None when email-validator refuses it (syntax only: no DNS from the web app)."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _source(value: str) -> str:
    """'web', or 'partner:<name>' from the partners' box (a short plain name, nothing else kept)."""
    name = "".join(c for c in (value or "")[:40] if c.isalnum() or c in "-_. ")
    return f"partner:{name.strip()}" if name.strip() else "web"


# -- the outbox sender -----------------------------------------------------------------------------------------


class OutboxSender:
    """Carries out the forms' queued requests in a thread of the web app, off the requests.

    Started on the first request (or at start when rows were left), woken by each new one;
    it also looks every POLL seconds for requests put off after a failed attempt (the SMTP
    server down): tried again after 1, 2, 4... minutes, given up after ATTEMPTS. A request is
    deleted once done, so one left by a crash is carried out at the next start (at worst, a
    confirmation sent twice; never none).
    """

    POLL = 30.0
    ATTEMPTS = 6

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.woken = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.thread: threading.Thread | None = None

    def wake(self) -> None:
        with self.lock:
            self.idle.clear()
            self.woken.set()
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="wire-outbox", daemon=True)
                self.thread.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Whether every due request was carried out within `timeout` seconds (for tests and shutdown)."""
        return self.idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self.woken.wait(self.POLL)
            self.woken.clear()
            try:
                self.drain()
            except Exception:  # keep the sender alive; the rows stay and are tried at the next wake or poll
                logger.exception("outbox: a pass failed")
            with self.lock:
                if not self.woken.is_set():
                    self.idle.set()

    def drain(self) -> int:
        """Carry out every due request; return how many were done."""
        config, clock = self.app.config["WIRE"], self.app.config["WIRE_CLOCK"]
        signer = LinkSigner(self.app.config["SECRET_KEY"], clock)
        base = config.base_url.rstrip("/")
        with self.app.test_request_context("/"):  # url_for outside a request: paths only, the base is ours
            confirm_path = url_for("subscribers.confirm", code="CODE").removesuffix("CODE")
            preferences_path = url_for("subscribers.preferences", token="TOKEN").removesuffix("TOKEN")
        done = 0
        db = open_db(config.db, migrate=False)
        try:
            while rows := due_requests(db, clock()):
                for row in rows:
                    try:
                        carry_out_request(
                            db,
                            config,
                            row,
                            signer,
                            clock(),
                            lambda code: f"{base}{confirm_path}{code}",
                            lambda token: f"{base}{preferences_path}{token}",
                        )
                    except Exception as error:  # noqa: BLE001 - SMTP or anything else: put off, never lost at once
                        self._failed(db, row, error, clock())
                        continue
                    done_request(db, row["id"])
                    done += 1
        finally:
            db.conn.close()
        return done

    def _failed(self, db, row: dict, error: Exception, now) -> None:
        # the request id and kind only: no address in the log
        if row["attempts"] + 1 >= self.ATTEMPTS:
            done_request(db, row["id"])
            logger.error(
                "outbox request %s (%s) given up after %s attempts: %s",
                row["id"],
                row["kind"],
                row["attempts"] + 1,
                type(error).__name__,
            )
        else:
            put_off_request(db, row["id"], now, timedelta(minutes=2 ** row["attempts"]))
            logger.warning(
                "outbox request %s (%s) not sent, tried again later: %s", row["id"], row["kind"], type(error).__name__
            )


# -- sign-up -----------------------------------------------------------------------------------------------------


@blueprint.route("/subscribe", methods=["GET", "POST"])
def subscribe():
    """GET: the form. POST: queue the sign-up (a pending row and the confirmation follow), same answer for all."""
    config = _config()
    form = {
        "email": request.form.get("email", "").strip(),
        "language": request.form.get("language") or str(get_locale()),
        "source": request.form.get("source", ""),
    }
    if request.method == "GET":
        return render_template("subscribers/subscribe.html", form=form, error=None)
    email = _check_address(form["email"])
    if email is None:
        return render_template(
            "subscribers/subscribe.html", form=form, error=gettext("This is not an e-mail address. Please check it.")
        ), 400
    if form["language"] not in config.languages:
        return render_template(
            "subscribers/subscribe.html", form=form, error=gettext("Please choose a language from the list.")
        ), 400
    # the same work for every address: counted, queued, answered; OutboxSender does the rest
    if _address_allows_mail(email):
        queue_request(get_db(), "sign-up", email, _now(), language=form["language"], source=_source(form["source"]))
        current_app.extensions["wire_outbox"].wake()
    return render_template("subscribers/subscribe_sent.html")


@blueprint.post("/subscribe/box")
def partner_box():
    """What a partner's pasted form posts to: our own form, filled in, for the reader to send (CSRF-protected)."""
    form = {
        "email": request.form.get("email", "").strip()[:320],
        "language": request.form.get("language") or str(get_locale()),
        "source": request.form.get("source", "")[:40],
    }
    return render_template("subscribers/subscribe.html", form=form, error=None)


def _pending_from(code: str) -> dict | None:
    found = _signer().read_confirm_code(code, _config().confirm_link_max_age)
    if found is None:
        return None
    subscriber_id, digest = found
    row = next(get_db().query("SELECT * FROM subscribers WHERE id = ?", [subscriber_id]), None)
    if row is None or not hmac.compare_digest(token_digest(row["token"]), digest):
        return None
    g.reader_language = row["language"]
    return row


@blueprint.route("/subscribe/confirm/<code>", methods=["GET", "POST"])
def confirm(code):
    """GET shows a button (scanners follow links); POST confirms: consent is recorded at that moment."""
    _no_store()
    subscriber = _pending_from(code)
    if subscriber is None:
        return render_template("subscribers/confirm.html", state="invalid"), 404
    if request.method == "POST" or subscriber["status"] == "active":
        if subscriber["status"] != "active":
            subscriber = confirm_subscriber(get_db(), subscriber["id"], _now())
            record_action(get_db(), "subscriber", "confirmed", "subscriber", subscriber["id"])
        return render_template("subscribers/confirm.html", state="done", subscriber=subscriber)
    return render_template("subscribers/confirm.html", state="confirm", code=code)


# -- unsubscribe (unchanged: GET confirms, POST acts) ------------------------------------------------------------


@blueprint.route("/unsubscribe/", methods=["GET"])
@blueprint.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe_page(token=None):
    """GET shows a button (link scanners must not unsubscribe anyone); POST, also RFC 8058's, does it."""
    if token is None:
        return render_template("subscribers/unsubscribe.html", state="no-token")
    _no_store()
    subscriber = _subscriber(token, speak_their_language=False)  # kept as it was: the browser's language
    if subscriber is None:
        return render_template("subscribers/unsubscribe.html", state="unknown"), 404
    if request.method == "POST":
        unsubscribe(get_db(), token)
        record_action(get_db(), "subscriber", "unsubscribed", "subscriber", subscriber["id"])
        return render_template("subscribers/unsubscribe.html", state="done", token=token)
    return render_template("subscribers/unsubscribe.html", state="confirm", token=token)


# -- preferences -------------------------------------------------------------------------------------------------


@blueprint.get("/subscription/")
def preferences_help():
    """Where "Change language" leads from a public copy; with a form to have one's personal link sent again."""
    return render_template("subscribers/preferences_help.html", sent=False)


@blueprint.post("/subscription/link")
def request_link():
    """Send a confirmed reader their personal link again; the answer is the same for every address."""
    email = _check_address(request.form.get("email", ""))
    if email is not None and _address_allows_mail(email):  # the same work for every address, as the sign-up
        queue_request(get_db(), "personal-link", email, _now())
        current_app.extensions["wire_outbox"].wake()
    return render_template("subscribers/preferences_help.html", sent=True)


ACTIONS = ("language", "pause", "resume", "resubscribe", "rotate")


@blueprint.route("/subscription/<token>", methods=["GET", "POST"])
def preferences(token):
    """The reader's own page: language, pause, unsubscribe or resubscribe, their data, a new link, delete."""
    config = _config()
    _no_store()
    subscriber = _subscriber(token)
    if subscriber is None:
        abort(404)
    error = saved = None
    db = get_db()
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "language":
            language = request.form.get("language", "")
            if language not in config.languages:
                error = gettext("Unknown language %(code)s: choose one of the list.", code=repr(language))
            else:
                set_subscriber_language(db, subscriber["id"], language)
                g.reader_language = language  # this page answers in the language just chosen
                saved = True
        elif action in ("pause", "resume"):
            set_paused(db, subscriber["id"], action == "pause", _now())
            saved = True
        elif action == "resubscribe" and subscriber["status"] == "unsubscribed":
            resubscribe(db, subscriber["id"], _now())
            saved = True
        elif action == "rotate":
            new_token = rotate_token(db, subscriber["id"], _now())
            row = get_subscriber(db, subscriber["id"])
            url = config.base_url.rstrip("/") + url_for("subscribers.preferences", token=new_token)
            _send(personal_link_message(config, row, url, _now()), row["id"], "personal link")
            record_action(db, "subscriber", "link rotated", "subscriber", row["id"])
            return render_template("subscribers/link_rotated.html")
        elif action not in ACTIONS:
            abort(400)
        if saved:
            record_action(db, "subscriber", f"preferences: {action}", "subscriber", subscriber["id"])
        subscriber = get_subscriber(db, subscriber["id"])
    return render_template("subscribers/preferences.html", subscriber=subscriber, error=error, saved=saved)


@blueprint.get("/subscription/<token>/data.json")
def download_data(token):
    """Everything we keep about the reader, as JSON."""
    _no_store()
    subscriber = _subscriber(token)
    if subscriber is None:
        abort(404)
    body = json.dumps(subscriber_data(subscriber), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-subscription.json"'},
    )


@blueprint.route("/subscription/<token>/delete", methods=["GET", "POST"])
def delete(token):
    """GET asks; POST erases the address for good (an anonymous count is all that remains)."""
    _no_store()
    subscriber = _subscriber(token)
    if subscriber is None:
        if request.method == "POST":
            return render_template("subscribers/delete.html", state="done")
        abort(404)
    if request.method == "POST":
        erase_subscriber(get_db(), subscriber["id"], "deleted by the reader")
        record_action(get_db(), "subscriber", "erased by the reader", "subscriber", None)
        return render_template("subscribers/delete.html", state="done")
    return render_template("subscribers/delete.html", state="confirm", token=token)


# -- errors on these pages ---------------------------------------------------------------------------------------


@blueprint.app_errorhandler(429)
def too_many(_error):
    return render_template("subscribers/problem.html", problem="rate"), 429


@blueprint.app_errorhandler(CSRFError)
def stale_form(_error):
    return render_template("subscribers/problem.html", problem="csrf"), 400


__all__ = ["blueprint", "init_subscriber_forms"]
