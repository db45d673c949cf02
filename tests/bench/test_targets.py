"""``bench.overhead.targets`` reads each benchmark's printed figures into one verdict table:
met, missed, or "no figure" when a step's output does not hold the line it reads (a failed or
changed step never reads as met). The excerpts are lines those commands printed on
2026-12-04."""

from __future__ import annotations

from bench.overhead.targets import (
    Verdict,
    conversation,
    dense,
    portkey,
    redaction_on,
    startup,
    table,
)

PORTKEY = """\
| mode | conc. | p50 ratio | p99 ratio | req/s ratio | CPU/req ratio | ahead of Portkey gateway on p50 / p99 / req/s |
|---|--:|--:|--:|--:|--:|---|
| chat | 1 | 0.912 | 0.468 | 1.137 | 0.754 | yes / yes / yes |
| chat | 16 | 0.548 | 0.480 | 1.996 | 0.678 | yes / yes / yes |
| chat | 64 | 0.375 | 0.067 | 2.728 | 0.507 | yes / yes / yes |
| stream | 1 | 0.040 | 0.094 | 22.282 | 0.276 | yes / yes / yes |
| stream | 16 | 0.420 | 0.643 | 2.343 | 0.717 | yes / yes / yes |
| stream | 64 | 0.654 | 0.599 | 1.511 | 0.765 | yes / yes / yes |
"""
REDACTION_ON = (
    "Target: redaction on, c=16 req/s ≥ 5× LiteLLM with the Presidio guardrail: "
    "**met** (5.68× at c=16).\n"
)
STARTUP = """\
| checkout | workers | start-up to first /healthz 200 (s) | CPU s to ready | RSS per worker (MB) | PSS per worker (MB) | load average |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| this | 2 | 3.3 | 2.1 | 226.7 | 97.1 | 1.1 |
"""
DENSE = """\
| checkout | text | CPU ms per 1,000 chars p50 | p99 |
| --- | --- | ---: | ---: |
| this checkout | EMAIL_1000 | 4.5 | 4.9 |
| this checkout | DENSE_MAIL | 5.5 | 6.4 |
"""
CONVERSATION = """\
| server | turn 1 (359 chars) | turn 5 (1,658 chars) | turn 10 (3,270 chars) | turn 20 (6,511 chars) | turn 5 / turn 1 | turn 10 / turn 1 | turn 20 / turn 1 |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| cache | 26.5 ms | 27.4 ms | 26.5 ms | 30.7 ms | 1.03× | 1.00× | 1.16× |
| no cache | 31.8 ms | 41.7 ms | 51.3 ms | 74.1 ms | 1.31× | 1.61× | 2.33× |
"""


def test_the_seventh_sessions_outputs_read_as_all_met() -> None:
    verdicts = [
        *portkey(PORTKEY),
        *redaction_on(REDACTION_ON),
        *startup(STARTUP),
        *dense(DENSE),
        *conversation(CONVERSATION),
    ]
    assert [(v.figure, v.met) for v in verdicts] == [
        ("18 of 18", True),
        ("5.68x", True),
        ("3.3 s", True),
        ("226.7 MB", True),
        ("5.5 ms", True),
        ("1.16x", True),  # the cache's row, not the no-cache row's 2.33x
    ]


def test_a_figure_over_its_target_is_missed() -> None:
    behind = PORTKEY.replace("| 0.765 | yes / yes / yes |", "| 0.765 | yes / no / yes |")
    assert portkey(behind) == [Verdict(portkey(PORTKEY)[0].target, "17 of 18", False)]
    assert not redaction_on(REDACTION_ON.replace("**met** (5.68×", "**missed** (4.69×"))[0].met
    assert [
        v.met for v in startup(STARTUP.replace("| 3.3 | 2.1 | 226.7 |", "| 9.1 | 2.1 | 251.0 |"))
    ] == [False, False]
    assert not dense(DENSE.replace("DENSE_MAIL | 5.5", "DENSE_MAIL | 15.2"))[0].met
    assert not conversation(CONVERSATION.replace("1.00× | 1.16× |", "1.00× | 1.51× |"))[0].met


def test_an_output_without_its_line_is_no_figure_never_met() -> None:
    crashed = "Traceback (most recent call last):\n  ...\nRuntimeError: wrk not found\n"
    verdicts = [*portkey(crashed), *redaction_on(crashed), *startup(crashed), *dense(crashed)]
    verdicts += conversation(crashed)
    assert {(v.figure, v.met) for v in verdicts} == {("no figure", None)}
    assert portkey("\n".join(PORTKEY.splitlines()[:5]))[0].met is None  # a cell missing
    assert "**no figure**" in table(verdicts)
