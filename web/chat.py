"""The staff chat page (``GET /chat``) and its streaming endpoint (``POST /web/chat``).

The page lists only the models and use cases the caller may use now (the pipeline's rule,
``policies.resolve.usable_use_cases``). The
endpoint is the browser's door to ``gateway.pipeline.chat_stream`` (the one path to a
provider): it relays the OpenAI SSE with placeholders already restored and the
``x-kakehashi-request-id`` header for feedback. Cookie requests need the CSRF header
(``gateway.auth``). This module must not talk to a provider or the redaction engine itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway import digest, pipeline
from gateway.auth import Caller, app_state, authenticate
from gateway.kernel.errors import NotFound
from gateway.kernel.principal import Principal
from gateway.relay import SSEResponse
from gateway.state import AppState
from gateway.workspace import conversations, templates
from gateway.workspace.documents import SUPPORTED
from gateway.workspace.sealing import Sealer
from policies.model import DEFAULT_USE_CASE, Policy, UseCase
from policies.resolve import resolve, usable_use_cases
from redaction.entities import LABELS_JA
from web.markdown import to_html
from web.templating import render

router = APIRouter(tags=["chat"], include_in_schema=False, dependencies=[Depends(authenticate)])

PARTS_HEADER = "x-kakehashi-parts"  # requests made to summarise a long document first
MAX_TURNS = 60
MAX_CHARS = 100_000  # one message
MAX_TOTAL_CHARS = 200_000  # the whole conversation, redacted again on every turn


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str = ""


def model_choices(*, state: AppState, policy: Policy) -> list[Choice]:
    return [
        Choice(m.alias, m.alias, m.description)
        for m in state.settings.models
        if policy.allows_model(m.alias)
    ]


def use_case_choices(usable: dict[str, UseCase]) -> list[Choice]:
    return [
        Choice(name, case.label_ja, f"1 回あたり約 {case.minutes_saved:g} 分の短縮")
        for name, case in usable.items()
    ]


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_CHARS)


class WebChatIn(BaseModel):
    """What the page sends: the whole conversation as typed (the pipeline redacts every turn)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=100)
    use_case: str | None = Field(default=None, max_length=50)
    conversation_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    # The template the prompt was made from: a use case's own (its name) or a shared one (t12).
    template: str | None = Field(default=None, max_length=50, pattern=r"^[a-z0-9_]+$")
    messages: Annotated[list[Turn], Field(min_length=1, max_length=MAX_TURNS)]

    @model_validator(mode="after")
    def _not_too_long(self) -> WebChatIn:
        if sum(len(turn.content) for turn in self.messages) > MAX_TOTAL_CHARS:
            raise ValueError(
                f"会話が長すぎます (合計 {MAX_TOTAL_CHARS:,} 文字まで)。「新しい会話」で始め直してください"
                f" / the conversation is too long (at most {MAX_TOTAL_CHARS:,} characters)"
            )
        return self


async def _templates(
    state: AppState, caller: Principal, usable: dict[str, UseCase]
) -> list[dict[str, Any]]:
    """The templates the page offers: each usable use case's own, then the department's and
    the company's shared ones (``gateway.workspace.templates``)."""
    offered = [
        {"key": name, "use_case": name, "title": "標準", **case.template.model_dump()}
        for name, case in usable.items()
        if case.template is not None
    ]
    async with state.sessions() as session:
        shared = await templates.visible(session=session, principal=caller, use_cases=usable)
    return offered + [
        {
            "key": t.key,
            "use_case": t.use_case,
            "title": f"{t.department or '全社'}: {t.title}",
            **t.template.model_dump(),
        }
        for t in shared
    ]


async def _use_case(state: AppState, caller: Principal, body: WebChatIn) -> str | None:
    """A request made from a template is counted under the template's use case, whatever the
    page says; a shared template must be one the caller may use."""
    if body.template is None:
        return body.use_case
    if not body.template.startswith("t"):
        return body.template  # a use case's own template: the pipeline checks the use case
    async with state.sessions() as session:
        shared = await templates.find_visible(session=session, principal=caller, key=body.template)
    if shared is None:
        raise NotFound(
            "そのテンプレートは使えません (削除されたか、ほかの部署のものです)。",
            "No such template for you (deleted, or another department's).",
        )
    return shared.use_case


@router.get("/chat")
async def chat_page(request: Request, caller: Caller) -> Response:
    state = app_state(request)
    await state.refresh_policies()
    policy = resolve(policies=state.policies, principal=caller).policy
    # Only what the pipeline would accept now: closed and not-eligible trial tasks are left out.
    usable = usable_use_cases(policy=policy, principal=caller, today=state.kpi_source().today())
    cases = use_case_choices(usable)
    default = DEFAULT_USE_CASE if DEFAULT_USE_CASE in usable else None
    context = {
        "models": model_choices(state=state, policy=policy),
        "use_cases": cases,
        "default_use_case": default or (cases[0].value if cases else ""),
        "max_chars": MAX_CHARS,
        "entity_labels": {kind.value: label for kind, label in LABELS_JA.items()},
        "templates": await _templates(state, caller, usable),
        "accept": ",".join(f".{kind}" for kind in SUPPORTED),
        "accept_label": " ".join(f".{kind}" for kind in SUPPORTED),
        "max_mb": f"{policy.documents.max_bytes / 1024 / 1024:g}",
        "store": "server" if policy.retention.store_conversations else "browser",
        "retention_days": policy.retention.days,
    }
    return render(request, "chat.html", context)


def _keeper(
    state: AppState, caller: Principal, body: WebChatIn, use_case: str | None
) -> conversations.Keep | None:
    """Saves the conversation after each answer, unless the department's policy says not to."""
    retention = resolve(policies=state.policies, principal=caller).policy.retention
    if not retention.store_conversations:
        return None
    first = next(turn.content for turn in body.messages if turn.role == "user")
    return conversations.keeper(
        sessions=state.sessions,
        sealer=Sealer(state.settings.secret_key.get_secret_value()),
        user_id=caller.user_id,
        conversation_id=body.conversation_id,
        title=first,
        use_case=use_case,
        keep_days=retention.days,
    )


@router.post("/web/chat", response_model=None)
async def web_chat(request: Request, body: WebChatIn, caller: Caller) -> Response:
    headers: dict[str, str] = {}  # the pipeline adds the request id and the quota warning
    state = app_state(request)
    use_case = await _use_case(state, caller, body)
    detail = {"template": body.template} if body.template else {}
    fitted = await digest.fit(  # a document beyond the model's context: summarised in parts
        state=state,
        principal=caller,
        model=body.model,
        messages=[turn.model_dump() for turn in body.messages],
        conversation_id=body.conversation_id,
        use_case=use_case,
        detail=detail,
    )
    if fitted.parts:
        headers[PARTS_HEADER] = str(fitted.parts)
    chunks = await pipeline.chat_stream(
        state=state,
        principal=caller,
        body={"model": body.model, "stream": True, "messages": fitted.messages},
        conversation_id=body.conversation_id,
        use_case=use_case,
        reply_headers=headers,
        keep=_keeper(state, caller, body, use_case),
        detail=detail,
    )
    return SSEResponse(
        chunks,
        headers={"cache-control": "no-store", "x-content-type-options": "nosniff", **headers},
    )


class MarkdownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TOTAL_CHARS)


@router.post("/web/render")
async def render_markdown(body: MarkdownIn) -> dict[str, str]:
    """An answer's Markdown as sanitised HTML (the page shows plain text while it streams)."""
    return {"html": to_html(body.text)}
