"""A local OpenAI-compatible upstream that records every request it receives.

It is the one stand-in the test suite allows: tests assert on `requests` to prove exactly
what left the company. The upstream model name selects a behaviour:

- ``error-500`` / ``error-400`` / ``error-429``: answer with that status and an OpenAI error body;
- ``sleep-<seconds>``: wait before answering (timeout tests);
- ``drip-<seconds>``: stream the echo with that pause between pieces (a stop button to press);
- protocol faults: ``garbage-json`` (200 with a body that is not JSON), ``bad-sse`` (a stream
  whose second event is not JSON), ``bad-sse-first`` (its first event is not JSON),
  ``reset-stream`` (the connection dropped after the first event), ``slow-stream`` (events
  half a second apart);
- ``tail-<n>``: echo only the last ``n`` characters of the last user message (a "summary"
  shorter than its input, for documents summarised in parts);
- anything else: echo the last user message back, as ``echo: <text>``; in ``n`` choices when
  asked (choice i > 0 says ``echo<i>: …``); when the request offers ``tools``, as a call of
  the first tool with arguments ``{"echo": <text>}`` instead.

It is a bare ASGI app on uvicorn (no framework) so the overhead benchmark can use it as the
"direct" baseline. Run standalone with ``python -m tests.support.mock_upstream --port 9000``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class MockUpstream:
    """ASGI app; `requests` holds every request seen, in order."""

    requests: list[RecordedRequest] = field(default_factory=list)
    record: bool = True

    def texts_sent(self) -> str:
        """Everything the upstream received, as one string, for 'never sent' assertions."""
        return "\n".join(json.dumps(r.body, ensure_ascii=False) for r in self.requests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope["path"]
        if path.endswith("/models"):
            await _send_json(
                send, 200, {"object": "list", "data": [{"id": "mock", "object": "model"}]}
            )
            return
        body = json.loads(raw) if raw else {}
        if self.record:
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            self.requests.append(RecordedRequest(scope["method"], path, headers, body))
        await self._answer(body, send)

    async def _answer(self, body: dict[str, Any], send: Send) -> None:
        model = str(body.get("model", ""))
        if model.startswith("error-"):
            status = int(model.removeprefix("error-"))
            err = {"error": {"message": f"mock upstream error {status}", "type": "server_error"}}
            await _send_json(send, status, err)
            return
        if model in _FAULTS:
            await _FAULTS[model](send)
            return
        if model.startswith("sleep-"):
            await asyncio.sleep(float(model.removeprefix("sleep-")))
        last = _last_user_text(body.get("messages", []))
        if model.startswith("tail-"):
            last = last[-int(model.removeprefix("tail-")) :]
        text = "echo: " + last
        # Like OpenAI: tools and the response format are prompt tokens too; every choice's
        # tokens are completion tokens.
        prompt_tokens = sum(
            len(json.dumps(m, ensure_ascii=False)) for m in body.get("messages", [])
        )
        extra = {k: body[k] for k in ("tools", "functions", "response_format") if k in body}
        prompt_tokens += len(json.dumps(extra, ensure_ascii=False)) if extra else 0
        prompt_tokens = max(1, prompt_tokens // 4)
        completion_tokens = max(1, len(text) // 4) * int(body.get("n") or 1)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        messages = [_message(body, i, last) for i in range(int(body.get("n") or 1))]
        if body.get("stream"):
            pause = float(model.removeprefix("drip-")) if model.startswith("drip-") else 0.0
            await _send_stream(send, model, messages, usage, pause)
            return
        await _send_json(
            send,
            200,
            {
                "id": "chatcmpl-mock",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": i,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                    for i, message in enumerate(messages)
                ],
                "usage": usage,
            },
        )


def _message(body: dict[str, Any], index: int, last: str) -> dict[str, Any]:
    text = f"echo{index or ''}: {last}"
    tools = body.get("tools") or []
    if not tools:
        return {"role": "assistant", "content": text}
    name = tools[0].get("function", {}).get("name", "tool")
    arguments = json.dumps({"echo": last}, ensure_ascii=False)
    call = {
        "id": f"call_{index}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _send_stream(
    send: Send, model: str, messages: list[dict[str, Any]], usage: dict[str, int], pause: float
) -> None:
    """Every choice in 3-character pieces, the choices interleaved, as OpenAI streams n > 1."""
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model}

    def event(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": index, "delta": delta, "finish_reason": finish}
        return {**base, "choices": [choice]}

    streams = [_deltas(message) for message in messages]
    events = [event(i, {"role": "assistant", "content": ""}) for i in range(len(messages))]
    for step in range(max(len(s) for s in streams)):
        events += [event(i, s[step]) for i, s in enumerate(streams) if step < len(s)]
    events += [
        event(i, {}, "tool_calls" if m.get("tool_calls") else "stop")
        for i, m in enumerate(messages)
    ]
    events.append({**base, "choices": [], "usage": usage})
    for item in events:
        chunk = f"data: {json.dumps(item, ensure_ascii=False)}\n\n".encode()
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if pause:
            await asyncio.sleep(pause)
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def _deltas(message: dict[str, Any]) -> list[dict[str, Any]]:
    if not message.get("tool_calls"):
        text = message["content"]
        return [{"content": text[i : i + 3]} for i in range(0, len(text), 3)] or [{"content": ""}]
    [call] = message["tool_calls"]
    arguments = call["function"]["arguments"]
    first = {**call, "index": 0, "function": {"name": call["function"]["name"], "arguments": ""}}
    pieces = [arguments[i : i + 3] for i in range(0, len(arguments), 3)]
    return [{"tool_calls": [first]}] + [
        {"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces
    ]


_CHUNK = b'data: {"id":"x","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"ok"}}]}\n\n'


async def _garbage_json(send: Send) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"<html>502 Bad Gateway</html>"})


async def _stream_of(send: Send, events: list[bytes], *, pause: float = 0.0) -> None:
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for event in events:
        await send({"type": "http.response.body", "body": event, "more_body": True})
        await asyncio.sleep(pause)
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


async def _reset_stream(send: Send) -> None:
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _CHUNK, "more_body": True})
    raise ConnectionResetError("mock upstream: connection dropped mid-stream")


_FAULTS: dict[str, Callable[[Send], Awaitable[None]]] = {
    "garbage-json": _garbage_json,
    "bad-sse": lambda send: _stream_of(send, [_CHUNK, b"data: {not json\n\n", _CHUNK]),
    "bad-sse-first": lambda send: _stream_of(send, [b"data: {not json\n\n", _CHUNK]),
    "reset-stream": _reset_stream,
    "slow-stream": lambda send: _stream_of(send, [_CHUNK] * 4, pause=0.5),
}


class RunningUpstream:
    """A MockUpstream served by uvicorn on a background thread (for pytest fixtures)."""

    def __init__(self, port: int) -> None:
        self.app = MockUpstream()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def start(self) -> RunningUpstream:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("mock upstream did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    app = MockUpstream(record=False)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
