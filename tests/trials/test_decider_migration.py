"""The migration that makes the 最終判断者 a person: a free-text decision-maker of an earlier
proposal (the trial and its steps) becomes the proposer's e-mail; an e-mail stays. The next
one (a department runs one trial at a time, in the database) stops on a department that an
approval race left with two running trials, naming it, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.kernel.db import make_sync_engine
from gateway.migrate import upgrade

BEFORE = "0011_people_scim_active"
THIS = "20261203s2_trial_decider"


def test_free_text_decision_makers_become_the_proposer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, BEFORE)
    engine = make_sync_engine(url)
    old = json.dumps({"purpose": "x", "decision_maker": "営業部長 鈴木"}, ensure_ascii=False)
    kept = json.dumps({"purpose": "y", "decision_maker": "boss@example.jp"})
    with engine.begin() as conn:
        for n, proposal in ((1, old), (2, kept)):
            conn.execute(
                text(
                    "INSERT INTO trials VALUES (:n, '営業部', 'approved', 1, :p, 'Suzuki@Example.jp',"
                    " '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
                ),
                {"n": n, "p": proposal},
            )
            conn.execute(
                text(
                    "INSERT INTO trial_steps (id, trial_id, version, action, stage, actor, role,"
                    " comment, proposal, figures, created_at) VALUES (:n, :n, 1, 'submitted',"
                    " 'submitted', 'a', 'manager', '', :p, '{}', '2026-12-01 00:00:00')"
                ),
                {"n": n, "p": proposal},
            )
    upgrade(url, THIS)
    with engine.connect() as conn:
        trials = conn.execute(text("SELECT proposal FROM trials ORDER BY id")).scalars().all()
        steps = conn.execute(text("SELECT proposal FROM trial_steps ORDER BY id")).scalars().all()
    engine.dispose()
    for rows in (trials, steps):
        assert [json.loads(r)["decision_maker"] for r in rows] == [
            "suzuki@example.jp",
            "boss@example.jp",
        ]
    with pytest.raises(RuntimeError, match=r"営業部 \(2\).*record the stop"):
        upgrade(url)
