"""The edition in one language exactly as a reader's e-mail client gets it, for editors to look at.

Made by the renderer that sending uses (`newsletter.render.render_edition`) from the same live
data, or, once the edition is frozen for sending, read from the stored copy that every reader got.
Personal links carry a token that belongs to nobody, so a preview opened by mistake in a browser
that follows a link unsubscribes no one.
"""

from __future__ import annotations

import sqlite_utils

from aggregator.config import Config
from aggregator.exceptions import InvalidInput
from aggregator.storage.editions import get_copies
from newsletter.editions import load_edition
from newsletter.render import Rendered, personalise, render_edition

#: Stands in for a reader's token in the links of a preview; no subscriber has it (tokens are random).
PREVIEW_TOKEN = "preview"


def preview(db: sqlite_utils.Database, config: Config, edition_id: int, language: str) -> Rendered:
    """The edition's e-mail in `language` (stored copy once frozen, else rendered now)."""
    if language not in config.languages:
        raise InvalidInput(
            f"the edition is not rendered in {language!r}; configured languages: {', '.join(config.languages)}"
        )
    copy = get_copies(db, edition_id).get(language)
    if copy is not None:
        rendered = Rendered(language, copy["subject"], copy["preheader"], copy["html"], copy["text"])
    else:
        edition = load_edition(db, edition_id)
        rendered = render_edition(edition, language, config.site_name, config.base_url, config.zone)
    return Rendered(
        rendered.language,
        rendered.subject,
        rendered.preheader,
        personalise(rendered.html, PREVIEW_TOKEN),
        personalise(rendered.text, PREVIEW_TOKEN),
    )
