"""Presidio's lemma context enhancer, linear in the length of the text (issue 18).

Presidio's ``LemmaContextAwareEnhancer`` finds the token of each finding by scanning the token
list from the start (``_find_index_of_match_token``: O(tokens × findings), 16 of 27 s on a
200,000-character text), tests each neighbouring lemma for membership in the text's keyword
*list* (another scan per step), and deep-copies every finding first. This subclass keeps its
rule and its scores: the same surrounding words (its own ``_extract_surrounding_words``), the
same supportive-word test and the same score update, for the same findings (a recognizer with
context words, not already boosted by the recognizer). Only the lookups change: the token by
bisection over token ends (the first token ending after the finding's start, what Presidio's
scan returns for tokens in text order), keywords in a set, and a shallow copy of the findings
it changes. Plugged in through ``AnalyzerEngine(context_aware_enhancer=...)``.

``LinearAnalyzerEngine`` does the step before it in one pass too: Presidio's analyzer splits
the findings into each recognizer's and all the others' (two scans of every finding per
recognizer) to call the recognizer's own ``enhance_using_context``; here they are grouped by
recognizer once, and the others listed only for a recognizer that overrides that method.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any, TypeVar

from redaction.presidio import (
    AnalyzerEngine,
    ContextAwareEnhancer,
    EntityRecognizer,
    LemmaContextAwareEnhancer,
    NlpArtifacts,
    RecognizerResult,
)

_T = TypeVar("_T")
_ID = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
_BOOSTED = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY


class _Text(threading.local):
    """What is looked up repeatedly in one text: the token ends and the keyword set."""

    tokens: Any = None
    ends: list[int]
    keywords: frozenset[str]


class LinearContextEnhancer(LemmaContextAwareEnhancer):
    def __init__(self) -> None:
        super().__init__()
        self._text = _Text()

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        with_context = {r.id: r for r in recognizers if r.context}
        extra = [word.lower() for word in context or []]
        out = list(raw_results)
        if nlp_artifacts is None or not with_context:
            return out
        try:
            for i, result in enumerate(raw_results):
                metadata = result.recognition_metadata or {}
                recognizer = with_context.get(metadata.get(_ID))
                if recognizer is None or metadata.get(_BOOSTED):
                    continue
                words = self._extract_surrounding_words(
                    nlp_artifacts=nlp_artifacts,
                    word=text[result.start : result.end],
                    start=result.start,
                )
                supportive = self._find_supportive_word_in_context(
                    [*words, *extra], recognizer.context, self.context_matching_mode
                )
                if supportive:
                    out[i] = self._boosted(result, supportive)
        finally:
            self._text.tokens = None
        return out

    def _boosted(self, result: RecognizerResult, word: str) -> RecognizerResult:
        boosted = _copy(result)
        boosted.analysis_explanation = _copy(result.analysis_explanation)
        score = max(
            result.score + self.context_similarity_factor, self.min_score_with_context_similarity
        )
        boosted.score = min(score, ContextAwareEnhancer.MAX_SCORE)
        boosted.analysis_explanation.set_supportive_context_word(word)
        boosted.analysis_explanation.set_improved_score(boosted.score)
        return boosted

    @staticmethod
    def _find_supportive_word_in_context(
        context_list: list[str],
        recognizer_context_list: list[str],
        matching_mode: str = "substring",
    ) -> str:
        """Presidio's test (the first of the recognizer's words found in a surrounding word,
        both lower-cased) with each surrounding word lower-cased once, not once per recognizer
        word: the same comparisons of the same strings, so the same answer."""
        if matching_mode != "substring":
            return LemmaContextAwareEnhancer._find_supportive_word_in_context(
                context_list, recognizer_context_list, matching_mode
            )
        lowered = [keyword.lower() for keyword in context_list]
        for word in recognizer_context_list:
            wanted = word.lower()
            if any(wanted in keyword for keyword in lowered):
                return word
        return ""

    def _prepare(self, tokens: Any, tokens_indices: list[int], keywords: list[str] | None) -> _Text:
        cached = self._text
        if cached.tokens is not tokens:
            cached.ends = [i + len(t) for i, t in zip(tokens_indices, tokens, strict=True)]
            cached.keywords = frozenset(keywords or ())
            cached.tokens = tokens
        return cached

    def _extract_surrounding_words(
        self, nlp_artifacts: NlpArtifacts, word: str, start: int
    ) -> list[str]:
        if nlp_artifacts.tokens:
            self._prepare(
                nlp_artifacts.tokens, nlp_artifacts.tokens_indices, nlp_artifacts.keywords
            )
        return super()._extract_surrounding_words(nlp_artifacts, word, start)

    def _find_index_of_match_token(  # type: ignore[override]
        self, word: str, start: int, tokens: Any, tokens_indices: list[int]
    ) -> int:
        """The first token that ends after ``start`` (Presidio's own rule, by bisection)."""
        ends = self._prepare(tokens, tokens_indices, None).ends
        index = bisect.bisect_right(ends, start)
        if index == len(ends):
            raise ValueError(f"Did not find word {word!r} in the list of tokens")
        return index

    def _add_n_words(  # type: ignore[override]
        self,
        index: int,
        n_words: int,
        lemmas: list[str],
        lemmatized_filtered_keywords: list[str],  # noqa: ARG002 - the set stands in for it
        is_backward: bool,
    ) -> list[str]:
        """Presidio's walk (at most ``n_words + 1`` keywords, the finding's own token included)
        with set membership instead of a list scan."""
        keywords = self._text.keywords
        words: list[str] = []
        i, remaining = index, n_words + 1
        while 0 <= i < len(lemmas) and remaining > 0:
            lemma = lemmas[i].lower()
            if lemma in keywords:
                words.append(lemma)
                remaining -= 1
            i = i - 1 if is_backward else i + 1
        return words


def _copy(obj: _T) -> _T:
    """``copy.copy`` of a plain object (no ``__copy__``, ``__slots__`` or ``__setstate__``,
    as Presidio's results and explanations): a new instance of its class with the same
    attributes — what ``copy.copy`` builds through the pickle protocol, at a fifth of the cost
    (issue 18)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


class LinearAnalyzerEngine(AnalyzerEngine):
    def _enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        """Presidio's: each recognizer's findings in the order of the recognizers, passed
        through its ``enhance_using_context``, then the context enhancer over them all."""
        own: dict[str, list[RecognizerResult]] = {}
        for result in raw_results if recognizers else ():
            own.setdefault(result.recognition_metadata[_ID], []).append(result)
        results: list[RecognizerResult] = []
        for recognizer in recognizers:
            found = own.get(recognizer.id, [])
            if type(recognizer).enhance_using_context is not _DEFAULT_ENHANCE:
                found = recognizer.enhance_using_context(
                    text=text,
                    raw_recognizer_results=list(found),
                    other_raw_recognizer_results=[
                        r for r in raw_results if r.recognition_metadata[_ID] != recognizer.id
                    ],
                    nlp_artifacts=nlp_artifacts,
                    context=context,
                )
            results.extend(found)
        return self.context_aware_enhancer.enhance_using_context(
            text=text,
            raw_results=results,
            nlp_artifacts=nlp_artifacts,
            recognizers=recognizers,
            context=context,
        )


# What a recognizer without context logic of its own does: return its findings unchanged.
_DEFAULT_ENHANCE = EntityRecognizer.enhance_using_context
