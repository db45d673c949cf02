"""The Redactor: Presidio's analyzer with the Sudachi NLP engine and our recognizers.

Built once at start-up (``Redactor.build``); ``analyze`` is thread-safe and CPU-bound (run it
in a worker thread). It normalises the text, analyses the normalised view, maps findings back
to the original offsets, drops allow-listed terms, and resolves overlaps into one
non-overlapping list. It never substitutes anything (see ``redaction.service``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import itertools
import operator
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from redaction.entities import PRIORITY, Entity, EntityType
from redaction.normalize import MappedText, normalize
from redaction.profile import RedactionProfile
from redaction.windows import windows

LANGUAGE = "ja"


def _recognizers() -> list[Any]:
    from redaction.recognizers.address import JapaneseAddressRecognizer
    from redaction.recognizers.bank_account import BankAccountRecognizer
    from redaction.recognizers.confidential import ConfidentialMarkerRecognizer
    from redaction.recognizers.corporate_number import CorporateNumberRecognizer
    from redaction.recognizers.credit_card import CreditCardRecognizer
    from redaction.recognizers.email import EmailRecognizer
    from redaction.recognizers.english_company import EnglishCompanyRecognizer
    from redaction.recognizers.english_person import EnglishPersonRecognizer
    from redaction.recognizers.hiragana_name import HiraganaNameRecognizer
    from redaction.recognizers.international_phone import InternationalPhoneRecognizer
    from redaction.recognizers.labelled_card import LabelledCardRecognizer
    from redaction.recognizers.my_number import MyNumberRecognizer
    from redaction.recognizers.names import JapaneseNameRecognizer
    from redaction.recognizers.phone import JapanesePhoneRecognizer
    from redaction.recognizers.postal_code import PostalCodeRecognizer

    return [
        JapaneseNameRecognizer(),
        EnglishCompanyRecognizer(),
        EnglishPersonRecognizer(),
        HiraganaNameRecognizer(),
        JapaneseAddressRecognizer(),
        JapanesePhoneRecognizer(),
        InternationalPhoneRecognizer(),
        EmailRecognizer(),
        PostalCodeRecognizer(),
        MyNumberRecognizer(),
        CorporateNumberRecognizer(),
        CreditCardRecognizer(),
        LabelledCardRecognizer(),
        BankAccountRecognizer(),
        ConfidentialMarkerRecognizer(),
    ]


class Cancelled(Exception):
    """The caller gave up on this analysis (its request was abandoned or timed out)."""


class Redactor:
    """Finds entities; one instance per process, shared by all requests."""

    def __init__(self, analyzer: Any, extra_recognizers: Sequence[Any] = ()) -> None:
        self._analyzer = analyzer
        self._extra = list(extra_recognizers)
        self._lists: dict[tuple[Any, ...], list[Any]] = {}
        self._lock = threading.Lock()
        self._company: Any = None
        extra = ",".join(sorted(type(r).__qualname__ for r in self._extra))
        self.version = f"{_code_version()}+{extra}"  # the analysis cache's key (issue 18)

    @classmethod
    def build(cls, *, extra_recognizers: Sequence[Any] = ()) -> Redactor:
        """Load Sudachi and Presidio (about a second). ``extra_recognizers`` (Presidio
        recognizers) are added to the built-in ones — tests use it to inject failures."""
        from redaction.context import LinearAnalyzerEngine, LinearContextEnhancer
        from redaction.nlp import SudachiNlpEngine
        from redaction.presidio import RecognizerRegistry

        nlp_engine = SudachiNlpEngine(languages=[LANGUAGE])
        nlp_engine.load()
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        for recognizer in [*_recognizers(), *extra_recognizers]:
            registry.add_recognizer(recognizer)
        analyzer = LinearAnalyzerEngine(
            registry=registry,
            nlp_engine=nlp_engine,
            supported_languages=[LANGUAGE],
            context_aware_enhancer=LinearContextEnhancer(),
        )
        redactor = cls(analyzer)
        # Warm both rule sets (the English lexicon loads with the first English text).
        redactor.analyze(
            "株式会社カケハシの山田です。03-1234-5678 Hi Olivia, thanks.", RedactionProfile()
        )
        return redactor

    def analyze(
        self,
        text: str,
        profile: RedactionProfile,
        *,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[Entity]:
        """Entities of the types ``profile`` redacts or blocks, non-overlapping, in order,
        with offsets into ``text``. The normalised text is analysed in overlapping windows
        (``redaction.windows``); ``cancelled`` is asked before each one and ``Cancelled`` is
        raised when it says so. Raises whatever a recognizer raises (callers fail closed)."""
        if not text.strip():
            return []
        mapped = normalize(text)
        ad_hoc = self._listed(profile)
        supported = set(self._analyzer.get_supported_entities(LANGUAGE))
        supported.update(e for r in ad_hoc for e in r.supported_entities)
        wanted = [t.value for t in profile.wanted() if t.value in supported]
        if not wanted:
            return []
        spaces = _removed_spaces(text, mapped)
        entities = []
        for window in windows(mapped.text):
            if cancelled():
                raise Cancelled
            piece = mapped.text[window.start : window.end]
            artifacts = self._analyzer.nlp_engine.process_text(
                piece,
                LANGUAGE,
                spaces=frozenset(
                    i - window.start for i in spaces if window.start <= i < window.end
                ),
            )
            results = self._analyzer.analyze(
                text=piece,
                language=LANGUAGE,
                entities=wanted,
                ad_hoc_recognizers=ad_hoc or None,
                score_threshold=profile.min_score,
                nlp_artifacts=artifacts,
            )
            for r in results:
                if not window.owns(window.start + r.start):
                    continue
                start, end = mapped.original_span(window.start + r.start, window.start + r.end)
                entity = Entity(EntityType(r.entity_type), start, end, text[start:end], r.score)
                entities.append(entity)
        entities = self._allowed_removed(entities, profile)
        return resolve_overlaps(text, entities, first=profile.block)

    def profile_version(self, profile: RedactionProfile) -> str:
        """What of ``profile`` lives outside it: the version of its customer list's file."""
        return repr(_file_version(profile.customers_csv))

    def _listed(self, profile: RedactionProfile) -> list[Any]:
        """Per-profile dictionary recognizers, cached by the list contents / file version."""
        from redaction.dictionary import read_customers
        from redaction.recognizers.dictionary import ListedTermRecognizer

        key = (
            _file_version(profile.customers_csv),
            profile.code_names,
            profile.allow,
            profile.terms,
            profile.company_model,
        )
        with self._lock:
            cached = self._lists.get(key)
            if cached is None:
                cached = [self._company_model()] if profile.company_model else []
                if profile.customers_csv is not None:
                    terms = read_customers(profile.customers_csv)
                    cached.append(ListedTermRecognizer(EntityType.CUSTOMER, terms))
                if profile.code_names:
                    cached.append(ListedTermRecognizer(EntityType.CODENAME, profile.code_names))
                for entity_type in sorted({t for t, _ in profile.terms}):
                    names = [term for t, term in profile.terms if t is entity_type]
                    cached.append(ListedTermRecognizer(entity_type, names))
                self._lists = (
                    {**self._lists, key: cached} if len(self._lists) < 64 else {key: cached}
                )
            return cached

    def _company_model(self) -> Any:
        """The company model's recognizer, loaded once (callers hold ``_lock``)."""
        if self._company is None:
            from redaction.recognizers.company_spans import CompanySpanRecognizer

            self._company = CompanySpanRecognizer()
        return self._company

    def _allowed_removed(self, entities: list[Entity], profile: RedactionProfile) -> list[Entity]:
        if not profile.allow:
            return entities
        from redaction.lexicon import LEGAL_FORM_RE
        from redaction.normalize import fold_term

        def core(term: str) -> str:
            return fold_term(LEGAL_FORM_RE.sub("", term))

        allowed = {core(a) for a in profile.allow} | {fold_term(a) for a in profile.allow}
        return [
            e for e in entities if core(e.text) not in allowed and fold_term(e.text) not in allowed
        ]


