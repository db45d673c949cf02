"""redaction.analysis: values split between texts, the size limit, cancellation that really
stops the worker, and one owner's analyses queued behind each other rather than everyone's."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
import pytest

from redaction.analysis import FairLimiter, analyze_texts
from redaction.engine import Redactor
from redaction.entities import Entity
from redaction.entities import EntityType as T
from redaction.errors import PromptTooLarge, RedactionFailed
from redaction.profile import RedactionProfile

pytestmark = pytest.mark.anyio
PROFILE = RedactionProfile()

# (texts of one request, in order; the type found; the characters it covers in each text)
SPLIT = [
    (["マイナンバーは1234 5678", "9018です"], T.MY_NUMBER, ["1234 5678", "9018"]),
    (["マイナンバーは1234", "5678", "9018です"], T.MY_NUMBER, ["1234", "5678", "9018"]),
    (["担当の山田", "太郎さんに伝えて"], T.PERSON, ["山田", "太郎"]),
    (["連絡先: suzuki@exam", "ple.co.jp まで"], T.EMAIL, ["suzuki@exam", "ple.co.jp"]),
    (["電話は090-1234-", "5678です"], T.PHONE, ["090-1234-", "5678"]),
    (["カード番号 4111 1111", " 1111 1111 です"], T.CREDIT_CARD, ["4111 1111", " 1111 1111"]),
]


async def _analyze(redactor: Redactor, texts: list[str], **kwargs: Any) -> list[list[Entity]]:
    options: dict[str, Any] = {"profile": PROFILE, "timeout_s": 30, "limiter": None, "owner": "u1"}
    return await analyze_texts(texts, redactor=redactor, **(options | kwargs))


@pytest.mark.parametrize(("texts", "kind", "pieces"), SPLIT)
async def test_a_value_split_between_texts_is_found_in_every_piece(
    redactor: Redactor, texts: list[str], kind: T, pieces: list[str]
) -> None:
    found = await _analyze(redactor, texts)
    for text, entities, piece in zip(texts, found, pieces, strict=True):
        covered = [e for e in entities if e.type is kind and piece.strip() in e.text]
        assert covered, (text, entities)
        assert all(text[e.start : e.end] == e.text for e in entities)


async def test_separate_values_keep_their_own_texts(redactor: Redactor) -> None:
    texts = ["電話は03-1234-5678", "9時に山田さんへ"]
    found = await _analyze(redactor, texts)
    assert [e.text for e in found[0] if e.type is T.PHONE] == ["03-1234-5678"]
    assert [e.text for e in found[1] if e.type is T.PERSON] == ["山田"]


# A surname alone in one text, its full name in another, far apart (beyond any seam).
FILLER = "本日の議題は来期の予算と販売計画についてです。" * 6


@pytest.mark.parametrize(
    ("texts", "alone"),
    [
        (["出席者：東一郎、佐藤花子。" + FILLER, "東課長、本日はありがとうございました"], "東"),
        (["出席者：東一郎、佐藤花子。" + FILLER, "東：承知しました。"], "東"),
        (["山田太郎様へ資料を送付しました。" + FILLER, "山田様から返信がありました"], "山田"),
    ],
)
async def test_a_surname_alone_is_the_person_whose_full_name_another_text_holds(
    redactor: Redactor, texts: list[str], alone: str
) -> None:
    """Texts are analysed one by one (so history comes from the cache); the surname of a full
    name in one message is still that person, not a place, in the next."""
    found = await _analyze(redactor, texts)
    assert [(e.type, e.text) for e in found[1]] == [(T.PERSON, alone)], found[1]


async def test_a_surname_inside_a_longer_word_is_not_taken(redactor: Redactor) -> None:
    found = await _analyze(redactor, ["出席者：東一郎。" + FILLER, "坂東様と中東課長の件"])
    assert all(e.text != "東" for e in found[1]), found[1]


async def test_a_prompt_over_the_limit_is_refused_before_analysis(redactor: Redactor) -> None:
    profile = RedactionProfile(max_prompt_chars=1_000)
    with pytest.raises(PromptTooLarge) as caught:
        await _analyze(redactor, ["あ" * 600, "い" * 401], profile=profile)
    assert caught.value.status == 413
    assert "1,000 文字" in caught.value.ja
    assert "the limit is 1,000" in caught.value.en
    assert len((await _analyze(redactor, ["あ" * 600, "い" * 400], profile=profile))[0]) == 0


class _Counting:
    """Wraps the Presidio analyzer: how many windows were analysed. Window ``slow_at`` takes
    ``slow_s`` more (a sleep, the GIL free) and sets ``reached`` as it starts: a test stops the
    analysis during that window, whatever this machine's speed, and then knows how many windows
    a prompt given up on may have run (a deadline in seconds allowed a fast machine to get
    through more windows before it than a slow one: 16-19 of 35 where a test expected < 10)."""

    def __init__(self, inner: Any, slow_at: int = 0, slow_s: float = 0.0) -> None:
        self.inner = inner
        self.calls = 0
        self.slow_at, self.slow_s = slow_at, slow_s
        self.reached = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def analyze(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.slow_at:
            self.reached.set()
            time.sleep(self.slow_s)
        return self.inner.analyze(**kwargs)


@pytest.mark.parametrize("how", ["timeout", "abandoned"])
async def test_a_stopped_analysis_frees_its_worker(redactor: Redactor, how: str) -> None:
    """A huge prompt given up on (timeout, or the client went away) stops within a window:
    when the call returns, the worker has stopped and no further window is analysed."""
    counting = _Counting(redactor._analyzer, slow_at=3, slow_s=1.5)
    huge = Redactor(counting)
    text = "山田太郎さんとの打ち合わせの議事録です。\n" * 9_000  # 180,000 characters
    limiter = FairLimiter()
    if how == "timeout":
        # 0.2 s per started 50,000 characters: the deadline (0.8 s) falls within window 3.
        with pytest.raises(RedactionFailed):
            await _analyze(huge, [text], timeout_s=0.2, limiter=limiter)
    else:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: _analyze(huge, [text], limiter=limiter))
                await anyio.to_thread.run_sync(counting.reached.wait, 10)
                scope.cancel()  # the client goes away during window 3
    stopped_at = counting.calls
    await anyio.sleep(0.5)
    assert counting.calls == stopped_at  # nothing runs on after the call returned
    assert 1 <= stopped_at <= 3  # of 35 windows: none after the one it was stopped in
    assert limiter.waiting("u1") == 0


class _Gate(Redactor):
    """A fake analyzer: records who started, then waits for the test to let it finish."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = threading.Event()
        self.entered = threading.Event()

    def analyze(
        self,
        text: str,
        profile: RedactionProfile,
        *,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[Entity]:
        if text.startswith("大"):
            self.started.append(text)
            self.entered.set()
            self.release.wait(10)  # one long window that does not look at the flag
        else:
            self.started.append(text)
        return []


async def test_one_owners_prompts_queue_behind_their_own() -> None:
    gate = _Gate()
    limiter = FairLimiter(total=2, per_owner=1)
    order: list[str] = []
    light_done = anyio.Event()

    async def send(owner: str, text: str) -> None:
        await _analyze(gate, [text], limiter=limiter, owner=owner)
        order.append(text)
        if owner == "light":
            light_done.set()

    async with anyio.create_task_group() as tg:
        for i in range(4):
            tg.start_soon(send, "heavy", f"大{i}")
            await anyio.sleep(0.01)
        tg.start_soon(send, "light", "小")
        with anyio.fail_after(5):
            await light_done.wait()
        # The small request finished while the heavy owner's first prompt still holds its slot
        # and the other three wait in that owner's own queue.
        assert [t for t in gate.started if t.startswith("大")] == ["大0"]
        assert limiter.waiting("heavy") == 4
        gate.release.set()
    assert order[1:] == ["大0", "大1", "大2", "大3"]  # in arrival order


async def test_an_owners_queue_counts_against_their_own_timeout() -> None:
    gate = _Gate()
    limiter = FairLimiter(total=2, per_owner=1)
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: _analyze(gate, ["大0"], limiter=limiter, owner="heavy"))
        await anyio.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(RedactionFailed):
            await _analyze(gate, ["大1"], limiter=limiter, owner="heavy", timeout_s=0.2)
        assert time.monotonic() - started < 5
        gate.release.set()
    assert gate.started == ["大0"]


