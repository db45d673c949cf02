"""Substitution and the redaction preview.

``substitute_mentions`` puts a text's mentions (``redaction.mentions``) in as placeholders (the
request boundary, ``redaction.boundary``, makes the mentions once for both the mapping and this,
in every field of a request); ``substitute`` and ``mention_items`` do the same from the findings
of one text; ``preview`` shows one text exactly as it would leave. Fail closed: any error or
timeout raises ``RedactionFailed``. The mapping stays in the gateway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from redaction.analysis import FairLimiter, analyze_texts
from redaction.cache import AnalysisCache
from redaction.corrections import Correction, Proposal, apply_corrections
from redaction.engine import Redactor
from redaction.entities import Entity, EntityType
from redaction.errors import Finding, RedactionFailed
from redaction.mapping import Item, Mapping
from redaction.mentions import Mention, mentions
from redaction.profile import RedactionProfile


@dataclass(frozen=True, slots=True)
class PreviewSpan:
    type: EntityType
    start: int  # in the original text
    end: int
    text: str
    placeholder: str  # replaces the name; a company's legal form stays beside it
    redacted_start: int  # the placeholder in the redacted text
    redacted_end: int
    replaced: str  # what the placeholder stands for: ``text`` without a legal form it keeps


@dataclass(frozen=True, slots=True)
class PreviewGroup:
    """Every occurrence of one value: shown once, with how often it occurs."""

    type: EntityType
    text: str
    placeholder: str
    count: int


@dataclass(frozen=True, slots=True)
class Preview:
    text: str  # exactly what would be sent (for a new conversation)
    spans: tuple[PreviewSpan, ...]
    blocked: tuple[Finding, ...]  # non-empty: the request would be refused
    # Staff corrections applied to this preview: proposals for IT and the spans dropped.
    proposals: tuple[Proposal, ...] = ()
    dropped: tuple[Entity, ...] = ()

    def groups(self) -> list[PreviewGroup]:
        """The spans grouped by (type, value, placeholder), in order of first occurrence. The
        value is what the placeholder replaced: staff read 株式会社ミライ精工 → 〔顧客A〕 as the
        legal form hidden too, when 株式会社 stays in the text that leaves."""
        counts = Counter((span.type, span.replaced, span.placeholder) for span in self.spans)
        return [
            PreviewGroup(t, text, placeholder, n) for (t, text, placeholder), n in counts.items()
        ]


def _redactable(entities: list[Entity], profile: RedactionProfile) -> list[Entity]:
    redact = set(profile.redact)
    return [e for e in entities if e.type in redact]


def substitute(text: str, entities: Sequence[Entity], mapping: Mapping) -> str:
    """``text`` with each entity (non-overlapping, in order) replaced by its placeholder."""
    return _placed(text, mentions(text, entities), mapping)[0]


def substitute_mentions(text: str, found: Sequence[Mention], mapping: Mapping) -> str:
    """``substitute`` for the mentions already made of ``text`` (the boundary makes them once
    for both the mapping's items and the substitution)."""
    return _placed(text, found, mapping)[0]


def mention_items(text: str, entities: Sequence[Entity]) -> list[Item]:
    """What ``Mapping.assign`` needs for ``substitute(text, entities, ...)``."""
    return [m.item for m in mentions(text, entities)]


def _placed(
    text: str, found: Sequence[Mention], mapping: Mapping
) -> tuple[str, list[tuple[Entity, str, int, str]]]:
    """The substituted text and, per mention, its entity, placeholder, where it landed and the
    original text it replaced."""
    parts: list[str] = []
    placed: list[tuple[Entity, str, int, str]] = []
    position = size = 0
    for m in found:
        start, end = m.start, m.end
        placeholder = mapping.placeholder_for(*m.item)
        if placeholder is None:
            # Assigned as a whole finding (callers of the older ``assign`` API): replace it all.
            start, end = m.entity.start, m.entity.end
            placeholder = mapping.placeholder_for(m.entity.type, m.entity.text)
        if placeholder is None:
            raise RedactionFailed("no placeholder assigned")
        parts.append(text[position:start])
        size += start - position
        placed.append((m.entity, placeholder, size, text[start:end]))
        parts.append(placeholder)
        size += len(placeholder)
        position = end
    parts.append(text[position:])
    return "".join(parts), placed


def preview_text(
    text: str, entities: Sequence[Entity], profile: RedactionProfile, base: Mapping | None = None
) -> Preview:
    """The redaction of one text (synchronous core of ``preview``); ``base``: the
    conversation's mapping, so earlier turns' placeholders are the ones shown."""
    blocked = tuple(Finding(e.type, 0, e.start, e.end) for e in entities if e.type in profile.block)
    kept = _redactable(list(entities), profile)
    found = mentions(text, kept)
    mapping = (base or Mapping()).assign([m.item for m in found], avoid=text)
    redacted, placed = _placed(text, found, mapping)
    spans = tuple(
        PreviewSpan(e.type, e.start, e.end, e.text, placeholder, at, at + len(placeholder), was)
        for e, placeholder, at, was in placed
    )
    return Preview(text=redacted, spans=spans, blocked=blocked)


async def preview(
    *,
    redactor: Redactor,
    text: str,
    profile: RedactionProfile,
    timeout_s: float,
    limiter: FairLimiter | None = None,
    owner: str = "",
    base: Mapping | None = None,
    corrections: Sequence[Correction] = (),
    cache: AnalysisCache | None = None,
) -> Preview:
    """For ``POST /api/redaction/preview``: the text exactly as it would leave (in the
    conversation whose mapping is ``base``, else a new one), the spans replaced, and what would
    be blocked; ``corrections`` from staff applied (``redaction.corrections``). Raises
    ``RedactionFailed`` or ``CorrectionRefused``."""
    found = await analyze_texts(
        [text],
        redactor=redactor,
        profile=profile,
        timeout_s=timeout_s,
        limiter=limiter,
        owner=owner,
        cache=cache,
    )
    if not corrections:
        return preview_text(text, found[0], profile, base)
    corrected = apply_corrections(text, found[0], corrections, profile)
    result = preview_text(text, corrected.entities, profile, base)
    return replace(result, proposals=corrected.proposals, dropped=corrected.dropped)
