"""Which part of each finding a placeholder replaces, and which company a person belongs to.

A company's legal form stays in the text (株式会社〔会社A〕, 〔会社A〕(株), 〔会社A〕 Ltd.): it
names no one, it is how the model should write the company back, and it lets 株式会社ミライ精工,
ミライ精工 and ミライ精工さん (Pinecrest Logistics Ltd. and Pinecrest Logistics) share 〔会社A〕
(``redaction.mapping``). A person written right after a
company — ミライ精工の鈴木, 株式会社ミライ精工 鈴木様, a department in between, or listed after
a colleague (…鈴木様、佐藤様) — is that company's person, so two 鈴木 of two companies keep two
placeholders. Pure functions over one text and its findings; no detection here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from redaction.english_lexicon import lexicon
from redaction.english_names import written_as_legal_form
from redaction.entities import Entity, EntityType
from redaction.lexicon import LEGAL_FORM_RE, PERSON_SUFFIXES
from redaction.mapping import Item
from redaction.normalize import normalize

_COMPANIES = (EntityType.COMPANY, EntityType.CUSTOMER)
_LEADING_FORM = re.compile(rf"^(?:{LEGAL_FORM_RE.pattern})[\s・]*")
_TRAILING_FORM = re.compile(rf"[\s・]*(?:{LEGAL_FORM_RE.pattern})$")
# Between a company and its person: nothing, a space or line break, の, a department.
_AFTER_COMPANY = re.compile(
    r"\s*(?:の|、)?\s*"
    r"(?:[\u4e00-\u9fff\u30a0-\u30ffー]{1,10}(?:部|課|室|局|本部|グループ|チーム|センター|支店|支社)"
    r"\s*(?:の)?\s*)?"
)
# Between two people of one company: an honorific or title, then a list separator.
_SUFFIXES = "|".join(sorted(map(re.escape, PERSON_SUFFIXES), key=len, reverse=True))
_BETWEEN_COLLEAGUES = re.compile(rf"(?:{_SUFFIXES})?\s*(?:[、,，・]|と|および|及び)\s*")
_MAX_GAP = 24


@dataclass(frozen=True, slots=True)
class Mention:
    """The part of ``entity`` a placeholder replaces (``start``/``end`` in the text)."""

    entity: Entity
    start: int
    end: int
    text: str
    company: tuple[EntityType, str] | None = None

    @property
    def item(self) -> Item:
        return Item(self.entity.type, self.text, self.company)


def mentions(text: str, entities: Sequence[Entity]) -> list[Mention]:
    """One mention per finding (non-overlapping, in order)."""
    out: list[Mention] = []
    for e in entities:
        start, end = _core(e) if e.type in _COMPANIES else (e.start, e.end)
        company = _company_before(text, out, e) if e.type is EntityType.PERSON else None
        out.append(Mention(e, start, end, text[start:end], company))
    return out


def _core(e: Entity) -> tuple[int, int]:
    """The name without a legal form before or after it (offsets in the original text)."""
    mapped = normalize(e.text)
    start, end = 0, len(mapped.text)
    if lead := _LEADING_FORM.match(mapped.text):
        start = lead.end()
    if trail := _TRAILING_FORM.search(mapped.text, start):
        end = trail.start()
    if start == 0 and end == len(mapped.text):
        end = _english_form_start(mapped.text)
    if start >= end:
        return e.start, e.end  # nothing but a legal form: replace it all
    a, b = mapped.original_span(start, end)
    return e.start + a, e.start + b


def _english_form_start(name: str) -> int:
    """Where a Latin-script name's trailing legal form begins, with the comma or space before
    it (Pinecrest Logistics Ltd., Acme Trading Co., Ltd., Contoso, Inc.); the whole length if
    it has none."""
    if not name.isascii():
        return len(name)
    for m in lexicon().legal_forms.finditer(name):
        if m.end() == len(name) and m.start() > 0 and written_as_legal_form(m.group()):
            cut = len(name[: m.start()].rstrip(" ,"))
            return cut if cut < m.start() else len(name)
    return len(name)


def _company_before(
    text: str, before: list[Mention], person: Entity
) -> tuple[EntityType, str] | None:
    if not before:
        return None
    previous = before[-1]
    gap = text[previous.entity.end : person.start]
    if len(gap) > _MAX_GAP:
        return None
    if previous.entity.type in _COMPANIES and _AFTER_COMPANY.fullmatch(gap):
        return (previous.entity.type, previous.text)
    if previous.entity.type is EntityType.PERSON and _BETWEEN_COLLEAGUES.fullmatch(gap):
        return previous.company
    return None