async def test_another_users_request_runs_while_abandoned_ones_have_stopped(
    redactor: Redactor,
) -> None:
    """One user sends two huge prompts and goes away; another user's short request is then
    analysed at once, and no window of the abandoned prompts runs any more."""
    counting = _Counting(redactor._analyzer, slow_at=3, slow_s=1.0)
    shared = Redactor(counting)
    limiter = FairLimiter(total=2, per_owner=1)
    huge = "鈴木一郎さんへの報告書の下書きです。\n" * 10_000
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(lambda: _analyze(shared, [huge], limiter=limiter, owner="heavy"))
            await anyio.to_thread.run_sync(counting.reached.wait, 10)
            scope.cancel()  # the user goes away during the first prompt's window 3
    assert limiter.waiting("heavy") == 0
    before = counting.calls
    assert before == 3  # of 2 x 34 windows: the first stopped after its third, the second queued
    with anyio.fail_after(10):
        found = await _analyze(shared, ["山田太郎様へ"], limiter=limiter, owner="light")
    assert [e.text for e in found[0] if e.type is T.PERSON] == ["山田太郎"]
    assert counting.calls - before <= 2  # the short request's own windows, nothing else


async def test_an_abandoned_analysis_keeps_its_slot_until_its_worker_stops() -> None:
    gate = _Gate()
    limiter = FairLimiter()
    scope = anyio.CancelScope()

    async def heavy() -> None:
        with scope:
            await _analyze(gate, ["大0"], limiter=limiter, owner="heavy")

    async with anyio.create_task_group() as tg:
        tg.start_soon(heavy)
        await anyio.to_thread.run_sync(gate.entered.wait, 5)
        scope.cancel()
        await anyio.sleep(0.1)
        assert limiter.waiting("heavy") == 1  # its worker still uses the CPU: slot held
        gate.release.set()
    assert limiter.waiting("heavy") == 0
