"""Pages for partners: register a feed (with a preview of what we read), confirm the address, their own page.

The registration form is the most exposed door of the system: it takes URLs from strangers and
fetches them. So: the fetch is `crawlers.site_check.check_site` (network guard on every hop, one
budget of time, requests and bytes); every field is checked by `aggregator.registrations`
(length limits, http/https only, e-mail syntax, known languages) before anything is fetched;
posts are limited per client and per contact address through the app's one Limiter
(`app.extensions["wire_limiter"]`, made in wire/web/subscribers.py); a hidden field that people
never see and robots fill (the honeypot) makes the post vanish behind the usual answer; and
everything a partner or a feed wrote is shown through Jinja's escaping, links only when http(s).

No password: the partner's page is behind a signed link (`aggregator.registrations.page_code`)
that they can replace by e-mail at /partners/link, which revokes every older one.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, abort, after_this_request, current_app, g, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from limits import parse as parse_limit
from wtforms import SelectMultipleField, StringField, TextAreaField, widgets

from aggregator import registrations as reg
from aggregator.exceptions import ConflictError, InvalidInput
from aggregator.storage.audit import record_action
from aggregator.storage.registrations import (
    find_partner_by_email,
    latest_partner_items,
    partner_sources,
)
from aggregator.urls import is_http_url
from crawlers.site_check import check_site
from newsletter.partner_mail import confirmation_message, page_link_message, page_url, send_message
from wire.web import get_db

logger = logging.getLogger(__name__)

blueprint = Blueprint("partners", __name__, url_prefix="/partners", template_folder="templates")

#: Posts of the registration and link forms per client address, and per contact address
#: (an app may set PARTNER_LIMIT_PER_CLIENT / PARTNER_LIMIT_PER_ADDRESS; tests lower them).
LIMIT_PER_CLIENT = "20 per hour"
LIMIT_PER_ADDRESS = "5 per day"
#: The hidden field people never see and form-filling robots do.
HONEYPOT = "company_fax"


def N_(message: str) -> str:
    """Mark `message` for `make messages` (a default Babel keyword); it is translated where it is shown."""
    return message


LABELS = {
    "organisation": N_("Name of your organisation"),
    "website": N_("Website"),
    "contact_email": N_("Contact e-mail"),
    "feed_url": N_("Feed address (or leave empty: we look on your website)"),
    "languages": N_("Languages you publish in"),
    "countries": N_("Countries you report on"),
    "description": N_("A few words about your organisation"),
}
FIELD_ERRORS = {
    "required": N_("%(field)s: please fill this in."),
    "too_long": N_("%(field)s: at most %(limit)s characters."),
    "too_many": N_("%(field)s: at most %(limit)s."),
    "not_http": N_("%(field)s: only addresses starting with http:// or https://."),
    "not_email": N_("%(field)s: this is not an e-mail address."),
    "unknown_language": N_("%(field)s: please choose from the list."),
}
#: Problems of a site check, in the partner's language (the English detail is the fallback).
PROBLEMS = {
    "no_dates": N_("Some entries have no date: we cannot tell when they were published."),
    "excerpts_only": N_("Your feed carries only excerpts: we will read each article's page for the rest."),
    "encoding": N_("The character encoding of your feed is wrong or not declared: letters may come out wrong."),
    "robots": N_("Your robots.txt forbids our crawler to read this address."),
    "not_a_feed": N_("We found no feed here. We can read your site's pages, but a feed works better."),
    "too_big": N_("The answer is too big for us to read. Please give the address of the feed itself."),
    "timeout": N_("Your site did not answer in time. Please try again later."),
    "blocked": N_("We do not fetch this address (a private or local network, or not http/https)."),
    "unreachable": N_("We could not reach this address."),
    "http_error": N_("Your site answered with an error."),
    "limit": N_("We stopped reading after too many requests. Please give the address of the feed itself."),
    "malformed": N_("Your feed has errors, but we could read it."),
}


#: Why the last fetch of a partner's source failed, said to the partner in their language with what
#: they can do. The crawler's own words (`sources.last_error`, English, and a hint written for
#: editors) follow on the page as the technical detail.
FETCH_ERRORS = {
    "unreachable": N_(
        "We could not read your site at our last visit. If this lasts, please check that your site is online "
        "and that its robots.txt lets our crawler in: we keep trying."
    ),
    "refused": N_(
        "Your site refused to let us read this feed (HTTP %(status)s). "
        "Please make the feed public and let our crawler read it."
    ),
    "not_found": N_(
        "There is nothing at this address any more (HTTP %(status)s). "
        "If your feed has moved, give its new address below."
    ),
    "temporary": N_("Your site had a passing problem (HTTP %(status)s). You need not do anything: we try again later."),
    "problems": N_("We read your feed but found problems in it. If they last, please have your feed checked."),
}


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes: easier on a phone than a multiple select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        """Unknown codes are the library's to refuse, with the field named."""


