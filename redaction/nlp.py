"""A Presidio NLP engine on SudachiPy: tokens, lemmas and part-of-speech tags for Japanese.

Presidio's spaCy engines need a heavy model and (with GiNZA) ignore its Japanese entity labels;
Sudachi's dictionary already tags proper nouns (固有名詞・人名/地名/一般) at a few ms per page.
Sudachi refuses inputs over 49,149 bytes, so long texts are tokenised in chunks cut at line or
sentence ends, with offsets shifted back. Tokenizers are per thread (the dictionary is shared).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

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


@dataclass(frozen=True, slots=True)
class Morpheme:
    surface: str
    start: int
    end: int
    pos: tuple[str, ...]
    oov: bool
    lemma: str
    jp_neighbour: bool = False  # the previous or next character is Japanese

    @property
    def proper(self) -> bool:
        return self.pos[1] == "固有名詞"


class SudachiArtifacts(NlpArtifacts):
    """Presidio artifacts plus Sudachi morphemes (for the name recognizer)."""

    def __init__(self, morphemes: list[Morpheme], engine: SudachiNlpEngine, language: str):
        self.morphemes = morphemes
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

    @cached_property
    def names(self) -> list[Any]:
        """Name spans, computed once per text for every recognizer that wants them."""
        from redaction.names import find_names

        return find_names(self.morphemes)


def chunks(text: str, limit: int = MAX_CHUNK_BYTES) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces of at most ``limit`` UTF-8 bytes, cut at a line or sentence end
    when there is one in the second half of the piece."""
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


def _neighbour_is(text: str, start: int, end: int, test: Callable[[str], bool]) -> bool:
    return (start > 0 and test(text[start - 1])) or (end < len(text) and test(text[end]))


class SudachiNlpEngine(NlpEngine):
    """Presidio NLP engine backed by SudachiPy (split mode C, ``sudachidict_core``)."""

    def __init__(self, languages: Iterable[str] = ("ja", "en")) -> None:
        self._languages = list(languages)
        self._dictionary: Any = None
        self._local = threading.local()

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

    def tokenize(self, text: str) -> list[Morpheme]:
        from redaction.normalize import is_cjk

        tokenizer = self._tokenizer()
        out: list[Morpheme] = []
        for offset, piece in chunks(text):
            for m in tokenizer.tokenize(piece):
                surface = m.surface()
                if surface.isspace():
                    continue
                out.append(
                    Morpheme(
                        surface=surface,
                        start=offset + m.begin(),
                        end=offset + m.end(),
                        pos=tuple(m.part_of_speech()),
                        oov=m.is_oov(),
                        lemma=m.dictionary_form(),
                        jp_neighbour=_neighbour_is(
                            text, offset + m.begin(), offset + m.end(), is_cjk
                        ),
                    )
                )
        return out

    def process_text(self, text: str, language: str) -> SudachiArtifacts:
        return SudachiArtifacts(self.tokenize(text), self, language)

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
