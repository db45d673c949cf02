"""``GET /history``: the signed-in user's own recent chat requests, from the audit log.

Only rows whose ``user_email`` is the caller's: time (the deployment's time zone), model, use
case, outcome, tokens, cost and what was redacted. Prompt text is never shown (it is not
stored, and where a policy stores the redacted prompt ``audit.search`` leaves it out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from audit import search
from gateway.auth import Caller, app_state, authenticate
from gateway.kernel.vocab import ErrorCode, EventType, Outcome
from policies.resolve import resolve
from redaction.entities import LABELS_JA
from web.chat import use_case_choices
from web.templating import render

router = APIRouter(tags=["history"], include_in_schema=False, dependencies=[Depends(authenticate)])

LIMIT = 100

_OUTCOMES: dict[str, str] = {
    Outcome.OK: "成功",
    Outcome.REFUSED: "拒否",
    Outcome.ERROR: "エラー",
    Outcome.CANCELLED: "中断",
}


_REASONS: dict[str, str] = {
    ErrorCode.QUOTA_EXCEEDED: "利用上限",
    ErrorCode.CONTENT_BLOCKED: "送信できない情報を含む",
    ErrorCode.MODEL_NOT_ALLOWED: "許可されていないモデル",
    ErrorCode.USE_CASE_NOT_ALLOWED: "許可されていない用途",
    ErrorCode.SERVICE_UNAVAILABLE: "一時的に利用不可",
    ErrorCode.UPSTREAM_ERROR: "AI サービスのエラー",
    ErrorCode.UPSTREAM_TIMEOUT: "AI サービスの時間切れ",
    ErrorCode.CLIENT_DISCONNECTED: "途中で中断",
}

_TYPE_LABELS = {kind.value: label for kind, label in LABELS_JA.items()}


@dataclass(frozen=True)
class HistoryRow:
    request_id: str
    time: str
    model: str
    use_case: str
    outcome: str
    outcome_code: str
    error: str
    prompt_tokens: int
    completion_tokens: int
    cost_jpy: float
    redactions: str


def _redactions(counts: dict[str, Any]) -> str:
    return "、".join(f"{_TYPE_LABELS.get(name, name)} {n}" for name, n in sorted(counts.items()))


def _row(event: dict[str, Any], labels: dict[str, str]) -> HistoryRow:
    when = datetime.fromisoformat(event["created_at"])
    use_case = event["use_case"] or ""
    return HistoryRow(
        request_id=event["request_id"] or "",
        time=when.strftime("%Y-%m-%d %H:%M"),
        model=event["model"] or "",
        use_case=labels.get(use_case, use_case),
        outcome=_OUTCOMES.get(event["outcome"], event["outcome"]),
        outcome_code=event["outcome"],
        error=_REASONS.get(event["error_code"] or "", event["error_code"] or ""),
        prompt_tokens=event["prompt_tokens"],
        completion_tokens=event["completion_tokens"],
        cost_jpy=event["cost_jpy"],
        redactions=_redactions(event["redactions"] or {}),
    )


@router.get("/history")
async def history_page(request: Request, caller: Caller) -> Response:
    state = app_state(request)
    tz = ZoneInfo(state.settings.timezone)
    filters = search.Filters(user=caller.email, event_type=EventType.CHAT_COMPLETION)
    async with state.sessions() as session:
        events = await search.events(session=session, filters=filters, tz=tz, limit=LIMIT)
    policy = resolve(policies=state.policies, principal=caller).policy
    labels = {choice.value: choice.label for choice in use_case_choices(policy.use_cases)}
    rows = [_row(event, labels) for event in events]
    return render(
        request,
        "history.html",
        {"rows": rows, "limit": LIMIT, "tz": state.settings.timezone},
    )
