"""How a relayed stream ends, seen as the ASGI server sees it (the gateway app called directly,
the mock upstream in process): the last piece carries ``[DONE]`` and ends the response in the
same message, and by then the request is settled and audited (no empty end message after
it); a client that goes away mid-stream is recorded as cancelled, and its settle still runs."""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from typing import Any

import anyio
import orjson
import pytest
from sqlalchemy import select

from audit.models import AuditEvent
from gateway.http.app import create_app
from gateway.kernel.db import make_sync_engine
from gateway.kernel.settings import Settings
from gateway.provider.transports import AsgiTransport
from redaction.engine import Redactor
from tests.fixtures.gateway import RunningGateway, mock_models
from tests.support.mock_upstream import MockUpstream

Message = MutableMapping[str, Any]


def _events(url: str) -> list[Any]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            query = select(AuditEvent).where(AuditEvent.event_type == "chat.completion")
            return list(conn.execute(query).all())
    finally:
        engine.dispose()


def _call(
    settings: Settings,
    redactor: Redactor,
    upstream: MockUpstream,
    model: str,
    on_end: Callable[[], Any],
    *,
    leave_after: int | None = None,
) -> list[Message]:
    """POST a streamed chat through the app; ``on_end`` runs (in a thread, the loop free) when
    ``[DONE]`` is sent; ``leave_after``: the client disconnects after that many bodies."""
    app = create_app(settings, redactor=redactor, transport=AsgiTransport(upstream))
    gw = RunningGateway(settings, "http://testserver", None, None, app=app)
    sent: list[Message] = []
    body = orjson.dumps(
        {"model": model, "stream": True, "messages": [{"role": "user", "content": "議題を三つ"}]}
    )

    async def main() -> None:
        key = await anyio.to_thread.run_sync(gw.make_key)
        gone = anyio.Event()
        requested = False

        async def receive() -> Message:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if b"data: [DONE]" in message.get("body", b""):
                await anyio.to_thread.run_sync(on_end)
            bodies = [m for m in sent if m["type"] == "http.response.body"]
            if leave_after is not None and len(bodies) >= leave_after:
                gone.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/chat/completions",
            "raw_path": b"/v1/chat/completions",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"authorization", f"Bearer {key}".encode()),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 1234),
            "server": ("testserver", 80),
        }
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)
            gw.drain_audit()

    anyio.run(main)
    return sent


@pytest.fixture
def settings(sqlite_url: str, upstream_url: str, tmp_path: Any) -> Settings:
    return Settings(
        mode="test",
        database={"url": sqlite_url},
        models=mock_models(upstream_url),
        spool_dir=str(tmp_path / "spool"),
    )


def test_the_last_piece_ends_the_response_after_settle_and_audit(
    settings: Settings, redactor: Redactor, upstream: MockUpstream
) -> None:
    at_end: list[list[Any]] = []

    def on_end() -> None:  # the writer commits within ~10 ms of the queued event
        deadline = time.monotonic() + 3
        while not (rows := _events(settings.database.url)) and time.monotonic() < deadline:
            time.sleep(0.01)
        at_end.append(rows)

    sent = _call(settings, redactor, upstream, "mock-model", on_end)
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert [m.get("more_body") for m in bodies] == [True] * (len(bodies) - 1) + [False]
    assert bodies[-1]["body"].endswith(b"data: [DONE]\n\n")  # not an empty end message
    text = b"".join(m["body"] for m in bodies).decode()
    assert text.count("data: [DONE]") == 1
    # When [DONE] reaches the client the request is audited (and so settled: the event
    # carries the settled usage); it used to be recorded after, "give the server a moment".
    [[event]] = at_end
    assert (event.outcome, event.status_code) == ("ok", 200)
    assert event.completion_tokens > 0


def test_a_client_that_leaves_mid_stream_is_recorded_as_cancelled(
    settings: Settings, redactor: Redactor, upstream: MockUpstream
) -> None:
    sent = _call(settings, redactor, upstream, "drip", lambda: None, leave_after=1)
    assert not any(b"[DONE]" in m.get("body", b"") for m in sent)
    [event] = _events(settings.database.url)
    assert (event.outcome, event.status_code) == ("cancelled", 499)
