"""Presidio, imported without spaCy (issue 18). Every redaction module imports Presidio from here.

Presidio's package imports spaCy and thinc when it is imported, for its spaCy, Stanza and
transformers NLP engines, even when the caller brings its own engine. Kakehashi's analyser uses
none of them: Sudachi tokenises (``redaction.nlp``, a Presidio ``NlpEngine``) and no spaCy
pipeline is ever loaded. The import alone cost every process ~55 MB of RSS and ~680 modules
(spaCy, thinc, numpy, spaCy's command line); in ``kakehashi serve`` it sat in the parent's heap,
which every worker maps: 255.6 → 231.3 MB RSS per worker without it (docs/benchmarks.md).

So Presidio is imported once, here, with ``spacy`` and ``thinc`` answered by stand-ins for the
length of that import only. They give Presidio the names it binds at import — ``Doc`` and ``Span``
for annotations, ``Language.factory`` and ``registry.tokenizers`` as decorators of its Stanza and
Hugging Face pipes (which then register nothing), ``Pipe`` as a base class — and calling any of
them raises ``SpacyNotLoaded``: Presidio's spaCy-backed engines cannot run in a process that
imported Presidio through this module, and say why. Any other use at import time (a newer
Presidio) fails the import loudly rather than half-working. The stand-ins leave ``sys.modules``
when the import is done, so other code that imports spaCy later gets the real one (the Presidio
+ GiNZA baseline of bench/redaction imports Presidio directly, in its own process). If spaCy or
Presidio is already imported, nothing is stood in.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

_STOOD_IN = ("spacy", "thinc")
# The attributes of stood-in names that Presidio reads at import time: decorator factories.
_DECORATORS = frozenset({("Language", "factory"), ("registry", "tokenizers")})


class SpacyNotLoaded(RuntimeError):
    """A Presidio engine or pipe that needs spaCy was used; the analyser does not load it."""


def _unchanged(*_args: Any, **_kwargs: Any) -> Callable[[Any], Any]:
    return lambda decorated: decorated


class _StandInType(type):
    """The type of every stood-in name: a class (so Presidio can subclass ``Pipe``) that
    refuses to be called."""

    def __call__(cls, *_args: Any, **_kwargs: Any) -> Any:
        raise SpacyNotLoaded(
            f"{cls.__module__}.{cls.__qualname__}: spaCy is not loaded in this process (Presidio "
            "was imported without it by redaction.presidio; the analyser tokenises with Sudachi)"
        )

    def __getattr__(cls, name: str) -> Any:
        if (cls.__qualname__, name) in _DECORATORS:
            return _unchanged
        raise AttributeError(f"{cls.__module__}.{cls.__qualname__}.{name} (spaCy stand-in)")


class _StandInModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # import machinery probing (__path__, __file__, ...)
            raise AttributeError(name)
        stand_in = _StandInType(name, (), {"__module__": self.__name__})
        setattr(self, name, stand_in)
        return stand_in


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(
        self,
        fullname: str,
        path: Any = None,  # noqa: ARG002  (the finder protocol's signature)
        target: Any = None,  # noqa: ARG002
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in _STOOD_IN:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _StandInModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the names appear on first access."""


@contextlib.contextmanager
def _without_spacy() -> Iterator[None]:
    if any(name in sys.modules for name in ("presidio_analyzer", *_STOOD_IN)):
        yield
        return
    finder = _StandInFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name, module in list(sys.modules.items()):
            if isinstance(module, _StandInModule):
                del sys.modules[name]


with _without_spacy():
    from presidio_analyzer import (
        AnalyzerEngine,
        EntityRecognizer,
        Pattern,
        PatternRecognizer,
        RecognizerRegistry,
        RecognizerResult,
    )
    from presidio_analyzer.context_aware_enhancers import (
        ContextAwareEnhancer,
        LemmaContextAwareEnhancer,
    )
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

__all__ = [
    "AnalyzerEngine",
    "ContextAwareEnhancer",
    "EntityRecognizer",
    "LemmaContextAwareEnhancer",
    "NlpArtifacts",
    "NlpEngine",
    "Pattern",
    "PatternRecognizer",
    "RecognizerRegistry",
    "RecognizerResult",
    "SpacyNotLoaded",
]
