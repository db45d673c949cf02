"""The company span classifier (issue 13): its committed file, its scores, and the boundaries
the rules keep with it on. Texts are made up, never taken from the benchmark's dev file."""

from __future__ import annotations

import json

import pytest

from redaction.company_spans import MODEL, SpanModel, candidates, sentence_features, shipped
from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.nlp import SudachiNlpEngine
from redaction.profile import RedactionProfile

# The feature families ``Featurizer`` writes; a weight outside them could never fire.
FAMILIES = (
    "bias", "n=", "len=", "t=", "fill=", "any:", "previn=", "nextin=", "quoted", "t0=", "p0=",
    "f=", "l0:", "t1=", "p1=", "h=", "l1:", "last:", "-1=", "-2=", "+1=", "+2=", "+3=", "+12=",
    "near:", "s:",
)  # fmt: skip
TEXTS = [
    "北斗陶器は新しい工場を設立した。",
    "2019年、青嶺電気鉄道が新線を開業した。",
    "来週の会議で観光バスを手配します。ハードウェア・ソフトウェアの両方を見直します。",
    "株式会社ミライ精工 山田太郎様 いつもお世話になっております。営業部の佐藤です。",
]


def test_the_committed_file_has_the_build_scripts_shape() -> None:
    text = MODEL.read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == ["about", "setting", "threshold", "vocabulary", "weights"]
    # bench/redaction/build_company_spans.py writes exactly this serialisation.
    assert json.dumps(data, ensure_ascii=False, indent=0) + "\n" == text
    assert 0.0 < data["threshold"] < 1.0
    assert data["vocabulary"] == sorted(set(data["vocabulary"]))
    assert list(data["weights"]) == sorted(data["weights"])
    assert 100 < len(data["weights"]) < 5_000  # small, and not empty
    assert all(isinstance(w, float) and w != 0.0 for w in data["weights"].values())
    assert all(k.startswith(FAMILIES) for k in data["weights"])
    assert MODEL.stat().st_size < 100 * 1024


@pytest.fixture(scope="module")
def engine() -> SudachiNlpEngine:
    engine = SudachiNlpEngine(languages=["ja"])
    engine.load()
    return engine


def test_fast_scores_are_the_sums_of_the_features(engine: SudachiNlpEngine) -> None:
    """``scored`` sums cached parts; training saw whole feature lists: they must agree."""
    model = shipped()
    checked = 0
    for text in TEXTS:
        artifacts = engine.process_text(text, "ja")
        morphemes, rules = artifacts.name_morphemes, artifacts.names
        fast = {(i, j): p for p, i, j in model.scored(morphemes, rules)}
        sentence = sentence_features(morphemes, rules)
        for span in candidates(morphemes, rules):
            features = model.featurizer.features(morphemes, span, sentence)
            z = sum(model.weights.get(f, 0.0) for f in features)
            assert fast[span[:2]] == pytest.approx(1 / (1 + 2.718281828459045**-z), abs=1e-9)
            checked += 1
    assert checked > 8


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("北斗陶器は新しい工場を設立した。", "北斗陶器"),
        ("2019年、青嶺電気鉄道が新線を開業した。", "青嶺電気鉄道"),
    ],
)
def test_the_model_adds_companies_the_rules_miss(redactor: Redactor, text: str, name: str) -> None:
    def companies(profile: RedactionProfile) -> list[str]:
        return [e.text for e in redactor.analyze(text, profile) if e.type == T.COMPANY]

    assert companies(RedactionProfile(company_model=True)) == [name]
    assert companies(RedactionProfile(company_model=False)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "株式会社ミライ精工 山田太郎様",
            [("COMPANY", "株式会社ミライ精工"), ("PERSON", "山田太郎")],
        ),
        ("総務部御中", []),
        ("来週の会議で観光バスを手配します。", []),
        ("ハードウェア・ソフトウェアの両方を見直します。", []),
        ("大手商社に就職した。", []),
        ("ウェビナーの資料とサブスクの契約を確認。", []),
        ("社名変更のお知らせです。", []),
        ("明日のミーティングで投資銀行の担当者と会います。", []),
    ],
)
def test_boundaries_and_everyday_words_hold_with_the_model(
    redactor: Redactor, text: str, expected: list[tuple[str, str]]
) -> None:
    profile = RedactionProfile(company_model=True)
    found = [(e.type.value, e.text) for e in redactor.analyze(text, profile)]
    assert [f for f in found if f[0] in ("COMPANY", "PERSON")] == expected


def test_the_threshold_decides(engine: SudachiNlpEngine) -> None:
    artifacts = engine.process_text(TEXTS[0], "ja")
    empty = SpanModel({}, frozenset(), 0.5)  # every candidate scores exactly 0.5
    assert empty.find(artifacts.name_morphemes, artifacts.names)
    assert SpanModel({}, frozenset(), 0.6).find(artifacts.name_morphemes, artifacts.names) == []
