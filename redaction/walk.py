"""The walk over one request: slots to redact, checks for what passes, refusals naming a field.

``redaction.fields`` knows the Chat Completions schema and calls these leaves; this module knows
JSON: a string to redact (``text``), a value that must be an identifier, enum, number or flag
(``ident``, ``enum``, ``check``), a free JSON value whose every string and key is data
(``free``: tool-call arguments, metadata), and JSON Schema (``schema``: prose redacted, names
and structure strict). It never analyses text (``redaction.boundary`` does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redaction.errors import FieldRefused

NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")  # function and tool names (OpenAI: [A-Za-z0-9_-])
ID = re.compile(r"[A-Za-z0-9_.:\-]{1,256}")  # tool-call and audio ids, model names
# Object keys and schema names shaped like a programming identifier are the tool's contract,
# not data: they pass unanalysed (the analyser reads "who" as WHO, a company). Any other key
# (Japanese, digits first, an e-mail address …) is analysed.
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_\-]{0,63}")
# JSON Schema keywords: prose a person writes is redacted; names and structure are strict (the
# tool's contract: rewriting them would change it); unknown keywords are strict too.
_PROSE = {"description", "title", "$comment"}
_VALUES = {"enum", "const", "default", "examples"}
_NAMED = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
_SUB = {"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"}
_SUB |= {"unevaluatedProperties", "unevaluatedItems", "additionalItems"}
_SUBLIST = {"anyOf", "oneOf", "allOf", "prefixItems"}
_KNOWN = {"type", "required", "$ref", "format", "pattern", "$schema", "$id", "minimum", "maximum"}
_KNOWN |= {"minItems", "maxItems", "minLength", "maxLength", "nullable", "strict"}


@dataclass(slots=True)
class Slot:
    """One string to analyse: where it is (``field``), its text, how to put the result back."""

    field: str
    text: str
    put: Callable[[str], None]
    strict: bool = False  # a finding refuses the request instead of being replaced


def unknown(field: str) -> FieldRefused:
    return FieldRefused(
        field,
        "Kakehashi が秘匿化の扱いを知らない項目のため送信できません。",
        "Kakehashi does not know how to redact this field, so it is not sent.",
    )


def wrong(field: str, what_ja: str, what_en: str) -> FieldRefused:
    return FieldRefused(field, f"値は{what_ja}でなければなりません。", f"it must be {what_en}.")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Walk:
    """One request's walk. Afterwards, put each slot's redacted text with ``Slot.put`` and call
    ``finish`` (renames redacted keys, re-serialises the JSON of tool-call arguments)."""

    def __init__(self, *, pseudonym: str, images: bool) -> None:
        self.slots: list[Slot] = []
        self.pseudonym = pseudonym  # what ``user`` becomes
        self.images = images  # the policy lets images through (they cannot be redacted)
        self.json_content = False  # the answer's content is JSON (structured outputs)
        self.usage_chunk = False  # the client asked for a stream's usage chunk
        self._renames: list[tuple[dict[str, Any], str, str]] = []
        self._dumps: list[Callable[[], None]] = []

    def finish(self) -> None:
        for obj, old, new in self._renames:
            if new != old:
                items = list(obj.items())
                obj.clear()
                obj.update((new if k == old else k, v) for k, v in items)
        for dump in self._dumps:
            dump()

    # -- leaves -------------------------------------------------------------------------------

    def text(self, parent: Any, key: Any, field: str, *, strict: bool = False) -> None:
        value = parent[key]
        if not isinstance(value, str):
            raise wrong(field, "文字列", "a string")
        if strict and _IDENTIFIER.fullmatch(value):
            return

        def put(new: str) -> None:
            parent[key] = new

        self.slots.append(Slot(field, value, put, strict))

    def key(self, obj: dict[str, Any], name: str, field: str, *, strict: bool) -> None:
        if _IDENTIFIER.fullmatch(name):
            return

        def put(new: str) -> None:
            self._renames.append((obj, name, new))

        self.slots.append(Slot(f"{field} (key)", name, put, strict))

    def check(self, parent: Any, key: Any, field: str, ok: Callable[[Any], bool]) -> None:
        if parent[key] is not None and not ok(parent[key]):
            raise wrong(field, "API の定める型と値", "of the type and values the API defines")

    def number(self, parent: Any, key: Any, field: str) -> None:
        self.check(parent, key, field, _number)

    def flag(self, parent: Any, key: Any, field: str) -> None:
        self.check(parent, key, field, lambda v: isinstance(v, bool))

    def ident(self, parent: Any, key: Any, field: str, pattern: re.Pattern[str] = NAME) -> None:
        value = parent.get(key) if isinstance(parent, dict) else parent[key]
        if not (isinstance(value, str) and pattern.fullmatch(value)):
            raise wrong(field, f"識別子 ({pattern.pattern})", f"an identifier ({pattern.pattern})")

    def enum(self, parent: Any, key: Any, field: str, allowed: set[str]) -> None:
        if parent[key] is not None and parent[key] not in allowed:
            raise wrong(field, f"{sorted(allowed)} のいずれか", f"one of {sorted(allowed)}")

    def obj(self, value: Any, field: str, allowed: set[str] | None = None) -> dict[str, Any]:
        """``value`` as an object whose keys are all in ``allowed`` (None: any key)."""
        if not isinstance(value, dict):
            raise wrong(field, "オブジェクト", "an object")
        for name in value:
            if allowed is not None and name not in allowed:
                raise unknown(f"{field}.{name}")
        return value

    def list(self, value: Any, field: str) -> list[Any]:
        if not isinstance(value, list):
            raise wrong(field, "配列", "an array")
        return value

    # -- JSON -----------------------------------------------------------------------------------

    def free(self, parent: Any, key: Any, field: str, *, strict: bool = False) -> None:
        """Every string and object key of a JSON value; integers too (a My Number sent as a
        number is still one: if it is replaced, it becomes the placeholder string)."""
        value = parent[key]
        if isinstance(value, str):
            self.text(parent, key, field, strict=strict)
        elif isinstance(value, int) and not isinstance(value, bool):
            digits = str(value)

            def put(new: str) -> None:
                if new != digits:
                    parent[key] = new

            self.slots.append(Slot(field, digits, put, strict))
        elif isinstance(value, dict):
            for name in list(value):
                self.key(value, name, f"{field}.{name}", strict=strict)
                self.free(value, name, f"{field}.{name}", strict=strict)
        elif isinstance(value, list):
            for i in range(len(value)):
                self.free(value, i, f"{field}[{i}]", strict=strict)

    def arguments(self, parent: dict[str, Any], key: str, field: str) -> None:
        """Tool-call arguments: the JSON inside the string is walked, so it stays valid JSON
        once redacted; keys are data here (a model may write names as keys). Not JSON: the
        whole string is one text."""
        raw = parent.get(key)
        if not isinstance(raw, str):
            raise wrong(field, "文字列", "a string")
        try:
            holder = [json.loads(raw)]
        except ValueError:
            self.text(parent, key, field)
            return
        self.free(holder, 0, field)

        def dump() -> None:
            if holder[0] != json.loads(raw):
                parent[key] = json.dumps(holder[0], ensure_ascii=False)

        self._dumps.append(dump)

    def schema(self, parent: Any, key: Any, field: str) -> None:
        """A JSON Schema (tool parameters, structured outputs)."""
        value = parent[key]
        if isinstance(value, bool):
            return
        if isinstance(value, list):  # draft-4 tuple ``items``
            for i in range(len(value)):
                self.schema(value, i, f"{field}[{i}]")
            return
        for word in list(self.obj(value, field)):
            self._keyword(value, word, f"{field}.{word}")

    def _keyword(self, schema: dict[str, Any], word: str, field: str) -> None:
        if word in _PROSE:
            self.text(schema, word, field)
        elif word in _VALUES:
            self.free(schema, word, field)
        elif word in _NAMED:
            names = self.obj(schema[word], field)
            for name in list(names):
                self.key(names, name, f"{field}.{name}", strict=True)
                self.schema(names, name, f"{field}.{name}")
        elif word in _SUB:
            self.schema(schema, word, field)
        elif word in _SUBLIST:
            for i in range(len(self.list(schema[word], field))):
                self.schema(schema[word], i, f"{field}[{i}]")
        else:
            if word not in _KNOWN:
                self.key(schema, word, field, strict=True)
            self.free(schema, word, field, strict=True)
