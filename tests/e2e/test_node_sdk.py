"""The official OpenAI Node SDK (tests/e2e/node_sdk, pinned by its package-lock.json) through
the gateway: a tool round trip whose history holds names, phones and e-mail addresses leaves
redacted and comes back restored, whole and streamed, and the README's streaming loop
(``chunk.choices[0].delta.content``) runs unchanged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.e2e.test_boundary_sdk import ASK, SECRETS, TOOLS, history
from tests.fixtures.gateway import RunningGateway
from tests.support.mock_upstream import MockUpstream

NODE_SDK = Path(__file__).resolve().parent / "node_sdk"


def test_the_node_sdk_round_trip(gateway: RunningGateway, upstream: MockUpstream) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_SDK / "node_modules" / "openai").is_dir():
        raise RuntimeError("node and `npm ci` in tests/e2e/node_sdk are needed (.ci/test)")
    request = {
        "model": "mock-model",
        "messages": history(),
        "tools": TOOLS,
        "stop": ["山田太郎より"],
        "user": "yamada@example.co.jp",
    }
    env = {
        **os.environ,
        "KAKEHASHI_BASE_URL": gateway.v1,
        "KAKEHASHI_API_KEY": gateway.make_key("yamada@example.co.jp"),
        "KAKEHASHI_REQUEST": json.dumps(request, ensure_ascii=False),
    }
    done = subprocess.run(
        [node, "client.mjs"], cwd=NODE_SDK, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    expected = {"echo": "続けて" + ASK}
    assert [json.loads(a) for a in result["arguments"]] == [expected]
    assert json.loads(result["streamedArguments"]) == expected
    assert result["text"] == "echo: 続けて" + ASK
    sent = upstream.texts_sent()
    assert len(upstream.requests) == 3
    assert [s for s in SECRETS if s in sent] == []
