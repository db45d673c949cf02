"""A Presidio NLP engine on SudachiPy: tokens, lemmas and part-of-speech tags for Japanese.

Presidio's spaCy engines need a heavy model and (with GiNZA) ignore its Japanese entity labels;
Sudachi's dictionary already tags proper nouns (固有名詞・人名/地名/一般) at a few ms per page.
Each morpheme also carries what the name rules need from the dictionary: unknown words
(including katakana words Sudachi joins from unknown pieces), synonym-group membership (an
everyday word), other entries of the same surface (a place that is also a surname, a given
name that is also a common noun) and the normalised form (證券 → 証券).
Sudachi refuses inputs over 49,149 bytes, so long texts are tokenised in chunks cut at line or
sentence ends, with offsets shifted back. The analyzer never gets that far: it hands over
overlapping windows of 6,000 characters (``redaction.windows``), so no cut there can split a
name; the chunking is the guard for direct callers only. Tokenizers are per thread (the dictionary is shared).
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any

from redaction.lexicon import NOT_SHORT_SURNAMES, PERSON_SUFFIXES
from redaction.morpheme import Morpheme
from redaction.presidio import NlpArtifacts, NlpEngine

# The word id Sudachi gives a katakana word its JoinKatakanaOov plugin built from unknown
# pieces (ナイアンティック, ガスペリ): not a dictionary word, though ``is_oov()`` is False.
_JOINED_WORD_ID = 0x0FFFFFFF
# Sudachi's limit is 49,149 bytes; stay well below it.
MAX_CHUNK_BYTES = 40_000
_CUTS = ("\n", "。", "．", ". ", "、", " ")
_STOPWORDS = frozenset(
    [
        "は",
        "が",
        "を",
        "に",
        "の",
        "で",
        "と",
        "も",
        "へ",
        "や",
        "から",
        "まで",
        "より",
        "て",
        "た",
        "だ",
        "です",
        "ます",
        "する",
        "いる",
        "ある",
        "こと",
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "at",
        "and",
        "or",
        "is",
        "are",
        "be",
        "for",
        "with",
    ]
)


# What a dictionary word brings to each of its morphemes: part of speech, dictionary form,
# in a synonym group, normalised form, also a surname, also an everyday word.
_Word = tuple[tuple[str, ...], str, bool, str, bool, bool]


class SudachiArtifacts(NlpArtifacts):
    """Presidio artifacts plus Sudachi morphemes (for the name recognizer)."""

    def __init__(
        self, morphemes: list[Morpheme], engine: SudachiNlpEngine, language: str, text: str = ""
    ):
        self.morphemes = morphemes
        self.text = text
        self._language = language
        self._keywords: list[str] | None = None
        super().__init__(
            entities=[],
            # Presidio's context enhancer only iterates tokens and takes len() of each, so
            # surface strings stand in for a spaCy Doc (no spaCy model is loaded).
            tokens=[m.surface for m in morphemes],  # type: ignore[arg-type]
            tokens_indices=[m.start for m in morphemes],
            lemmas=[m.lemma for m in morphemes],
            nlp_engine=engine,
            language=language,
        )

    @staticmethod
    def set_keywords(nlp_engine: Any, lemmas: list[str], language: str) -> Any:  # noqa: ARG004
        """Deferred: only the context enhancer reads the keywords, and only for the few
        findings of recognizers with context words (``keywords`` computes them then)."""
        return None

    @property
    def keywords(self) -> list[str]:
        if self._keywords is None:
            engine = self.nlp_engine
            if isinstance(engine, SudachiNlpEngine):
                self._keywords = engine.keywords(self.lemmas)
            else:
                self._keywords = NlpArtifacts.set_keywords(engine, self.lemmas, self._language)
        return self._keywords

    @keywords.setter
    def keywords(self, value: list[str] | None) -> None:
        self._keywords = value

    @cached_property
    def names(self) -> list[Any]:
        """Name spans, computed once per text for every recognizer that wants them."""
        from redaction.names import find_names

        return find_names(self.name_morphemes)

    @cached_property
    def name_morphemes(self) -> list[Morpheme]:
        """The morphemes the Japanese name rules (and the company model) read."""
        from redaction.english_text import english_stretches

        # English prose is the English rules' (``english_names``): Sudachi reads English
        # words as nouns and proper nouns, which made whole clauses into one company.
        stretches = english_stretches(self.text)
        if not stretches:
            return self.morphemes
        starts = [s for s, _ in stretches]

        def english(m: Morpheme) -> bool:
            k = bisect.bisect_right(starts, m.start) - 1
            return k >= 0 and m.start < stretches[k][1]

        return [m for m in self.morphemes if not english(m)]

    @cached_property
    def english_names(self) -> list[Any]:
        """English person and company names, computed once per text."""
        from redaction.english_names import find_english_names

        return find_english_names(self.text)


def chunks(text: str, limit: int = MAX_CHUNK_BYTES) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces of at most ``limit`` UTF-8 bytes, cut at a line or sentence end
    when there is one in the second half of the piece."""
    if text and (len(text) * 4 <= limit or len(text.encode()) <= limit):
        yield 0, text  # the usual case: one piece (a UTF-8 character is at most 4 bytes)
        return
    start = 0
    while start < len(text):
        end = start
        size = 0
        while end < len(text) and size + len(text[end].encode()) <= limit:
            size += len(text[end].encode())
            end += 1
        if end < len(text):
            window = text[start:end]
            for cut in _CUTS:
                found = window.rfind(cut)
                if found > len(window) // 2:
                    end = start + found + len(cut)
                    break
        yield start, text[start:end]
        start = end


