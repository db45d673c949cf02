"""English personal names (Olivia Grant, Mr. Tanaka, Hi Priya,) found on evidence by
``redaction.english_names``: a given-name or surname lexicon, titles, greetings and sign-offs;
never acronyms, weekdays, months or everyday words."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.english_base import EnglishNameRecognizer


class EnglishPersonRecognizer(EnglishNameRecognizer):
    ENTITY = EntityType.PERSON
