"""English company names found by ``redaction.english_names``: capitalised words before a
legal form of any country ("Kestrel Parts Co., Ltd.", "Nordvik Marine AB", "Qux GmbH"), or
before an industry word after a name part that is no everyday word ("Pinecrest Logistics")."""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.english_base import EnglishNameRecognizer


class EnglishCompanyRecognizer(EnglishNameRecognizer):
    ENTITY = EntityType.COMPANY