def _katakana(text: str) -> bool:
    return all(0x30A0 <= ord(c) <= 0x30FF for c in text)


# Anything but Japanese script or Japanese punctuation (、。「」【】): ``is_cjk``'s ranges and
# the CJK punctuation block. Latin next to Japanese is embedded (``Morpheme.jp_neighbour``).
_NOT_JAPANESE = re.compile(
    "[^\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
)


class SudachiNlpEngine(NlpEngine):
    """Presidio NLP engine backed by SudachiPy (split mode C, ``sudachidict_core``)."""

    def __init__(self, languages: Iterable[str] = ("ja", "en")) -> None:
        self._languages = list(languages)
        self._dictionary: Any = None
        self._local = threading.local()
        self._entries: dict[str, tuple[bool, bool]] = {}  # get/set are atomic under the GIL
        self._pos: dict[int, tuple[str, ...]] = {}  # part-of-speech tuples by Sudachi's id
        self._words: dict[tuple[int, str], _Word] = {}  # by word id and surface
        self._keyword_memo: dict[str, tuple[str, ...]] = {}

    def load(self) -> None:
        from sudachipy import Dictionary

        self._dictionary = Dictionary(dict="core")
        self.tokenize("初期化")  # warm the first tokenizer

    def is_loaded(self) -> bool:
        return self._dictionary is not None

    def _tokenizer(self) -> Any:
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            from sudachipy import SplitMode

            tokenizer = self._dictionary.create(SplitMode.C)
            self._local.tokenizer = tokenizer
        return tokenizer

    def tokenize(self, text: str, spaces: frozenset[int] = frozenset()) -> list[Morpheme]:
        """Sudachi's morphemes of ``text``, whitespace left out. ``spaces``: offsets in
        ``text`` where normalisation removed a space before them (``space_before``)."""
        tokenizer = self._tokenizer()
        words = self._words
        # Each character not Japanese blanked: the neighbour test of every morpheme is then
        # one index, not two calls.
        marks, size = _NOT_JAPANESE.sub(" ", text), len(text)
        out: list[Morpheme] = []
        append = out.append
        for offset, piece in chunks(text):
            for m in tokenizer.tokenize(piece):
                surface = m.surface()
                if surface.isspace():
                    continue
                word_id = m.word_id()
                # What the dictionary says of a known word is the same wherever it occurs:
                # asked once per word (four calls into Sudachi fewer per morpheme). Only known
                # words are kept, and being one is a property of the id (Sudachi gives an
                # out-of-vocabulary word an id of its own, dictionary number 0xF): a word found
                # here is known, and only the others are asked ``is_oov``.
                word = words.get((word_id, surface))
                oov = False
                if word is None:
                    oov = m.is_oov() or word_id == _JOINED_WORD_ID
                    word = self._word(m, surface)
                    if not oov and len(words) < 100_000:
                        words[(word_id, surface)] = word
                pos, lemma, common, norm, surname, everyday = word
                # The surface is the text from begin to end: its length spares a call.
                start = offset + m.begin()
                end = start + len(surface)
                append(
                    Morpheme(
                        surface,
                        start,
                        end,
                        pos,
                        oov,
                        lemma,
                        (start > 0 and marks[start - 1] != " ")
                        or (end < size and marks[end] != " "),
                        common,
                        surname,
                        everyday,
                        norm,
                        start in spaces,
                    )
                )
        return self._short_surnames(out)

    def _word(self, m: Any, surface: str) -> _Word:
        pos_id = m.part_of_speech_id()
        pos = self._pos.get(pos_id)
        if pos is None:
            pos = self._pos[pos_id] = tuple(m.part_of_speech())
        return (
            pos,
            m.dictionary_form(),
            bool(m.synonym_group_ids()),
            m.normalized_form(),
            pos[2] == "地名" and self._lookup(surface)[0],
            pos[2] == "人名" and _katakana(surface) and self._lookup(surface)[1],
        )

    def _short_surnames(self, out: list[Morpheme]) -> list[Morpheme]:
        for k in [i - 1 for i, m in enumerate(out) if i and m.surface in PERSON_SUFFIXES]:
            m = out[k]
            if (
                len(m.surface) <= 2
                and out[k + 1].start == m.end
                and m.pos[1] == "普通名詞"
                and all(0x4E00 <= ord(c) <= 0x9FFF for c in m.surface)
                and m.surface not in NOT_SHORT_SURNAMES
                and self._lookup(m.surface)[0]
            ):
                out[k] = replace(m, short_surname=True)
        return out

    def _lookup(self, surface: str) -> tuple[bool, bool]:
        """(also a surname, also an everyday common noun) per the dictionary's other entries."""
        cache = self._entries
        found = cache.get(surface)
        if found is None:
            words = self._dictionary.lookup(surface)
            found = (
                any(tuple(w.part_of_speech()[2:4]) == ("人名", "姓") for w in words),
                any(w.part_of_speech()[1] == "普通名詞" and w.synonym_group_ids() for w in words),
            )
            if len(cache) < 100_000:
                cache[surface] = found
        return found

    def keywords(self, lemmas: list[str]) -> list[str]:
        """Presidio's keywords of ``lemmas`` (``NlpArtifacts.set_keywords``: each lemma in
        turn, lower-cased and split at ":", unless a stopword or punctuation), memoised per
        lemma: the same few hundred lemmas recur in every text."""
        memo = self._keyword_memo
        out: list[str] = []
        for lemma in lemmas:
            pieces = memo.get(lemma)
            if pieces is None:
                pieces = tuple(NlpArtifacts.set_keywords(self, [lemma], ""))
                if len(memo) < 100_000:
                    memo[lemma] = pieces
            out.extend(pieces)
        return out

    def process_text(
        self, text: str, language: str, spaces: frozenset[int] = frozenset()
    ) -> SudachiArtifacts:
        """``spaces``: offsets in ``text`` where normalisation removed a space before them."""
        morphemes = self.tokenize(text, spaces)
        return SudachiArtifacts(morphemes, self, language, text)

    def process_batch(
        self,
        texts: Iterable[str],
        language: str,
        batch_size: int = 1,  # noqa: ARG002 - Presidio's signature; Sudachi needs no batching
        n_process: int = 1,  # noqa: ARG002
        **kwargs: Any,  # noqa: ARG002
    ) -> Iterator[tuple[str, SudachiArtifacts]]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:  # noqa: ARG002
        return word.lower() in _STOPWORDS

    def is_punct(self, word: str, language: str) -> bool:  # noqa: ARG002
        return bool(word) and all(unicodedata.category(ch)[0] in "PSZ" for ch in word)

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return list(self._languages)
