"""The redaction-on peer: the LiteLLM proxy with its Presidio guardrail, and what each side sends.

LiteLLM's ``guardrail: presidio`` (mode ``pre_call``, ``default_on``) posts every message's text
to Presidio's analyzer (``/analyze``) and anonymizer (``/anonymize``) REST servers before the
call. Those servers ship as Docker images, so ``bench/overhead/presidio_server.py`` serves the
same endpoints with the same libraries, regex-only (its docstring says what it detects), each in
one process as the images run by default, from a throw-away venv (``.bench/presidio``, pinned,
installed once by ``uv pip``; nothing is downloaded at run time).

``leaks`` sends the benchmark's e-mail once through each gateway to a recording mock (in this
process) and reports which of the e-mail's personal values reached it, and which placeholders
each gateway put in their place: the two are compared on what they actually withhold.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.overhead.servers import (
    MODEL,
    REPO,
    Fleet,
    Server,
    base_env,
    free_port,
    wait_ready,
)
from bench.redaction.cases import DENSE_MAIL

PRESIDIO_VERSION = "2.2.366"  # the presidio-analyzer in uv.lock; the anonymizer of the same release
PRESIDIO_VENV = REPO / ".bench" / "presidio"
_PRESIDIO_PINS = (
    f"presidio-analyzer=={PRESIDIO_VERSION}",
    f"presidio-anonymizer=={PRESIDIO_VERSION}",
    "uvicorn==0.54.0",
    "starlette==1.10.0",
)
_SERVER = Path(__file__).with_name("presidio_server.py")
RECORDING_MODEL = "mock-rec"  # an alias routed to the recording mock, in both gateways
MARK = "@@N@@"  # post.lua's BENCH_UNIQUE replaces it with a running number
MAIL = DENSE_MAIL.replace("Q-2025-0481", f"Q-2025-{MARK}")

# The e-mail's personal values, by kind, to see which ones reach the upstream.
VALUES: dict[str, tuple[str, ...]] = {
    "e-mail": ("d.sato@kakehashi-shoji.co.jp", "m.suzuki@kakehashi-shoji.co.jp",
               "s.yamamoto@kakehashi-shoji.co.jp"),
    "phone": ("03-5412-7700", "090-2345-6789", "03-5412-7788", "080-3344-5566",
              "044-333-1212", "03-5412-7750", "03-5412-7701"),
    "person": ("高橋 健一", "小川 真由美", "森田 浩二", "佐藤大輔", "鈴木 美咲", "中島 隆之",
               "石井 正人", "岡田 恵子", "山本 誠一", "田中 由紀子", "渡辺 拓也", "中村 隆"),
    "company": ("ミナト精機", "カケハシ商事", "ヤマト設備工業", "ミナトロジスティクス", "北斗電機"),
    "address": ("神奈川県川崎市川崎区大川町8-1", "東京都渋谷区渋谷2-21-1", "大阪府大阪市北区梅田3-1-3"),
    "postal code": ("210-0858", "150-0002"),
    "bank account": ("3456789",),
    "corporate number": ("7010401022916",),
}  # fmt: skip


def mail_body(*, stream: bool, model: str = MODEL, number: str = MARK) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": MAIL.replace(MARK, number)}],
    }
    if stream:
        body["stream"] = True
    return body


@dataclass
class Stack(Server):
    """A server plus the helpers it calls (LiteLLM and its two Presidio servers): CPU is summed."""

    members: list[Server] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        return sum(self.parts().values())

    def parts(self) -> dict[str, float]:
        """CPU seconds so far of the server itself and of each helper, by name."""
        return {self.name: super().cpu_seconds(), **{m.name: m.cpu_seconds() for m in self.members}}


def install_presidio() -> Path:
    """The pinned Presidio libraries in their own throw-away venv, once; its python."""
    python = PRESIDIO_VENV / "bin" / "python"
    probe = "import importlib.metadata as m; print(m.version('presidio-analyzer'), m.version('presidio-anonymizer'))"
    if python.exists():
        got = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
        if got.stdout.split() == [PRESIDIO_VERSION, PRESIDIO_VERSION]:
            return python
    subprocess.run(["uv", "venv", "-q", "--python", "3.11", str(PRESIDIO_VENV)], check=True)
    subprocess.run(["uv", "pip", "install", "-q", "--python", str(python), *_PRESIDIO_PINS],
                   check=True)  # fmt: skip
    return python


def start_presidio(fleet: Fleet, role: str) -> Server:
    python = install_presidio()
    port = free_port()
    # -P: the script's folder (bench/overhead, which has a profile.py) must not shadow the stdlib.
    cmd = [str(python), "-P", str(_SERVER), "--role", role, "--port", str(port)]
    server = fleet.spawn(
        f"presidio-{role}", cmd, env=base_env(), base_url=f"http://127.0.0.1:{port}"
    )
    wait_ready(server, f"{server.base_url}/health", timeout=300)
    return server


def litellm_guardrail(analyzer: Server, anonymizer: Server) -> list[dict[str, Any]]:
    """LiteLLM's config for its Presidio guardrail, as its docs show it (pre_call, on for every
    request; language and output handling left at their defaults: "en", no unmasking)."""
    return [
        {
            "guardrail_name": "presidio-pii",
            "litellm_params": {
                "guardrail": "presidio",
                "mode": "pre_call",
                "default_on": True,
                "presidio_analyzer_api_base": analyzer.base_url,
                "presidio_anonymizer_api_base": anonymizer.base_url,
            },
        }
    ]


@dataclass(frozen=True)
class Leaks:
    """What one gateway sent upstream for the e-mail: per kind, values withheld of values."""

    withheld: dict[str, tuple[int, int]]
    placeholders: dict[str, int]  # placeholder label -> occurrences in what was sent

    def total(self) -> tuple[int, int]:
        return (
            sum(w for w, _ in self.withheld.values()),
            sum(n for _, n in self.withheld.values()),
        )


_KAKEHASHI_LABEL = re.compile(r"〔([^〔〕\dA-Z・]+)[\dA-Z]+(?:・[^〕]*)?〕")
_PRESIDIO_LABEL = re.compile(r"<([A-Z_]+)>")


def leaks(server: Server, recorded: list[Any], *, kakehashi: bool) -> Leaks:
    """Send the e-mail through ``server`` to the recording mock and look at what arrived."""
    before = len(recorded)
    headers = {"authorization": f"Bearer {server.token}"} if server.token else {}
    body = mail_body(stream=False, model=RECORDING_MODEL, number="0481")
    reply = httpx.post(server.chat_url, json=body, headers=headers, timeout=120, trust_env=False)
    reply.raise_for_status()
    if len(recorded) != before + 1:
        raise RuntimeError(f"{server.name}: the recording mock saw {len(recorded) - before} calls")
    sent = "\n".join(str(m.get("content")) for m in recorded[-1].body["messages"])
    withheld = {
        kind: (sum(value not in sent for value in values), len(values))
        for kind, values in VALUES.items()
    }
    pattern = _KAKEHASHI_LABEL if kakehashi else _PRESIDIO_LABEL
    return Leaks(withheld, dict(Counter(pattern.findall(sent)).most_common()))


def leaks_table(found: dict[str, Leaks]) -> str:
    names = list(found)
    lines = [
        "| kind of value in the e-mail | " + " | ".join(f"withheld by {n}" for n in names) + " |",
        "|---|" + "--:|" * len(names),
    ]
    for kind in VALUES:
        cells = [f"{found[n].withheld[kind][0]} of {found[n].withheld[kind][1]}" for n in names]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    totals = [f"**{found[n].total()[0]} of {found[n].total()[1]}**" for n in names]
    lines.append("| all | " + " | ".join(totals) + " |")
    return "\n".join(lines)
