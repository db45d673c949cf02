"""One morpheme of Sudachi's reading of a text, as the name rules see it.

Its own module so the name rules (``names``, ``person_names``, ``company_names``, …) and the
NLP engine that makes morphemes (``nlp``) do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def _frozen(cls: type[_T]) -> type[_T]:
    """A frozen dataclass for type checkers, a plain slots one at run time: a frozen
    dataclass's ``__init__`` sets each field through ``object.__setattr__``, five times the
    cost, paid for every morpheme of every text (a tenth of the tokenisation; issue 18).
    Hashable like a frozen one; nothing assigns to a morpheme (``dataclasses.replace``)."""
    return dataclass(slots=True, unsafe_hash=True)(cls)


@_frozen
class Morpheme:
    surface: str
    start: int
    end: int
    pos: tuple[str, ...]
    oov: bool
    lemma: str
    jp_neighbour: bool = False  # the previous or next character is Japanese
    common: bool = False  # in a Sudachi synonym group: an everyday word (メール, アップル)
    surname: bool = False  # a place name that is also a surname in the dictionary (岡本, 西尾)
    everyday: bool = False  # a katakana given name that is also an everyday word (ベンダー, ビル)
    norm: str = ""  # Sudachi's normalised form: 證券 → 証券, 鐵道 → 鉄道, ホールディングズ → ホールディングス
    # The original text had a space right before this morpheme that normalisation removed
    # (株式会社ミライ精工 山田太郎): a boundary a name may not cross (issue 13).
    space_before: bool = False
    # A short kanji word the dictionary also lists as a surname, right before an honorific or
    # title (東課長, 関様): a single-kanji surname the tagger read as a common word.
    short_surname: bool = False

    @property
    def proper(self) -> bool:
        return self.pos[1] == "固有名詞"
