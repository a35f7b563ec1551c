"""People named as prisoners, hunger strikers or defendants, found by rules that work across languages. Pure.

A person is two or three capitalised words next to a role word ("political prisoner
Deniz Aksoy", "tutsak Mahir Ekinci'nin", "der Gefangene Ali K."), within a few words.
Keys fold spelling (diacritics, Turkish dotless i, case suffixes after an apostrophe),
so one person's mentions in English, German and Turkish meet. Persian and Arabic texts
are matched through the Latin spelling they quote; names written only in those scripts
are not indexed yet.
"""

from __future__ import annotations

import re

from aggregator.entities import fold

ROLE_WORDS = {
    "en": ["political prisoner", "prisoner", "hunger striker", "detainee", "defendant", "journalist", "activist",
           "lawyer", "student", "teacher", "trade unionist", "musician", "poet", "comrade", "brother", "sister"],
    "de": ["Gefangene", "Gefangenen", "Gefangener", "Hungerstreikende", "Hungerstreikender", "Angeklagte",
           "Angeklagten", "Journalistin", "Journalist", "Aktivistin", "Aktivist", "Genossin", "Genosse"],
    "fr": ["prisonnier", "prisonnière", "gréviste", "détenu", "détenue", "accusé", "accusée", "journaliste", "militante",
           "militant"],
    "es": ["preso", "presa", "prisionero", "prisionera", "huelguista", "detenido", "detenida", "acusado", "acusada",
           "periodista", "activista", "compañero", "compañera"],
    "it": ["prigioniero", "prigioniera", "detenuto", "detenuta", "imputato", "imputata", "giornalista", "attivista"],
    "tr": ["tutsak", "tutsaklar", "mahpus", "tutuklu", "hükümlü", "sanık", "gazeteci", "avukat", "öğrenci", "öğretmen",
           "müzisyen", "grevci"],
    "pt": ["preso", "presa", "prisioneiro", "detido", "detida", "jornalista", "ativista"],
}
_NAME = r"((?:[A-ZÀ-ÖØ-ÞĀ-ſ][\w\-]+|[A-Z]\.)(?:\s+(?:[A-ZÀ-ÖØ-ÞĀ-ſ][\w\-]+|[A-Z]\.)){1,2})(?:[’'][a-zçğıöşü]+)?"
_ROLES = sorted({word for words in ROLE_WORDS.values() for word in words}, key=len, reverse=True)
_PATTERN = re.compile(
    rf"(?<!\w)(?P<role>(?i:{'|'.join(re.escape(r) for r in _ROLES)}))\w*[,:]?\s+(?:[a-zçğıöşüäéèà]\w*\s+){{0,2}}?{_NAME}")
_NOT_NAMES = {"the", "der", "die", "das", "la", "le", "el", "il", "de", "del", "von", "van"}
#: A capitalised run ending in one of these is a place or a body, not a person.
_INSTITUTIONS = {"prison", "prisons", "cezaevi", "cezaevinde", "gefängnis", "jva", "court", "mahkemesi", "camp",
                 "centre", "center", "committee", "network", "council", "ministry", "tribunal", "university",
                 "street", "square", "hospital", "prison's", "solidarity", "association", "derneği", "platform"}


def person_key(name: str) -> str:
    return " ".join(fold(part) for part in name.split())


def find_people(text: str) -> list[tuple[str, str, str]]:
    """[(name as written, key, role word)] for each person named next to a role word."""
    found, seen = [], set()
    for match in _PATTERN.finditer(text or ""):
        name = match.group(2)
        words = name.split()
        if not all(w[0].isupper() for w in words) or words[0].lower() in _NOT_NAMES:
            continue
        if name.isupper() or len(words) < 2 or words[-1].lower() in _INSTITUTIONS:
            continue
        key = person_key(name)
        if key not in seen:
            seen.add(key)
            found.append((name, key, match.group("role").lower()))
    return found
