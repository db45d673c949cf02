"""Staff corrections on one preview (issue 13), table-driven: what is added, what may be dropped
(only types the policy lets staff override, never a blocked one), what is refused, and the
proposal each correction makes for IT."""

from __future__ import annotations

import pytest

from redaction.corrections import (
    Action,
    Correction,
    CorrectionRefused,
    Proposal,
    ProposalKind,
    apply_corrections,
)
from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile
from redaction.service import preview

TEXT = "来週は青空計画の打ち合わせです。山田太郎様も参加。電話 03-1234-5678"
PLAN = (TEXT.index("青空計画"), TEXT.index("青空計画") + 4)
YAMADA = (TEXT.index("山田太郎"), TEXT.index("山田太郎") + 4)
PHONE = (TEXT.index("03-"), len(TEXT))
OVERRIDE_PERSON = RedactionProfile(overridable=["PERSON"])

# (case, profile, corrections, proposal made, (type, text) that must be redacted, text left)
ACCEPTED = [
    (
        "add a missed name",
        RedactionProfile(),
        [Correction(Action.ADD, *PLAN, T.COMPANY)],
        Proposal(ProposalKind.ADD_TERM, T.COMPANY, "青空計画"),
        (T.COMPANY, "青空計画"),
        None,
    ),
    (
        "drop a person where the policy allows it",
        OVERRIDE_PERSON,
        [Correction(Action.DROP, *YAMADA)],
        Proposal(ProposalKind.ALLOW_TERM, T.PERSON, "山田太郎"),
        (T.PHONE, "03-1234-5678"),
        "山田太郎",
    ),
]

# (case, profile, corrections)
REFUSED = [
    (
        "drop a type the policy does not release",
        RedactionProfile(),
        [Correction(Action.DROP, *YAMADA)],
    ),
    ("drop a phone number", OVERRIDE_PERSON, [Correction(Action.DROP, *PHONE)]),
    (
        "drop a blocked type even if listed as overridable",
        RedactionProfile(overridable=["PHONE"], block=["PHONE"]),
        [Correction(Action.DROP, *PHONE)],
    ),
    ("drop a span the detector did not find", OVERRIDE_PERSON, [Correction(Action.DROP, 0, 2)]),
    ("add without a type", RedactionProfile(), [Correction(Action.ADD, *PLAN)]),
    (
        "add a type the department does not redact",
        RedactionProfile(redact=["PHONE"]),
        [Correction(Action.ADD, *PLAN, T.COMPANY)],
    ),
    ("add outside the text", RedactionProfile(), [Correction(Action.ADD, 5, 500, T.COMPANY)]),
    ("add a blank", RedactionProfile(), [Correction(Action.ADD, 0, 0, T.COMPANY)]),
]


@pytest.mark.parametrize(
    ("case", "profile", "corrections", "proposal", "redacted", "left"),
    ACCEPTED,
    ids=[a[0] for a in ACCEPTED],
)
@pytest.mark.anyio
async def test_accepted_corrections(
    redactor: Redactor,
    case: str,
    profile: RedactionProfile,
    corrections: list[Correction],
    proposal: Proposal,
    redacted: tuple[T, str],
    left: str | None,
) -> None:
    result = await preview(
        redactor=redactor, text=TEXT, profile=profile, timeout_s=10, corrections=corrections
    )
    assert result.proposals == (proposal,), case
    assert redacted in [(s.type, s.text) for s in result.spans], case
    assert redacted[1] not in result.text
    if left is not None:
        assert left in result.text
        assert [e.text for e in result.dropped] == [left]


@pytest.mark.parametrize(("case", "profile", "corrections"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_corrections(
    redactor: Redactor, case: str, profile: RedactionProfile, corrections: list[Correction]
) -> None:
    found = redactor.analyze(TEXT, profile)
    with pytest.raises(CorrectionRefused) as refused:
        apply_corrections(TEXT, found, corrections, profile)
    assert refused.value.ja, case
    assert refused.value.en, case


def test_approved_names_reach_the_next_analysis(redactor: Redactor) -> None:
    before = redactor.analyze(TEXT, RedactionProfile())
    assert "青空計画" not in [e.text for e in before]
    approved = RedactionProfile(terms=[(T.COMPANY, "青空計画")], allow=["山田太郎"])
    after = [(e.type, e.text) for e in redactor.analyze(TEXT, approved)]
    assert (T.COMPANY, "青空計画") in after
    assert all(text != "山田太郎" for _, text in after)
