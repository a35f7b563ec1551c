"""Every edition language has a complete catalog: no missing, empty or fuzzy message, placeholders intact."""

import pytest
from babel.messages.pofile import read_po

from aggregator.config import DEFAULT_LANGUAGES
from newsletter.i18n import LOCALES_DIR, catalog_path

TEMPLATE = read_po((LOCALES_DIR / "messages.pot").open("rb"))
MSGIDS = {message.id if isinstance(message.id, str) else message.id[0] for message in TEMPLATE if message.id}


@pytest.mark.parametrize("language", [code for code in DEFAULT_LANGUAGES if code != "en"])
def test_catalog_is_complete(language):
    path = catalog_path(language)
    assert path.exists(), f"no catalog for {language}: run make messages and translate {path}"
    catalog = read_po(path.open("rb"), locale=language)
    assert not catalog.fuzzy, f"{language}: the catalog header is fuzzy"
    found = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        found[key] = message
        assert not message.fuzzy, f"{language}: fuzzy message {key!r}"
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        assert all(s.strip() for s in strings), f"{language}: empty translation of {key!r}"
        assert not list(message.check(catalog)), f"{language}: {key!r}: {list(message.check(catalog))}"
    missing = MSGIDS - set(found)
    assert not missing, f"{language}: missing {sorted(missing)}"
