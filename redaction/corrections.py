"""Corrections from people on one request (issue 13): add a span the detector missed, drop a
detected span where the department's policy lets staff override that type.

Each correction also becomes a proposal for IT — a name to add to the department's dictionary
(an added span) or a word to allow (a dropped span) — which the gateway stores; once approved
it reaches the profile (``RedactionProfile.terms`` / ``allow``) and so the next request. Pure
functions over one text and its findings; nothing here is stored or audited (the caller does
both), and a refused correction raises, so nothing is ever sent with less redaction than the
policy allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from gateway.kernel.errors import BadRequest
from redaction.engine import resolve_overlaps
from redaction.entities import LABELS_JA, Entity, EntityType
from redaction.errors import RedactionError
from redaction.profile import RedactionProfile

_MAX_TERM_CHARS = 200


class Action(StrEnum):
    ADD = "add"
    DROP = "drop"


class ProposalKind(StrEnum):
    ADD_TERM = "add_term"  # a name for the department's dictionary
    ALLOW_TERM = "allow_term"  # a word the department allows


@dataclass(frozen=True, slots=True)
class Correction:
    action: Action
    start: int
    end: int
    type: EntityType | None = None  # required to add


@dataclass(frozen=True, slots=True)
class Proposal:
    kind: ProposalKind
    type: EntityType
    term: str


@dataclass(frozen=True, slots=True)
class Corrected:
    entities: list[Entity]
    proposals: tuple[Proposal, ...]
    dropped: tuple[Entity, ...]


class CorrectionRefused(RedactionError, BadRequest):
    """A correction the policy or the text does not allow (400 for the API)."""


def apply_corrections(
    text: str,
    entities: Sequence[Entity],
    corrections: Sequence[Correction],
    profile: RedactionProfile,
) -> Corrected:
    """``entities`` with ``corrections`` applied. Raises ``CorrectionRefused``."""
    kept = list(entities)
    added: list[Entity] = []
    dropped: list[Entity] = []
    proposals: list[Proposal] = []
    for c in corrections:
        if not 0 <= c.start < c.end <= len(text) or c.end - c.start > _MAX_TERM_CHARS:
            raise CorrectionRefused(
                "訂正の範囲が本文の外か、長すぎます。",
                "A correction's range is outside the text or too long.",
            )
        if c.action is Action.ADD:
            added.append(_added(text, c, profile))
            proposals.append(Proposal(ProposalKind.ADD_TERM, added[-1].type, added[-1].text))
        else:
            entity = _dropped(kept, c, profile)
            kept.remove(entity)
            dropped.append(entity)
            proposals.append(Proposal(ProposalKind.ALLOW_TERM, entity.type, entity.text))
    merged = resolve_overlaps(text, [*kept, *added], first=profile.block)
    return Corrected(merged, tuple(proposals), tuple(dropped))


def _added(text: str, c: Correction, profile: RedactionProfile) -> Entity:
    if c.type is None or c.type not in profile.wanted():
        raise CorrectionRefused(
            "追加する範囲の種類を、部門で伏せ字にする種類から指定してください。",
            "Give the added span a type your department redacts.",
        )
    if not text[c.start : c.end].strip():
        raise CorrectionRefused("空白は追加できません。", "A blank span cannot be added.")
    return Entity(c.type, c.start, c.end, text[c.start : c.end], 1.0)


def _dropped(kept: list[Entity], c: Correction, profile: RedactionProfile) -> Entity:
    entity = next((e for e in kept if (e.start, e.end) == (c.start, c.end)), None)
    if entity is None:
        raise CorrectionRefused(
            "外そうとした範囲は検出されていません。",
            "The span to drop is not one the detector found.",
        )
    if entity.type not in profile.overridable or entity.type in profile.block:
        raise CorrectionRefused(
            f"部門のポリシーでは{LABELS_JA[entity.type]}の伏せ字は外せません。",
            f"Your department's policy does not let staff drop a {entity.type.value} redaction.",
        )
    return entity
