"""A surname seen in a full name in one text of a request, recognised alone in another.

Each text is analysed on its own (``redaction.analysis``: so a conversation's history is served
from the cache), which means the name rules of one message do not see the full names of the
others. ``東一郎`` in the attendee list and ``東課長`` three messages later are one person, but
``東`` alone is also an everyday word (east) that the rules would not take — or would take as a
place. This pass gives every text the surnames of the full names found in any text of the
request, so the person keeps one type and, through the mapping, one placeholder. Only before a
title, an honorific or a speaker's colon, and never inside a longer kanji word (坂東様).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from redaction.entities import Entity, EntityType
from redaction.lexicon import NOT_SHORT_SURNAMES, PERSON_SUFFIXES
from redaction.name_tokens import is_kanji

_MARKS = (":", "：", ")", "）")
_AFTER = "|".join(map(re.escape, sorted([*PERSON_SUFFIXES, *_MARKS], key=len, reverse=True)))
# A kanji full name is three to five characters; its surname one or two shorter than that.
_FULL = range(3, 6)
_SCORE = 0.7


def surnames(found: Sequence[Sequence[Entity]]) -> set[str]:
    """The possible surnames (leading one or two characters, leaving a given name of two or
    more) of every kanji full name among ``found``; not the words that before an honorific
    are not names (大, 前, 皆: 大山一郎 makes no 大様)."""
    out: set[str] = set()
    for entities in found:
        for e in entities:
            if e.type is EntityType.PERSON and len(e.text) in _FULL and is_kanji(e.text):
                out.update(e.text[:n] for n in range(1, min(3, len(e.text) - 1)))
    return out - NOT_SHORT_SURNAMES


def known_surnames(texts: Sequence[str], found: list[list[Entity]]) -> list[list[Entity]]:
    """``found`` with a PERSON finding added for each surname of ``surnames(found)`` that
    stands alone before a title, honorific or colon in any text and is not already a person."""
    known = surnames(found)
    if not known:
        return found
    parts = "|".join(map(re.escape, sorted(known, key=len, reverse=True)))
    pattern = re.compile(rf"(?<![\u4e00-\u9fff々ヶ])({parts})(?={_AFTER})")
    out = []
    for text, entities in zip(texts, found, strict=True):
        people = [(e.start, e.end) for e in entities if e.type is EntityType.PERSON]
        added = [
            Entity(EntityType.PERSON, m.start(1), m.end(1), m.group(1), _SCORE)
            for m in pattern.finditer(text)
            if not any(s <= m.start(1) and m.end(1) <= e for s, e in people)
        ]
        out.append([*entities, *added] if added else list(entities))
    return out