class RegistrationForm(FlaskForm):
    """The registration form; its limits and checks are `aggregator.registrations`' (shared with the API)."""

    organisation = StringField(LABELS["organisation"])
    website = StringField(LABELS["website"])
    contact_email = StringField(LABELS["contact_email"])
    feed_url = StringField(LABELS["feed_url"])
    languages = CheckboxesField(LABELS["languages"], choices=list(reg.PARTNER_LANGUAGES))
    countries = StringField(LABELS["countries"])
    description = TextAreaField(LABELS["description"])


def _config():
    return current_app.config["WIRE"]


def _now():
    return current_app.config["WIRE_CLOCK"]()


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _no_store() -> None:
    @after_this_request
    def _header(response):
        response.headers["Cache-Control"] = "no-store"
        return response


def _hit(limit: str, scope: str, key: str) -> bool:
    """Count one post against the app's Limiter; False once `limit` is reached (keys are digests, never addresses)."""
    limiter = current_app.extensions["wire_limiter"]
    digest = hashlib.sha256((_secret() + key.lower()).encode()).hexdigest()
    return limiter.limiter.hit(parse_limit(limit), scope, digest)


def _limit_client() -> None:
    if not _hit(current_app.config.get("PARTNER_LIMIT_PER_CLIENT", LIMIT_PER_CLIENT), "partner-client", _client()):
        abort(429)


def _limit_address(email: str) -> bool:
    return _hit(current_app.config.get("PARTNER_LIMIT_PER_ADDRESS", LIMIT_PER_ADDRESS), "partner-address", email)


def _client() -> str:
    return get_remote_address() or "unknown"


def _check(url: str):
    config = _config()
    return check_site(
        url,
        user_agent=f"SolidarityWire/0.1 (+{config.contact_url})",
        allow_private=config.allow_private_networks,
        allowed_hosts=tuple(config.allowed_hosts),
    )


def _send(message, what: str, row_id: int) -> None:
    """Send; on failure log the row id only (never the address): the page's answer does not change."""
    try:
        send_message(_config(), message)
    except Exception as error:  # noqa: BLE001 - the partner sees the same page; the operator sees the log
        logger.error("%s e-mail for partner registration/partner %s not sent: %s", what, row_id, type(error).__name__)


def _field_error(error: reg.FieldError) -> str:
    template = FIELD_ERRORS.get(error.code)
    if template is None:
        return error.message
    return gettext(template, field=gettext(LABELS.get(error.field, error.field)), limit=error.limit)


def problem_text(problem: dict) -> str:
    """A site check's problem in the page's language."""
    text = PROBLEMS.get(problem["code"])
    return gettext(text) if text is not None else problem["message"]


def fetch_error_kind(status: int | None) -> str:
    """Sort the last fetch's failure by what the partner can do about it (a key of FETCH_ERRORS)."""
    if status is None:  # no answer at all: DNS, refused connection, timeout, robots.txt
        return "unreachable"
    if status in (404, 410):
        return "not_found"
    if status == 429 or status >= 500:
        return "temporary"
    if status >= 400:
        return "refused"
    return "problems"  # the site answered, but what it sent had problems


