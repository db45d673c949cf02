"""The placeholder mapping of one conversation: which placeholder stands for which value.

Pure data: allocation is deterministic, so two turns of one conversation give the same value
the same placeholder. Every placeholder restores to exactly one surface text, which keeps
``restore(redact(x)) == x`` exact. Serialised as JSON for the vault (which encrypts it).

One identity per person and per company (issue 13): a mention that is another way of writing a
name already mapped takes that name's letter with a form — 鈴木一郎 〔人物A〕, then 鈴木 (さん,
部長…) 〔人物A・姓〕, 一郎 〔人物A・名〕, 鈴木 一郎 〔人物A・2〕. Why forms and not one placeholder
for every surface: restore puts one text back per placeholder, so 〔人物A〕 for both would give
鈴木一郎 back where 鈴木 was typed (in a quoted line, a tool argument, a pasted reply). With
forms each occurrence comes back as typed, while the model still reads one person (人物A) and
can itself write 〔人物A・姓〕様 in a letter; a form it makes up for a name only ever written in
full restores to the full name (``original``). Companies rarely need a form: the service keeps
the legal form outside the placeholder (株式会社〔会社A〕, 〔会社A〕さん; ``redaction.mentions``).

Linking is conservative, since merging two people is worse than two letters for one:
- a person links to a longer person name it begins or ends, or to the same name spelled
  differently (same folded form); a company to a company or listed customer spelled the same,
  or, written in Latin script, to one whose first whole words it is (Pinecrest for Pinecrest
  Logistics: 〔会社A・2〕, as the Japanese legal form already lets ミライ精工 share 〔会社A〕);
- only when exactly one identity qualifies (鈴木一郎 and 鈴木花子, then 鈴木さん: a new letter);
- a person introduced with a company (ミライ精工の鈴木) links only to names of that company or
  of none, so two 鈴木 of two companies stay apart;
- within one request, full names are mapped before the short forms that point to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from redaction.entities import EntityType
from redaction.normalize import fold_term
from redaction.placeholders import (
    GIVEN_NAME,
    OPEN,
    SURNAME,
    Placeholder,
    format_placeholder,
    parse_placeholder,
)

_COMPANIES = (EntityType.COMPANY, EntityType.CUSTOMER)
_FAMILY: dict[EntityType, tuple[EntityType, ...]] = {
    EntityType.PERSON: (EntityType.PERSON,),
    EntityType.COMPANY: _COMPANIES,
    EntityType.CUSTOMER: _COMPANIES,
}
_MAX_SPELLINGS = 99


class Item(NamedTuple):
    """One value to map. ``company``: the (type, text) of the company a person was introduced
    with in the same text (already an item of the same ``assign`` or mapped before)."""

    type: EntityType
    text: str
    company: tuple[EntityType, str] | None = None


Key = tuple[EntityType, str, str]  # (type, text, base placeholder of the person's company or "")


@dataclass(frozen=True, slots=True)
class Mapping:
    """``values``: placeholder -> original text; ``keys``: (type, text, company) -> placeholder;
    ``next_index``: the next free index per type."""

    values: dict[str, str] = field(default_factory=dict)
    keys: dict[Key, str] = field(default_factory=dict)
    next_index: dict[EntityType, int] = field(default_factory=dict)

    def placeholder_for(
        self,
        entity_type: EntityType,
        text: str,
        company: tuple[EntityType, str] | None = None,
    ) -> str | None:
        return self.keys.get((entity_type, text, self._company_key(company)))

    def original(self, placeholder: str) -> str | None:
        """The text ``placeholder`` restores to: its own, else (a form the model made up,
        〔人物A・姓〕 for a name only written in full) its identity's."""
        value = self.values.get(placeholder)
        if value is None:
            parsed = parse_placeholder(placeholder)
            if parsed is not None and parsed.form:
                value = self.values.get(str(parsed.base))
        return value

    def _company_key(self, company: tuple[EntityType, str] | None) -> str:
        if company is None:
            return ""
        placeholder = self.keys.get((company[0], company[1], ""))
        parsed = parse_placeholder(placeholder) if placeholder else None
        return str(parsed.base) if parsed else ""

    def assign(
        self,
        items: Iterable[Item | tuple[EntityType, str]],
        *,
        avoid: str = "",
    ) -> Mapping:
        """A new mapping that also covers ``items``. Placeholders that occur literally in
        ``avoid`` (the input texts) are skipped, so a restore never rewrites user text."""
        fold = _Folds()
        builder = _Builder(self, avoid, fold)
        # One item per distinct value: a text names the same person many times.
        for item in _ordered(list(dict.fromkeys(Item(*i) for i in items)), fold):
            builder.add(item)
        return Mapping(builder.values, builder.keys, builder.next_index)

    def to_json(self) -> bytes:
        rows = [[t.value, text, placeholder, c] for (t, text, c), placeholder in self.keys.items()]
        counters = {t.value: n for t, n in self.next_index.items()}
        return json.dumps({"v": 2, "rows": rows, "next": counters}, ensure_ascii=False).encode()

    @staticmethod
    def from_json(data: bytes) -> Mapping:
        raw = json.loads(data)
        keys: dict[Key, str] = {}
        for row in raw["rows"]:  # version 1 rows have no company
            keys[(EntityType(row[0]), row[1], row[3] if len(row) > 3 else "")] = row[2]
        values = {placeholder: key[1] for key, placeholder in keys.items()}
        next_index = {EntityType(t): int(n) for t, n in raw["next"].items()}
        return Mapping(values, keys, next_index)


