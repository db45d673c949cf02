"""Policy edits kept in the database (``policies.edits``): checked like ``kakehashi policy
check``, versioned with who/why/diff, audited, revertible, and seen by another replica."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.kernel.db import sessionmaker
from gateway.kernel.events import EventIn
from gateway.kernel.vocab import EventType
from policies.edits import (
    PolicyReadOnly,
    department_history,
    preview_department_policy,
    revert_department_policy,
    save_department_policy,
)
from policies.loader import PolicyInvalid, check_folder
from policies.model import Policy
from policies.store import PolicyDatabase, PolicyStore
from tests.fixtures.policies import EXAMPLES
from tests.support.engines import open_engine

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("dispose_engines")]
ADMIN = "tanaka@demo.kakehashi.example"


async def _store(url: str, events: list[EventIn], seed: Path | None = EXAMPLES) -> PolicyStore:
    engine = open_engine(url)
    store = PolicyStore(
        directory=None,
        fallback=Policy(),
        interval_s=0,
        database=PolicyDatabase(sessions=sessionmaker(engine), seed=seed),
    )

    async def sink(event: EventIn) -> None:
        events.append(event)

    await store.start(sink)
    return store


@pytest.fixture
def events() -> list[EventIn]:
    return []


def _sales(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


async def test_a_budget_change_is_versioned_audited_and_seen_by_another_replica(
    sqlite_url: str, events: list[EventIn]
) -> None:
    store = await _store(sqlite_url, events)
    replica = await _store(sqlite_url, [])
    assert store.for_department("営業部").quotas.department.month.yen == 30000
    original = (EXAMPLES / "営業部.yaml").read_text(encoding="utf-8")
    edited = _sales(original, "yen: 30000", "yen: 40000")

    change = await save_department_policy(
        store=store, department="営業部", document=edited, author=ADMIN, reason="増員のため"
    )

    assert change.number == 2
    assert change.effects == ["営業部: 部署全体の月間上限 (円) 30,000円 → 40,000円"]
    assert "-    month: {tokens: 40_000_000, yen: 30000}" in change.diff
    assert "+    month: {tokens: 40_000_000, yen: 40000}" in change.diff
    assert store.for_department("営業部").quotas.department.month.yen == 40000
    audited = [e for e in events if e.event_type == EventType.POLICY_CHANGED]
    assert len(audited) == 1
    assert audited[0].user_email == ADMIN
    assert audited[0].detail["reason"] == "増員のため"
    assert audited[0].detail["number"] == 2
    await replica.refresh()
    assert replica.for_department("営業部").quotas.department.month.yen == 40000

    reverted = await revert_department_policy(
        store=store, department="営業部", number=1, author=ADMIN, reason="元に戻す"
    )
    assert (reverted.number, reverted.reverted_from) == (3, 1)
    assert store.for_department("営業部").quotas.department.month.yen == 30000
    history = await department_history(store=store, department="営業部")
    assert [v.number for v in history] == [3, 2, 1]
    assert history[0].document == original


async def test_an_invalid_edit_gives_the_check_messages_and_changes_nothing(
    sqlite_url: str, events: list[EventIn], tmp_path: Path
) -> None:
    store = await _store(sqlite_url, events)
    original = (EXAMPLES / "営業部.yaml").read_text(encoding="utf-8")
    edited = _sales(
        original, "day: {tokens: 2_500_000, yen: 2000}", "day: {tokens: 2_500_000, yen: 99999}"
    )

    with pytest.raises(PolicyInvalid) as refused:
        await save_department_policy(
            store=store, department="営業部", document=edited, author=ADMIN, reason="誤り"
        )

    # The same words `kakehashi policy check` prints for the same file.
    folder = tmp_path / "p"
    folder.mkdir()
    for path in EXAMPLES.glob("*.yaml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "customers").mkdir()
    (folder / "customers" / "営業部.csv").write_bytes(
        (EXAMPLES / "customers/営業部.csv").read_bytes()
    )
    (folder / "営業部.yaml").write_text(edited, encoding="utf-8")
    _, cli = check_folder(folder)
    assert [(p.line, p.where, p.ja) for p in refused.value.problems] == [
        (p.line, p.where, p.ja) for p in cli
    ]
    assert "1 日の上限が 1 か月の上限より大きくなっています" in str(refused.value)
    assert store.for_department("営業部").quotas.department.day.yen == 2000
    assert len(await department_history(store=store, department="営業部")) == 1
    assert not [e for e in events if e.event_type == EventType.POLICY_CHANGED]


async def test_files_mode_is_read_only(events: list[EventIn]) -> None:
    store = PolicyStore(directory=EXAMPLES, fallback=Policy())
    with pytest.raises(PolicyReadOnly, match="policies/examples"):
        await save_department_policy(
            store=store, department="営業部", document="{}", author=ADMIN, reason="x"
        )


async def test_a_preview_warns_like_policy_check_about_models_the_config_lacks(
    sqlite_url: str, events: list[EventIn]
) -> None:
    store = await _store(sqlite_url, events)
    original = (EXAMPLES / "営業部.yaml").read_text(encoding="utf-8")
    seen = await preview_department_policy(
        store=store, department="営業部", document=original, aliases=["gpt-4o-mini"]
    )
    assert not seen.problems
    assert seen.effects == []
    assert seen.warnings == [
        "営業部: allowed_models 'azure-gpt-4o': 設定 (config) のどのモデルにも当てはまりません"
        " / matches no model alias in the config"
    ]
