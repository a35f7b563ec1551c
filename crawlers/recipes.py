"""Site recipes: how to find articles on a partner site without a feed, checked before storing.

Pure: the recipe's JSON text in, a checked dict out, or InvalidInput naming what is wrong.
"""

from __future__ import annotations

import json

from aggregator.exceptions import InvalidInput

#: Every key a recipe may have; the CSS selector keys are checked by parsing them.
RECIPE_KEYS = frozenset(
    {"list_urls", "link_selector", "title_selector", "date_selector", "body_selector", "next_selector", "max_pages"}
)
SELECTOR_KEYS = RECIPE_KEYS - {"list_urls", "max_pages"}
MAX_PAGES = 50


def parse_recipe(text: str) -> dict:
    """Check a site recipe: a JSON object with known keys, valid CSS selectors, 1-50 pages."""
    from parsel import Selector

    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"--recipe: not valid JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(recipe, dict):
        raise InvalidInput("--recipe: expected a JSON object")
    unknown = set(recipe) - RECIPE_KEYS
    if unknown:
        raise InvalidInput(
            f"--recipe: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(RECIPE_KEYS))})"
        )
    for key in sorted(SELECTOR_KEYS & set(recipe)):
        try:
            Selector(text="<html></html>").css(str(recipe[key]))
        except Exception as error:  # cssselect raises several kinds of errors
            raise InvalidInput(f"--recipe: {key} is not a CSS selector: {recipe[key]!r} ({error})") from None
    pages = recipe.get("max_pages", 1)
    if isinstance(pages, bool) or not (isinstance(pages, int) and 0 < pages <= MAX_PAGES):
        raise InvalidInput(f"--recipe: max_pages must be a number from 1 to {MAX_PAGES}, got {pages!r}")
    return recipe
