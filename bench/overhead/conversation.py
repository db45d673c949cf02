"""``uv run python -m bench.overhead.conversation``: what a turn costs as a conversation grows.

Redaction on (the default profile: every type redacted). A client holds a conversation the way
the OpenAI API asks it to: each turn re-sends the whole history (its questions and the
answers it got, names restored) plus one new message; turn 1 is a ~450-character request with
names, a company, a phone number and an address, every answer ~450 characters, every
follow-up one line, so turn 20 carries about 6,500 characters. Each conversation has its own
names and numbers, so nothing is served from another conversation's analysis.

Two Kakehashi servers run side by side in the same run, on one Redis (quota, vault and, for
the first, the shared analysis cache) and the mock upstream: ``cache`` (the default) and
``no cache`` (``redaction_cache_mb: 0``). Each turn goes to both, back to back, order
alternating, each on a new connection (so turns land on either worker, as they would minutes
apart). Reported: the median latency of turns 1, 5, 10 and 20 and the ratio to turn 1.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from bench.overhead.servers import (
    MODEL,
    Fleet,
    Server,
    start_kakehashi,
    start_mock,
    start_redis,
)

SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = ["健一", "美咲", "大輔", "陽子", "翔太", "由美", "誠", "直樹", "真由美", "拓也"]
COMPANIES = ["ミライ精工", "北斗物産", "青葉ロジテック", "東邦化成", "さくら電機", "大和システム"]
CITIES = ["大阪市北区梅田", "名古屋市中区栄", "横浜市西区みなとみらい", "福岡市博多区博多駅前"]
FOLLOW_UPS = [
    "もう少し丁寧な表現にしてください。",
    "{person}様の役職も入れてください。",
    "納期を再来週の金曜日に変えてください。",
    "箇条書きにまとめてもらえますか。",
    "{company}様向けに敬語を見直してください。",
    "最後に電話番号を添えてください。",
    "件名も考えてください。",
    "三行で要約してください。",
]


def _people(rng: random.Random) -> dict[str, str]:
    return {
        "person": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "colleague": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "company": rng.choice(COMPANIES),
        "city": rng.choice(CITIES),
        "phone": f"06-{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}",
        "order": f"{rng.randrange(10**7, 10**8)}",
    }


def _first(v: dict[str, str]) -> str:
    return (
        f"株式会社{v['company']}の{v['person']}部長から、注文番号{v['order']}の納期について"
        f"問い合わせがありました。先方の連絡先は電話{v['phone']}、メールは"
        f"{v['order']}@{v['company'][:2]}.example.co.jp、住所は{v['city']}1-2-3です。"
        "部品の入荷が遅れており、当初予定の来週水曜日には間に合いません。"
        f"弊社営業部の{v['colleague']}が現在、代替部品の手配を進めています。"
        "お詫びと新しい納期の見込み、代替案を含めた返信メールの下書きを作成してください。"
        "先方は長年のお取引先で、以前にも納期の件でご迷惑をおかけしているため、"
        "誠意が伝わる文面にしたいと考えています。社内の上長にも同時に共有する予定です。"
        "また、値引きや送料の負担など、こちらから提示できる補償案があれば併せて提案してください。"
        "文面は500字程度でお願いします。"
    )


def _answer(v: dict[str, str], turn: int) -> str:
    return (
        f"株式会社{v['company']}\n{v['person']}部長\n\nいつも大変お世話になっております。"
        f"注文番号{v['order']}の件につきまして、部品の入荷遅延により当初お約束した納期に"
        "間に合わない見込みとなりました。多大なるご迷惑をおかけし、誠に申し訳ございません。"
        f"現在、弊社営業部の{v['colleague']}が代替部品の手配を進めており、第{turn}案として"
        "再来週の金曜日までにお届けできる見込みです。お詫びのしるしとして今回の送料は"
        "弊社にて負担させていただきます。ご不明な点がございましたら、"
        f"{v['colleague']}までお電話({v['phone']})にてご連絡ください。"
        "今後このようなことがないよう、在庫管理と発注の体制を見直してまいります。"
        "引き続き何卒よろしくお願い申し上げます。"
    )


def conversation(seed: int, turns: int) -> list[list[dict[str, str]]]:
    """The messages of each turn's request, turn 1 to ``turns``."""
    rng = random.Random(seed)
    v = _people(rng)
    history = [{"role": "user", "content": _first(v)}]
    requests = [list(history)]
    for turn in range(2, turns + 1):
        history.append({"role": "assistant", "content": _answer(v, turn - 1)})
        follow = rng.choice(FOLLOW_UPS).format(**v)
        history.append({"role": "user", "content": follow})
        requests.append(list(history))
    return requests


