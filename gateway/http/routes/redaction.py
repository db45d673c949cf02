"""``POST /api/redaction/preview``: the text exactly as it would leave the company.

The web UI shows it before sending. The caller's own department profile decides what is
redacted or blocked; nothing is stored and nothing is sent to a provider.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from gateway.auth import app_state, authenticate
from gateway.kernel.errors import TooLarge, Unavailable
from gateway.kernel.principal import Principal
from gateway.workspace.conversations import vault_key
from policies.resolve import resolve
from redaction.errors import PromptTooLarge, RedactionFailed
from redaction.service import preview

router = APIRouter(prefix="/api/redaction", tags=["redaction"])

Caller = Annotated[Principal, Depends(authenticate)]


class PreviewRequest(BaseModel):
    text: str = Field(max_length=200_000)
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
    await state.policies.refresh()
    profile = resolve(policies=state.policies, principal=caller).policy.redaction
    base = None
    if body.conversation_id is not None:
        base = await state.redaction.vault.get(vault_key(caller.user_id, body.conversation_id))
    try:
        result = await preview(
            redactor=state.redaction.redactor,
            text=body.text,
            profile=profile,
            timeout_s=state.settings.redaction_timeout_s,
            limiter=state.redaction.limiter,
            owner=str(caller.user_id),
            base=base,
        )
    except PromptTooLarge as exc:
        raise TooLarge(exc.ja, exc.en) from exc
    except RedactionFailed as exc:
        raise Unavailable(exc.ja, exc.en) from exc
    return {
        "text": result.text,
        "entities": [
            {
                "type": s.type.value,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "placeholder": s.placeholder,
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
    }
