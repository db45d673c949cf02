"""The IT admin's audit page: ``/admin/audit`` (recent events, filters, the CSV link) and
``POST /admin/audit/verify`` (check the hash chain now).

Admins only; managers and staff get an audited 403 like on ``/api/audit``. Listing goes
through the same service as ``/api/audit`` (``audit.search.list_events``), so the
page never shows prompt text either. Verification walks the whole chain (about 15 s for a
year of 200k events): it runs in a worker thread on a connection of its own, so the event loop
stays free, one walk at a time per process (a second click meanwhile gets 503). Each run is
recorded as an ``audit.verified`` event and the page shows the latest one.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from audit import search
from audit.chain import EventIn
from audit.verify import Verification, checkpoint_key, verify
from gateway.auth import Caller, app_state, authenticate, require_role
from gateway.kernel.db import make_sync_engine
from gateway.kernel.errors import BadRequest, Unavailable
from gateway.kernel.principal import Role
from gateway.kernel.settings import Settings
from gateway.kernel.vocab import EventType, Outcome
from web.templating import render

router = APIRouter(
    prefix="/admin",
    tags=["pages"],
    include_in_schema=False,
    dependencies=[Depends(authenticate), Depends(require_role(Role.ADMIN))],
)

_PAGE = 50
_FILTERS = ("from", "to", "department", "user", "event_type", "outcome")
_VERIFYING = threading.Lock()  # one chain walk at a time per process
# The filter's choices in Japanese; the values stay the codes the API, the CSV and the table use.
EVENT_TYPE_JA: dict[EventType, str] = {
    EventType.CHAT_COMPLETION: "チャット",
    EventType.AUTH_LOGIN: "ログイン",
    EventType.AUTH_LOGIN_FAILED: "ログイン失敗",
    EventType.AUTH_LOGOUT: "ログアウト",
    EventType.AUTH_FAILED: "認証失敗 (API キーなど)",
    EventType.AUTH_FORBIDDEN: "権限のないアクセス",
    EventType.KEY_CREATED: "API キーの発行",
    EventType.KEY_REVOKED: "API キーの無効化",
    EventType.USER_DISABLED: "利用者の停止",
    EventType.USER_ENABLED: "利用者の再開",
    EventType.USER_CHANGED: "部署・役割の変更",
    EventType.USER_PROVISIONED: "利用者の自動登録 (SCIM)",
    EventType.SCIM_TOKEN_CREATED: "SCIM トークンの発行",
    EventType.POLICY_LOADED: "ポリシーの読み込み",
    EventType.POLICY_REJECTED: "ポリシーの読み込み失敗",
    EventType.POLICY_CHANGED: "ポリシーの変更",
    EventType.AUDIT_PURGED: "古い監査ログの削除",
    EventType.AUDIT_VERIFIED: "ハッシュチェーンの検証",
    EventType.CONVERSATIONS_PURGED: "保存期間を過ぎた会話の削除",
    EventType.TEMPLATE_CREATED: "テンプレートの作成",
    EventType.TEMPLATE_DELETED: "テンプレートの削除",
    EventType.BUDGET_ALERT: "予算アラート",
    EventType.TRIAL_PROPOSED: "トライアルの提案",
    EventType.TRIAL_SUBMITTED: "トライアルの申請",
    EventType.TRIAL_SENT_BACK: "トライアルの差し戻し",
    EventType.TRIAL_APPROVED: "トライアルの承認",
    EventType.TRIAL_DECIDED: "トライアルの判断 (継続・中止)",
    EventType.ANSWER_COPIED: "回答のコピー",
    EventType.REDACTION_OVERRIDE: "秘匿化の取り消し",
    EventType.REDACTION_PROPOSAL_DECIDED: "秘匿化の提案への判断",
    EventType.DEMO_SEEDED: "デモデータの作成",
}
OUTCOME_JA: dict[Outcome, str] = {
    Outcome.OK: "成功",
    Outcome.REFUSED: "拒否",
    Outcome.ERROR: "エラー",
    Outcome.CANCELLED: "中断 (利用者が離脱)",
    Outcome.TAMPERED: "改ざんを検出",
}


def _filters(request: Request) -> tuple[search.AuditQuery, dict[str, str]]:
    """The filter form's values; empty fields mean "any" (a browser sends them as ``x=``)."""
    given = {k: v.strip() for k in _FILTERS if (v := request.query_params.get(k, "")).strip()}
    # The type and outcome are picked from lists; a code outside them (an edited address)
    # would filter by something the form cannot show, and the CSV link would disagree with it.
    for name, known in (("event_type", EVENT_TYPE_JA), ("outcome", OUTCOME_JA)):
        if name in given and given[name] not in known:
            raise BadRequest(
                f"{name} は一覧にある値を選んでください: {given[name]!r}",
                f"{name} must be one of the listed values: {given[name]!r}",
            )
    try:
        return search.AuditQuery.model_validate(given), given
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise BadRequest(
            f"絞り込み条件が正しくありません (日付は YYYY-MM-DD): {problems}",
            f"The filters are not valid (dates are YYYY-MM-DD): {problems}",
        ) from exc


