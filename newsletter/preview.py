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
from newsletter.render import personalise, render_html

#: Stands in for a reader's token in the links of a preview; no subscriber has it (tokens are random).
PREVIEW_TOKEN = "preview"


def preview_html(db: sqlite_utils.Database, config: Config, edition_id: int, language: str) -> str:
    """The HTML part of the edition's e-mail in `language` (the stored copy once frozen, else rendered now).

    Only the HTML part is made (`render_html`, the first half of `render_edition`): the plain-text
    part is half the cost of a render and a frame cannot show it.
    """
    if language not in config.languages:
        raise InvalidInput(
            f"the edition is not rendered in {language!r}; configured languages: {', '.join(config.languages)}"
        )
    copy = get_copies(db, edition_id).get(language)
    if copy is not None:
        html = copy["html"]
    else:
        edition = load_edition(db, edition_id)
        html, _ = render_html(edition, language, config.site_name, config.base_url, config.zone)
    return personalise(html, PREVIEW_TOKEN)
