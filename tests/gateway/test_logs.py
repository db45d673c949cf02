"""Operable logs from ``kakehashi serve`` (a real process): JSON lines on stderr; a start-up
line naming the URL and the policies in force; a clear error when the company IdP cannot be
reached; one line per chat request carrying its request id, never the prompt or the answer."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import httpx

from gateway.kernel.logs import JsonFormatter
from gateway.kernel.settings import Settings
from gateway.migrate import upgrade
from tests.fixtures.gateway import RunningGateway
from tests.fixtures.services import free_port
from tests.support.processes import GatewayProcess, start_gateway_process, write_config

PROMPT = "山田太郎様の見積書 (極秘)"


def _lines(process: GatewayProcess) -> list[dict[str, Any]]:
    lines = process.output().splitlines()
    assert lines, "the gateway wrote no log"
    return [json.loads(line) for line in lines]  # every line is JSON


def _wait(process: GatewayProcess, what: str, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = _lines(process)
        if any(what in line["message"] for line in lines):
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no log line with {what!r}:\n{process.output()}")


def test_serve_logs_json_start_up_idp_trouble_and_one_line_per_request(
    tmp_path: Path, upstream_url: str
) -> None:
    database = f"sqlite:///{tmp_path / 'kakehashi.db'}"
    upgrade(database)
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "_defaults.yaml").write_text("redaction: {redact: [], block: []}\n", "utf-8")
    idp = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    values = {
        "mode": "test",
        "database": {"url": database},
        "models": [{"alias": "mock-model", "model": "openai/mock-model", "api_base": upstream_url}],
        "policies_dir": str(policies),
        "oidc": {"issuer": idp, "client_id": "kakehashi"},
    }
    config = write_config(tmp_path / "config.yaml", values)
    key = RunningGateway(Settings(**values), "", None, None).make_key()  # type: ignore[arg-type]
    gateway = start_gateway_process(config, cli=True)
    try:
        lines = _wait(gateway, "Kakehashi ready")
        [ready] = [line for line in lines if "Kakehashi ready" in line["message"]]
        assert gateway.base_url in ready["message"]
        assert str(policies) in ready["message"]
        assert ready["models"] == ["mock-model"]
        assert {"ts", "level", "logger"} <= set(ready)
        [trouble] = [ln for ln in _wait(gateway, "IdP") if "IdP" in ln["message"]]
        assert trouble["level"] == "error"
        assert idp in trouble["message"]
        assert "unreachable" in trouble["message"]
        reply = httpx.post(
            f"{gateway.base_url}/v1/chat/completions",
            json={"model": "mock-model", "messages": [{"role": "user", "content": PROMPT}]},
            headers={"authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert reply.status_code == 200
        request_id = reply.headers["x-kakehashi-request-id"]
        lines = _wait(gateway, request_id)
    finally:
        gateway.stop()
    [line] = [ln for ln in lines if ln.get("request_id") == request_id]
    assert not [ln for ln in lines if ln["logger"] == "uvicorn.access"]  # that one line only
    assert (line["outcome"], line["status"], line["model"]) == ("ok", 200, "mock-model")
    assert "山田" not in gateway.output()  # neither the prompt nor the echoed answer


def test_a_line_carries_the_extras_and_no_standard_attribute() -> None:
    formatter = JsonFormatter()
    logger = logging.getLogger("kakehashi.test")
    record = logger.makeRecord(
        "kakehashi.test",
        logging.INFO,
        "f.py",
        1,
        "chat %s",
        ("r1",),
        None,
        extra={"request_id": "r1", "status": 200},
    )
    line = json.loads(formatter.format(record))
    assert line["message"] == "chat r1"
    assert {k: line[k] for k in ("request_id", "status")} == {"request_id": "r1", "status": 200}
    assert set(line) == {"ts", "level", "logger", "message", "request_id", "status"}
    record.__dict__ = {"early": 1, **record.__dict__}  # a record factory's attribute first
    assert json.loads(formatter.format(record))["early"] == 1
