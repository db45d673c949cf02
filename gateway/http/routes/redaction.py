"""``POST /api/redaction/preview``: the text exactly as it would leave the company.

The web UI shows it before sending. The caller's own department profile (with the names and
words IT approved from corrections) decides what is redacted or blocked; nothing is sent to a
provider. ``corrections`` add a span the detector missed or drop one the policy lets staff
override; each is stored as a proposal for IT (``gateway.corrections``), and a drop is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from audit.chain import EventIn
from gateway.auth import Caller, app_state
from gateway.corrections import service as corrections
from gateway.kernel.errors import Unavailable
from gateway.kernel.principal import Principal
from gateway.kernel.vocab import EventType, Outcome
from gateway.state import AppState
from gateway.workspace.conversations import vault_key
from policies.resolve import resolve
from redaction.corrections import Action, Correction
from redaction.entities import EntityType
from redaction.service import Preview, preview

router = APIRouter(prefix="/api/redaction", tags=["redaction"])


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    start: int = Field(ge=0)
    end: int = Field(ge=1)
    type: EntityType | None = None

    def correction(self) -> Correction:
        return Correction(self.action, self.start, self.end, self.type)


class PreviewRequest(BaseModel):
    text: str = Field(max_length=200_000)
    corrections: list[CorrectionIn] = Field(default_factory=list, max_length=100)
    # The conversation the text will be sent in: its placeholders are the ones shown.
    conversation_id: str | None = Field(
        default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"
    )


@router.post("/preview")
async def preview_redaction(
    request: Request, body: PreviewRequest, caller: Caller
) -> dict[str, Any]:
    state = app_state(request)
    if state.redaction is None:
        raise Unavailable("秘匿化が利用できません。", "Redaction is unavailable.")
    await state.refresh_policies()
    profile = resolve(policies=state.policies, principal=caller).policy.redaction
    profile = state.approved.apply(profile, caller.department)
    base = None
    if body.conversation_id is not None:
        base = await state.redaction.vault.get(vault_key(caller.user_id, body.conversation_id))
    result = await preview(
        redactor=state.redaction.redactor,
        text=body.text,
        profile=profile,
        timeout_s=state.settings.redaction_timeout_s,
        limiter=state.redaction.limiter,
        owner=str(caller.user_id),
        base=base,
        corrections=[c.correction() for c in body.corrections],
        cache=state.redaction.cache,
    )
    return {
        "text": result.text,
        "entities": [
            {
                "type": s.type.value,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "placeholder": s.placeholder,
                "replaced": s.replaced,
                "redacted_start": s.redacted_start,
                "redacted_end": s.redacted_end,
            }
            for s in result.spans
        ],
        "groups": [
            {"type": g.type.value, "text": g.text, "placeholder": g.placeholder, "count": g.count}
            for g in result.groups()
        ],
        "blocked": [{"type": f.type.value, "start": f.start, "end": f.end} for f in result.blocked],
        "proposals": await _proposed(state, caller, result),
    }


async def _proposed(state: AppState, caller: Principal, result: Preview) -> list[int]:
    """Store the corrections as proposals for IT; audit the drops (types and ids, no text)."""
    if not result.proposals:
        return []
    async with state.sessions.begin() as session:
        saved = await corrections.record(
            session=session,
            department=caller.department,
            user_email=caller.email,
            proposals=result.proposals,
        )
    if result.dropped:
        await state.audit.append(
            EventIn(
                event_type=EventType.REDACTION_OVERRIDE,
                outcome=Outcome.OK,
                user_email=caller.email,
                department=caller.department,
                role=caller.role.value,
                detail={
                    "dropped": sorted(e.type.value for e in result.dropped),
                    "proposals": [p.id for p in saved],
                },
            )
        )
    return [p.id for p in saved]