def _send(server: Server, messages: list[dict[str, str]], conversation_id: str) -> float:
    headers = {
        "authorization": f"Bearer {server.token}",
        "x-kakehashi-conversation-id": conversation_id,
        "connection": "close",  # a new connection per turn: any worker may take it
    }
    body: dict[str, Any] = {"model": MODEL, "messages": messages}
    started = time.perf_counter()
    reply = httpx.post(server.chat_url, json=body, headers=headers, timeout=60, trust_env=False)
    elapsed = time.perf_counter() - started
    if reply.status_code != 200:
        raise RuntimeError(f"{server.name}: {reply.status_code} {reply.text[:500]}")
    return elapsed * 1000


def run(servers: dict[str, Server], conversations: int, turns: int) -> dict[str, list[list[float]]]:
    """Latency (ms) per server, per turn, one value per conversation."""
    times: dict[str, list[list[float]]] = {name: [[] for _ in range(turns)] for name in servers}
    for c in range(conversations):
        requests = conversation(seed=1000 + c, turns=turns)
        order = list(servers) if c % 2 == 0 else list(reversed(servers))
        for turn, messages in enumerate(requests):
            for name in order:
                times[name][turn].append(_send(servers[name], messages, f"bench-{name}-{c}"))
        print(f"conversation {c + 1}/{conversations} done", flush=True)
    return times


def table(times: dict[str, list[list[float]]], turns: list[int]) -> str:
    sizes = {t: sum(len(m["content"]) for m in conversation(1000, t)[-1]) for t in turns}
    lines = [
        "| server | " + " | ".join(f"turn {t} ({sizes[t]:,} chars)" for t in turns) + " | "
        + " | ".join(f"turn {t} / turn 1" for t in turns[1:]) + " |",
        "| --- |" + " ---: |" * (2 * len(turns) - 1),
    ]  # fmt: skip
    for name, per_turn in times.items():
        p50 = {t: median(per_turn[t - 1]) for t in turns}
        cells = [f"{p50[t]:.1f} ms" for t in turns]
        cells += [f"{p50[t] / p50[turns[0]]:.2f}×" for t in turns[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead.conversation")
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kakehashi-bench-") as tmp:
        fleet = Fleet(Path(tmp), args.workers)
        try:
            mock = start_mock(fleet)
            redis = start_redis(fleet)
            on: dict[str, Any] = {"allowed_models": ["*"]}  # the default profile: redaction on
            # A generous analysis budget: the point is the time, not refusals on a busy machine.
            common = {"default_policy": on, "redis": {"url": redis.base_url}}
            common["redaction_timeout_s"] = 60
            servers = {
                "cache": start_kakehashi(fleet, mock, name="cache", overrides=common),
                "no cache": start_kakehashi(
                    fleet, mock, name="nocache", overrides={**common, "redaction_cache_mb": 0}
                ),
            }
            times = run(servers, args.conversations, args.turns)
        finally:
            fleet.stop_all()
    shown = [t for t in (1, 5, 10, 20) if t <= args.turns]
    print(table(times, shown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