class _Folds(dict[str, str]):
    """``fold_term`` of each text once per ``assign``: linking compares every new value with
    every identity (~240 folds of ~45 texts for a dense e-mail: a third of the boundary's
    CPU). Lives only as long as the call, so no value outlives the request in memory."""

    def __missing__(self, text: str) -> str:
        folded = self[text] = fold_term(text)
        return folded


def _ordered(items: Sequence[Item], fold: _Folds) -> list[Item]:
    """Companies (and everything else) first, so people can name theirs; then full person
    names; then the person names that begin or end another one of this request."""
    people = [i for i in items if i.type is EntityType.PERSON]
    folded = {fold[i.text] for i in people}
    short = []
    for i in people:
        s = fold[i.text]
        if any(len(f) > len(s) and (f.startswith(s) or f.endswith(s)) for f in folded):
            short.append(i)
    full = [i for i in people if i not in short]
    companies = [i for i in items if i.type in _COMPANIES]
    first_words = [
        i for i in companies if any(_leading_words(i.text, c.text, fold) for c in companies)
    ]
    return [
        *(i for i in items if i.type is not EntityType.PERSON and i not in first_words),
        *first_words,
        *full,
        *short,
    ]


@dataclass(slots=True)
class _Identity:
    placeholder: Placeholder
    text: str
    companies: set[str]
    latin: bool  # written in Latin script: a part of it is a whole word (``_form``)


