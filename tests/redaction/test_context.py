"""redaction.context: the linear context enhancer scores exactly as Presidio's own does."""

from __future__ import annotations

from typing import Any

from redaction.context import LinearContextEnhancer
from redaction.engine import LANGUAGE, Redactor
from redaction.presidio import (
    AnalyzerEngine,
    ContextAwareEnhancer,
    LemmaContextAwareEnhancer,
    RecognizerResult,
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


def test_boosted_findings_are_copies_and_the_input_is_left_as_it_was(redactor: Redactor) -> None:
    """The enhancer returns new findings for those it boosts (``_copy``, ``copy.copy``'s
    result for these plain classes) and leaves the recognizers' findings untouched."""
    text = "電話番号は03-5412-7700です。"
    engine = redactor._analyzer
    artifacts = engine.nlp_engine.process_text(text, LANGUAGE)
    recognizer = next(r for r in engine.registry.recognizers if r.name == "JapanesePhoneRecognizer")
    raw = recognizer.analyze(text, ["PHONE"], artifacts)
    for result in raw:
        result.recognition_metadata[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY] = recognizer.id
    before = [(vars(r).copy(), vars(r.analysis_explanation).copy()) for r in raw]
    out = LinearContextEnhancer().enhance_using_context(text, raw, artifacts, [recognizer])
    assert [(vars(r), vars(r.analysis_explanation)) for r in raw] == before
    boosted = [r for r in out if r.score > 0.6]
    assert boosted
    for result in boosted:
        original = raw[out.index(result)]
        assert type(result) is RecognizerResult
        assert result is not original
        assert result.analysis_explanation is not original.analysis_explanation
        assert result.analysis_explanation.supportive_context_word == "電話"

        def rest(obj: Any, *changed: str) -> dict[str, Any]:
            return {k: v for k, v in vars(obj).items() if k not in changed}

        assert rest(result, "score", "analysis_explanation") == rest(
            original, "score", "analysis_explanation"
        )
        explained = ("score", "supportive_context_word", "score_context_improvement")
        assert rest(result.analysis_explanation, *explained) == rest(
            original.analysis_explanation, *explained
        )