def _removed_spaces(text: str, mapped: MappedText) -> frozenset[int]:
    """Offsets of ``mapped`` before which normalisation dropped whitespace between Japanese
    characters: the names rules treat them as boundaries (a company, then its person)."""
    if mapped.text == text:
        # Nothing changed (the usual case): skip the scan. Not "the same length": an expansion
        # (Ⅲ -> III) can make up for removed spaces, and those gaps would be missed.
        return frozenset()
    starts, ends = mapped.starts, mapped.ends
    # Where a character does not start where the previous one ended (starts[i] > ends[i - 1]),
    # found by a comparison looped in C (a tenth of the cost on a dense e-mail; issue 18);
    # only those few gaps are sliced.
    gaps = itertools.compress(range(1, len(starts)), map(operator.gt, starts[1:], ends))
    return frozenset(i for i in gaps if text[ends[i - 1] : starts[i]].isspace())


@functools.cache
def _code_version() -> str:
    """The analyser's version: a hash of this package's code and data and the versions of
    the libraries it analyses with, so no cached result outlives a change of any of them."""
    digest = hashlib.sha256()
    libraries = ("presidio-analyzer", "sudachipy", "sudachidict-core", "wordfreq", "english-words")
    for name in (*libraries, "names", "cleanco", "pyahocorasick"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{name}={importlib.metadata.version(name)}\0".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix not in (".pyc",):
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _file_version(path: Path | None) -> tuple[str, int, int] | None:
    if path is None:
        return None
    stat = path.stat()  # a missing customer list is an error, not an empty list
    return str(path), stat.st_mtime_ns, stat.st_size


def resolve_overlaps(
    text: str, entities: Sequence[Entity], *, first: Sequence[EntityType] = ()
) -> list[Entity]:
    """Merge overlapping findings into their union; the merged span takes the type that comes
    first in ``first`` (the blocked types), then in ``PRIORITY``."""
    order = {t: i for i, t in enumerate([*first, *PRIORITY])}
    merged: list[list[Entity]] = []
    end = 0  # the end of the last group (the furthest of its members)
    for e in sorted(entities, key=lambda e: (e.start, -e.end)):
        if merged and e.start < end:
            merged[-1].append(e)
            end = max(end, e.end)
        else:
            merged.append([e])
            end = e.end
    out: list[Entity] = []
    for group in merged:
        start = min(e.start for e in group)
        end = max(e.end for e in group)
        best = min(group, key=lambda e: (order[e.type], -(e.end - e.start)))
        out.append(Entity(best.type, start, end, text[start:end], max(e.score for e in group)))
    return out