class _Builder:
    def __init__(self, mapping: Mapping, avoid: str, fold: _Folds) -> None:
        self._fold = fold
        self.values = dict(mapping.values)
        self.keys = dict(mapping.keys)
        self.next_index = dict(mapping.next_index)
        # Every placeholder opens with OPEN: a text without one contains none (no search).
        self._avoid = avoid if OPEN in avoid else ""
        self._identities: dict[str, _Identity] = {}
        for (entity_type, _, company), placeholder in self.keys.items():
            self._note(entity_type, placeholder, company)

    def _note(self, entity_type: EntityType, placeholder: str, company: str) -> None:
        """Only names link (``_linked``): e-mail addresses, numbers … need no identity."""
        if entity_type not in _FAMILY:
            return
        parsed = parse_placeholder(placeholder)
        if parsed is None or parsed.form:
            return
        identity = self._identities.get(placeholder)
        if identity is None:
            text = self.values[placeholder]
            latin = any(c.isascii() and c.isalpha() for c in text)
            identity = self._identities[placeholder] = _Identity(parsed, text, set(), latin)
        identity.companies.add(company)

    def _free(self, placeholder: str) -> bool:
        return placeholder not in self._avoid and placeholder not in self.values

    def add(self, item: Item) -> None:
        company = Mapping(self.values, self.keys)._company_key(item.company)
        key = (item.type, item.text, company)
        if key in self.keys:
            return
        placeholder = self._linked(item, company) or self._new(item.type)
        self.keys[key] = placeholder
        self.values.setdefault(placeholder, item.text)
        self._note(item.type, placeholder, company)

    def _new(self, entity_type: EntityType) -> str:
        index = self.next_index.get(entity_type, 1)
        placeholder = format_placeholder(entity_type, index)
        while not self._free(placeholder):
            index += 1
            placeholder = format_placeholder(entity_type, index)
        self.next_index[entity_type] = index + 1
        return placeholder

    def _linked(self, item: Item, company: str) -> str | None:
        """The placeholder of the one identity ``item`` is another form of, if exactly one."""
        family = _FAMILY.get(item.type)
        if family is None:
            return None
        fold = self._fold
        folded = fold[item.text]
        found = [
            (identity, form)
            for identity in self._identities.values()
            if identity.placeholder.type in family
            and _compatible(company, identity.companies)
            and (form := _form(item, folded, identity, fold)) is not None
        ]
        if len(found) != 1:
            return None
        identity, form = found[0]
        base = identity.placeholder
        if not form:
            if self.values[str(base)] == item.text:
                return str(base)
            return self._spelling(base, item.text)
        placeholder = format_placeholder(base.type, base.index, form)
        if self.values.get(placeholder, item.text) == item.text and placeholder not in self._avoid:
            return placeholder
        return self._spelling(base, item.text)

    def _spelling(self, base: Placeholder, text: str) -> str | None:
        """〔人物A・2〕, 〔人物A・3〕…: the first spelling number free or already ``text``'s."""
        for number in range(2, _MAX_SPELLINGS + 1):
            placeholder = format_placeholder(base.type, base.index, str(number))
            if self.values.get(placeholder) == text:
                return placeholder
            if self._free(placeholder):
                return placeholder
        return None


def _compatible(company: str, companies: set[str]) -> bool:
    """A person of company X links to names of X or of no company, never to another's."""
    return not company or companies <= {"", company}


def _form(item: Item, folded: str, identity: _Identity, fold: _Folds) -> str | None:
    """How ``item`` (folded: ``folded``) relates to ``identity`` (first written ``text``): ""
    the same name, SURNAME/GIVEN_NAME a part of a person's full name, None unrelated."""
    text = identity.text
    other = fold[text]
    if not folded:
        return None
    if folded == other:
        return ""
    if item.type in _COMPANIES:
        return "" if _leading_words(item.text, text, fold) else None
    if len(folded) >= len(other):
        return None
    if identity.latin:
        # Latin-script names: whole words only, and the family name comes last (Olivia Grant).
        words = text.split()
        if len(words) < 2:
            return None
        if fold[words[0]] == folded:
            return GIVEN_NAME
        return SURNAME if fold[words[-1]] == folded else None
    if other.startswith(folded):
        return SURNAME
    return GIVEN_NAME if other.endswith(folded) else None


def _leading_words(short: str, name: str, fold: _Folds) -> bool:
    """``short`` is the first whole words of the Latin-script company name ``name`` (Pinecrest,
    Pinecrest Logistics for Pinecrest Logistics Group), not all of it."""
    if not (short.isascii() and name.isascii()):
        return False
    words, whole = short.split(), name.split()
    if not 0 < len(words) < len(whole):
        return False
    return [fold[w] for w in words] == [fold[w] for w in whole[: len(words)]]
