"""The OpenAI-compatible API: ``/v1/chat/completions`` and ``/v1/models``.

Plain Starlette routes, matched before every other route (``gateway.http.routing``): each
endpoint takes the request and calls ``authenticate`` itself. FastAPI's route machinery
(dependency solving, the walk through the included routers, its request handler) was a sixth
of a chat request's CPU at concurrency 1 (issue 18); errors still reach the app's one handler.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import pipeline
from gateway.auth import app_state, authenticate
from gateway.http.bodies import read_body, refuse_form
from gateway.relay import SSEResponse
from policies.resolve import resolve


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """Validated for shape; other OpenAI parameters pass through unchanged."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1)


def _invalid(exc: ValidationError) -> RequestValidationError:
    """Pydantic's errors as FastAPI reports a body's (the app's one handler renders them)."""
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
    )


async def _chat_request(request: Request) -> ChatRequest:
    """The body, parsed and validated in one pass of pydantic's JSON parser. Not a FastAPI body
    parameter: FastAPI parses the Content-Type through ``email.message`` and the body with
    ``json`` on every request (~3 % of a worker's CPU under load: bench/overhead/profile.py)."""
    raw = await read_body(request, app_state(request).settings.server.max_body_mb << 20)
    if raw is None:  # the lane skips FastAPI's body limit: the same bound, the same 413
        raise HTTPException(413)
    try:
        return ChatRequest.model_validate_json(raw)
    except ValidationError as exc:
        if all(e["type"] != "json_invalid" for e in exc.errors()):
            raise _invalid(exc) from None
    # What pydantic's parser refuses, the standard library decides, as FastAPI did: bad JSON is
    # a 400, and JSON escaping a lone surrogate reaches the pipeline's own clearer refusal.
    try:
        data = json.loads(raw)
    except ValueError as exc:
        problem = {"type": "json_invalid", "loc": ("body",), "msg": f"JSON decode error: {exc}"}
        raise RequestValidationError([problem]) from None
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


async def chat_completions(request: Request) -> Response:
    refuse_form(request)  # before authenticate: a session's CSRF check would consume a form
    caller = await authenticate(request)
    state = app_state(request)
    body = await _chat_request(request)
    payload = body.model_dump(exclude_unset=True, exclude_none=True)
    conversation = request.headers.get("x-kakehashi-conversation-id")
    use_case = request.headers.get("x-kakehashi-use-case")
    headers: dict[str, str] = {}  # filled by the pipeline (quota warning)
    if body.stream:
        chunks = await pipeline.chat_stream(
            state=state,
            principal=caller,
            body=payload,
            conversation_id=conversation,
            use_case=use_case,
            reply_headers=headers,
        )
        return SSEResponse(chunks, headers={"cache-control": "no-cache", **headers})
    result = await pipeline.chat(
        state=state,
        principal=caller,
        body=payload,
        conversation_id=conversation,
        use_case=use_case,
        reply_headers=headers,
    )
    return Response(orjson.dumps(result), media_type="application/json", headers=headers)


async def list_models(request: Request) -> Response:
    caller = await authenticate(request)
    state = app_state(request)
    await state.refresh_policies()  # the same set the chat path would use now
    policy = resolve(policies=state.policies, principal=caller).policy
    data = [
        {
            "id": m.alias,
            "object": "model",
            "created": 0,
            "owned_by": m.provider,
            "description": m.description,
        }
        for m in state.settings.models
        if policy.allows_model(m.alias)
    ]
    return JSONResponse({"object": "list", "data": data})


ROUTES = (
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/models", list_models, methods=["GET"]),
)
# Served before the middleware stack too (gateway.http.lane); the route above answers the rest
# (a GET: 405) and keeps the endpoint in the app's list of routes.
LANES = {("POST", "/v1/chat/completions"): chat_completions}
