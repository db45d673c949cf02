"""A local OpenAI-compatible upstream that records every request it receives.

It is the one stand-in the test suite allows: tests assert on `requests` to prove exactly
what left the company. The upstream model name selects a behaviour:

- ``error-500`` / ``error-400`` / ``error-429``: answer with that status and an OpenAI error body;
- ``sleep-<seconds>``: wait before answering (timeout tests);
- anything else: echo the last user message back, as ``echo: <text>``.

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
        if model.startswith("sleep-"):
            await asyncio.sleep(float(model.removeprefix("sleep-")))
        text = "echo: " + _last_user_text(body.get("messages", []))
        prompt_tokens = sum(
            len(json.dumps(m, ensure_ascii=False)) for m in body.get("messages", [])
        )
        prompt_tokens = max(1, prompt_tokens // 4)
        completion_tokens = max(1, len(text) // 4)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if body.get("stream"):
            await _send_stream(send, model, text, usage)
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
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            },
        )


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


async def _send_stream(send: Send, model: str, text: str, usage: dict[str, int]) -> None:
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model}
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)] or [""]
    first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
    events = [first]
    events += [{**base, "choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events.append({**base, "choices": [], "usage": usage})
    for event in events:
        chunk = f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


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