def _before_seq(request: Request) -> int | None:
    value = request.query_params.get("before_seq", "")
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise BadRequest(
            "before_seq は 1 以上の整数で指定してください。", "before_seq must be an integer >= 1."
        )
    return int(value)


def _walk(settings: Settings) -> Verification | None:
    """The chain check, or None when another one is running in this process."""
    if not _VERIFYING.acquire(blocking=False):
        return None
    engine = make_sync_engine(settings.database.url)
    try:
        with engine.connect() as conn:
            return verify(conn, key=checkpoint_key(settings.secret_key.get_secret_value()))
    finally:
        engine.dispose()
        _VERIFYING.release()


async def _page(request: Request, *, verified: Verification | None = None) -> Response:
    state = app_state(request)
    query, given = _filters(request)
    before = _before_seq(request)
    tz = ZoneInfo(state.settings.timezone)
    rows = await search.list_events(
        sessions=state.sessions, filters=query.filters(), tz=tz, before_seq=before, limit=_PAGE
    )
    verified_only = search.Filters(event_type=EventType.AUDIT_VERIFIED)
    last_check = await search.list_events(
        sessions=state.sessions, filters=verified_only, tz=tz, limit=1
    )
    context: dict[str, Any] = {
        "events": rows,
        "filters": given,
        "departments": sorted(state.policies.current.by_department),
        "event_types": EVENT_TYPE_JA,
        "outcomes": OUTCOME_JA,
        "csv_url": "/api/audit.csv" + (f"?{urlencode(given)}" if given else ""),
        "older_url": (
            f"/admin/audit?{urlencode(given | {'before_seq': str(rows[-1]['seq'])})}"
            if len(rows) == _PAGE
            else None
        ),
        "verified": verified.summary() if verified else None,
        "verified_ok": verified.ok if verified else None,
        "last_check": last_check[0] if last_check else None,
        "timezone": ZoneInfo(state.settings.timezone).key,
    }
    return render(request, "audit.html", context)


@router.get("/audit")
async def audit_page(request: Request) -> Response:
    return await _page(request)


@router.post("/audit/verify")
async def audit_verify(request: Request, caller: Caller) -> Response:
    state = app_state(request)
    result = await anyio.to_thread.run_sync(_walk, state.settings)
    if result is None:
        raise Unavailable(
            "別の検証を実行中です。1 分ほどしてからもう一度お試しください。",
            "Another verification is running; try again in a minute.",
            headers={"retry-after": "60"},
        )
    await state.audit.append(
        EventIn(
            event_type=EventType.AUDIT_VERIFIED,
            outcome=Outcome.OK if result.ok else Outcome.TAMPERED,
            user_email=caller.email,
            department=caller.department,
            role=caller.role.value,
            detail={
                "checked": result.checked,
                "head_seq": result.head_seq,
                "head_hash": result.head_hash,
                "broken_seq": result.broken_seq,
                "problem": result.problem,
            },
        )
    )
    return await _page(request, verified=result)
