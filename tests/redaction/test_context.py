"""redaction.context: the linear context enhancer scores exactly as Presidio's own does."""

from __future__ import annotations

from typing import Any

from redaction.engine import LANGUAGE, Redactor
from redaction.presidio import (
    AnalyzerEngine,
    ContextAwareEnhancer,
    LemmaContextAwareEnhancer,
)
from redaction.profile import RedactionProfile

# Numbers whose recognizers use context words (電話, 口座, 〒 …), some with the word near,
# some without, repeated so that tokens far from the start are looked up too.
TEXT = (
    "株式会社ミナト精機の高橋様、お世話になっております。\n"
    "電話番号は03-5412-7700、携帯 090-2345-6789 です。FAX：03-5412-7701。\n"
    "振込先 三菱UFJ銀行 品川支店 普通 3456789、口座名義 カケハシショウジ。\n"
    "〒150-0002 東京都渋谷区渋谷2-21-1、法人番号 7010401022916。\n"
    "番号だけ: 0120-123-456 と 1234567 と 150-0002。\n"
) * 6


class _Unchanged(ContextAwareEnhancer):
    """No context at all: shows the sample depends on context scoring."""

    def __init__(self) -> None:
        super().__init__(0.0, 0.0, 0, 0)

    def enhance_using_context(self, text: str, raw_results: Any, *args: Any, **kw: Any) -> Any:
        return raw_results


def _with(redactor: Redactor, enhancer: ContextAwareEnhancer) -> Redactor:
    inner = redactor._analyzer
    engine = AnalyzerEngine(
        registry=inner.registry,
        nlp_engine=inner.nlp_engine,
        supported_languages=[LANGUAGE],
        context_aware_enhancer=enhancer,
    )
    return Redactor(engine)


def test_the_same_findings_and_scores_as_presidios_enhancer(redactor: Redactor) -> None:
    profile = RedactionProfile(min_score=0.0)  # every finding, however weak: scores compared
    ours = redactor.analyze(TEXT, profile)
    presidio = _with(redactor, LemmaContextAwareEnhancer()).analyze(TEXT, profile)
    assert ours == presidio
    assert ours != _with(redactor, _Unchanged()).analyze(TEXT, profile)