def fetch_error_text(source: dict) -> str | None:
    """The last error of a source, for its partner, in the page's language (None when the last fetch went well)."""
    if not source.get("last_error"):
        return None
    return gettext(FETCH_ERRORS[fetch_error_kind(source.get("last_status"))], status=source.get("last_status"))


@blueprint.app_template_filter("http_only")
def http_only(url: str | None) -> str | None:
    """A link target only when it is http(s): a feed's `javascript:` link is shown as text, never as a link."""
    return url if is_http_url(url) else None


# -- registration --------------------------------------------------------------------------------------------------


@blueprint.route("/register", methods=["GET", "POST"])
def register():
    """GET: the form. POST: check the fields, then the site, and show the preview the partner confirms."""
    form = RegistrationForm()
    if request.method == "GET":
        return render_template("partners/register.html", form=form, errors={}, general=None)
    _limit_client()
    if not form.validate():  # the CSRF token (CSRFProtect has refused a missing one already)
        abort(400)
    if request.form.get(HONEYPOT):
        logger.info("partner registration dropped: the hidden field was filled")
        return render_template("partners/sent.html")  # what a person sees, so a robot learns nothing
    clean, problems = reg.check_registration(
        {name: request.form.get(name, "") for name in reg.LIMITS if name != "languages"}
        | {"languages": request.form.getlist("languages")}
    )
    errors = {}
    for problem in problems:
        errors.setdefault(problem.field, _field_error(problem))
    if errors:
        return render_template("partners/register.html", form=form, errors=errors, general=None), 400
    if not _limit_address(clean["contact_email"]):
        abort(429)
    max_age = _config().confirm_link_max_age  # a registration never confirmed in time holds no feed
    duplicate = reg.duplicate_of(get_db(), clean["feed_url"], now=_now(), unconfirmed_max_age=max_age)
    if duplicate:
        return _duplicate(form)
    report = _check(clean["feed_url"])
    try:
        registration = reg.create_registration(
            get_db(), clean, report.to_dict(), str(get_locale()), _now(), unconfirmed_max_age=max_age
        )
    except ConflictError:
        return _duplicate(form)
    except InvalidInput:
        return render_template(
            "partners/register.html",
            form=form,
            errors={},
            general=gettext("We could not read anything at this address:"),
            report=report.to_dict(),
        ), 400
    record_action(get_db(), "partner", "registration checked", "partner_registration", registration["id"])
    return render_template(
        "partners/preview.html", registration=registration, code=reg.preview_code(_secret(), registration)
    )


def _duplicate(form):
    message = gettext("This feed is already registered with us (collected, or waiting for an editor).")
    return render_template("partners/register.html", form=form, errors={"feed_url": message}, general=None), 409


@blueprint.post("/register/send")
def send():
    """The partner confirmed the preview: the registration waits for their address; the link goes out."""
    registration = reg.read_preview_code(get_db(), _secret(), request.form.get("code", ""))
    if registration is None:
        abort(404)
    g.reader_language = registration["ui_language"]
    if registration["status"] == "previewed":
        registration = reg.submit_registration(get_db(), registration["id"])
        code = reg.confirm_code(_secret(), registration, _now())
        url = _config().base_url.rstrip("/") + url_for("partners.confirm", code=code)
        _send(confirmation_message(_config(), registration, url, _now()), "confirmation", registration["id"])
        record_action(get_db(), "partner", "registration sent", "partner_registration", registration["id"])
    return render_template("partners/sent.html")


