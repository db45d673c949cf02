"""The placeholder mapping of one conversation: which placeholder stands for which value.

Pure data: allocation is deterministic, so two turns of one conversation give the same value
the same placeholder. Values are keyed by their exact surface text, which keeps
``restore(redact(x)) == x`` exact. Serialised as JSON for the vault (which encrypts it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from redaction.entities import EntityType
from redaction.placeholders import format_placeholder


@dataclass(frozen=True, slots=True)
class Mapping:
    """``values``: placeholder -> original text; ``keys``: (type, text) -> placeholder;
    ``next_index``: the next free index per type."""

    values: dict[str, str] = field(default_factory=dict)
    keys: dict[tuple[EntityType, str], str] = field(default_factory=dict)
    next_index: dict[EntityType, int] = field(default_factory=dict)

    def placeholder_for(self, entity_type: EntityType, text: str) -> str | None:
        return self.keys.get((entity_type, text))

    def assign(self, items: Iterable[tuple[EntityType, str]], *, avoid: str = "") -> Mapping:
        """A new mapping that also covers ``items``. Placeholders that occur literally in
        ``avoid`` (the input texts) are skipped, so a restore never rewrites user text."""
        values = dict(self.values)
        keys = dict(self.keys)
        next_index = dict(self.next_index)
        for entity_type, text in items:
            if (entity_type, text) in keys:
                continue
            index = next_index.get(entity_type, 1)
            placeholder = format_placeholder(entity_type, index)
            while placeholder in avoid or placeholder in values:
                index += 1
                placeholder = format_placeholder(entity_type, index)
            next_index[entity_type] = index + 1
            keys[(entity_type, text)] = placeholder
            values[placeholder] = text
        return Mapping(values, keys, next_index)

    def to_json(self) -> bytes:
        rows = [[key[0].value, key[1], placeholder] for key, placeholder in self.keys.items()]
        counters = {t.value: n for t, n in self.next_index.items()}
        return json.dumps({"v": 1, "rows": rows, "next": counters}, ensure_ascii=False).encode()

    @staticmethod
    def from_json(data: bytes) -> Mapping:
        raw = json.loads(data)
        keys = {(EntityType(t), text): placeholder for t, text, placeholder in raw["rows"]}
        values = {placeholder: key[1] for key, placeholder in keys.items()}
        next_index = {EntityType(t): int(n) for t, n in raw["next"].items()}
        return Mapping(values, keys, next_index)