@blueprint.route("/confirm/<code>", methods=["GET", "POST"])
def confirm(code):
    """GET shows a button (mail scanners follow links); POST confirms the address."""
    _no_store()
    registration = reg.read_confirm_code(get_db(), _secret(), code, _now(), _config().confirm_link_max_age)
    if registration is None:
        return render_template("partners/confirm.html", state="invalid"), 404
    g.reader_language = registration["ui_language"]
    if request.method == "POST" or registration["status"] not in ("previewed", "unconfirmed"):
        if registration["status"] in ("previewed", "unconfirmed"):
            registration = reg.confirm_registration(get_db(), registration["id"], _now())
            record_action(get_db(), "partner", "address confirmed", "partner_registration", registration["id"])
        return render_template("partners/confirm.html", state="done", registration=registration)
    return render_template("partners/confirm.html", state="confirm", code=code, registration=registration)


# -- the partner's page --------------------------------------------------------------------------------------------


def _partner(code: str) -> dict:
    partner = reg.read_page_code(get_db(), _secret(), code)
    if partner is None:
        abort(404)
    g.reader_language = partner.get("ui_language")
    return partner


@blueprint.route("/page/<code>", methods=["GET", "POST"])
def page(code):
    """The partner's sources with their health, and forms to change a feed, add one, or withdraw one."""
    _no_store()
    partner = _partner(code)
    db = get_db()
    error = done = report = None
    if request.method == "POST":
        _limit_client()
        action = request.form.get("action", "")
        try:
            source_id = int(request.form.get("source_id") or 0)
        except ValueError:
            source_id = 0
        try:
            if action == "withdraw":
                reg.withdraw_partner_source(db, partner["id"], source_id, _now())
                done = gettext("We no longer collect this feed. Nothing was deleted: what we collected stays.")
            elif action in ("change", "add"):
                feed_url, feed_url_error = reg.check_feed_url(request.form.get("feed_url"))  # the API's check too
                if feed_url_error is not None:
                    raise InvalidInput(feed_url_error.message)
                language = request.form.get("language") or None
                if language is not None and language not in reg.PARTNER_LANGUAGES:
                    abort(400)  # not one of the form's choices: nobody sends that with the form
                if action == "change":
                    reg.partner_source(db, partner["id"], source_id)  # someone else's: refused before fetching
                checked = _check(feed_url)
                report = checked.to_dict()
                if action == "change":
                    reg.change_source_url(db, partner["id"], source_id, report)
                else:
                    reg.add_partner_source(db, partner["id"], report, language)
                done = gettext("Saved. We read the address again; here is what we found:")
            else:
                abort(400)
            record_action(db, "partner", f"partner page: {action}", "partner", partner["id"])
        except ConflictError:
            error = gettext("This feed is already registered with us (collected, or waiting for an editor).")
        except InvalidInput:
            if report is not None:
                error = gettext("We could not read anything at this address:")
            else:
                error = gettext("Please give an address starting with http:// or https://, of one of your feeds.")
    sources = partner_sources(db, partner["id"], _now())
    return render_template(
        "partners/page.html",
        partner=partner,
        code=code,
        sources=sources,
        items=latest_partner_items(db, partner["id"]),
        error=error,
        done=done,
        report=report,
        languages_choice=reg.PARTNER_LANGUAGES,
    )


@blueprint.route("/link", methods=["GET", "POST"])
def request_link():
    """Send a partner a new page link (older ones stop working); the same answer for every address."""
    if request.method == "GET":
        return render_template("partners/link.html", sent=False)
    _limit_client()
    email = (request.form.get("email") or "").strip()[: reg.LIMITS["contact_email"]]
    partner = find_partner_by_email(get_db(), email) if email else None
    if partner is not None and _limit_address(email):
        partner = reg.revoke_page_links(get_db(), partner["id"])
        url = page_url(_config(), _secret(), partner)
        _send(page_link_message(_config(), partner, url, _now()), "page link", partner["id"])
        record_action(get_db(), "partner", "page link replaced", "partner", partner["id"])
    return render_template("partners/link.html", sent=True)


@blueprint.app_context_processor
def _partner_helpers():
    return {
        "problem_text": problem_text,
        "fetch_error_text": fetch_error_text,
        "partner_labels": LABELS,
        "partner_languages": reg.PARTNER_LANGUAGES,
    }


__all__ = ["blueprint"]
