"""Company evidence from a name's neighbours and shape (issue 13, company recall on new text).

- Listed beside a company: a lone distinctive katakana or Latin word joined by と, や or 、 to
  a company found in the sentence (オラクルとIBMも, ノルデンやヴァルデン商事).
- An English plural in katakana at the end of a glued katakana compound: Sudachi normalises
  the plural away (モデルズ → モデル), a shape everyday compounds do not take
  (ファルコンモデルズ, ベアリングワークス).
- A web address's ending after a Latin company (Quillbase.com, Zenbox.co.jp): the name as
  the company writes it.
- An era and a year (寛永13年, 天正10年): an era name Sudachi tags as a proper noun, not a
  company.

Rules over the sentence's morphemes and the spans the other rules found; no word lists of names.
"""

from __future__ import annotations

from collections.abc import Sequence

from redaction.lexicon import NOT_COMPANY_ACRONYMS, NOT_NAMES
from redaction.morpheme import Morpheme
from redaction.name_tokens import (
    COMPANY,
    NameSpan,
    capitalised,
    distinctive,
    is_kanji,
    is_katakana,
    is_latin,
    nounish,
)

_LIST_JOINS = frozenset(["と", "や", "、"])
_DOMAIN_ENDS = frozenset(["com", "net", "org", "jp", "io", "co"])


def _wordlike(m: Morpheme) -> bool:
    s = m.surface
    if s in NOT_NAMES or m.pos[0] != "名詞" or not distinctive(m):
        return False
    if is_katakana(s):
        return len(s) >= 3
    return is_latin(s) and capitalised(s) and s.upper().rstrip(".") not in NOT_COMPANY_ACRONYMS


def _alone(morphemes: Sequence[Morpheme], k: int) -> bool:
    """morphemes[k] is a word of its own: no noun glued before or after it."""
    m = morphemes[k]
    before = k > 0 and morphemes[k - 1].end == m.start and nounish(morphemes[k - 1])
    after = (
        k + 1 < len(morphemes)
        and morphemes[k + 1].start == m.end
        and nounish(morphemes[k + 1])
        and morphemes[k + 1].surface not in ("等", "など")
    )
    return not (before or after)


def listed_with_companies(morphemes: Sequence[Morpheme], spans: list[NameSpan]) -> list[NameSpan]:
    """Lone distinctive words joined by と/や/、 to a company span, on either side."""
    taken = [(s.start, s.end) for s in spans]
    starts = {m.start: k for k, m in enumerate(morphemes)}
    ends = {m.end: k for k, m in enumerate(morphemes)}
    found: dict[int, NameSpan] = {}
    for span in spans:
        first, last = starts.get(span.start), ends.get(span.end)
        if span.kind != COMPANY or first is None or last is None:
            continue
        for join, k in ((first - 1, first - 2), (last + 1, last + 2)):
            if not (0 <= join < len(morphemes) and 0 <= k < len(morphemes)):
                continue
            m = morphemes[k]
            if (
                morphemes[join].surface in _LIST_JOINS
                and _wordlike(m)
                and _alone(morphemes, k)
                and not any(s < m.end and e > m.start for s, e in taken)
            ):
                found[m.start] = NameSpan(COMPANY, m.start, m.end, 0.55, "listed-with-company")
    return list(found.values())


def plural_compounds(run: list[Morpheme]) -> list[NameSpan]:
    """A glued katakana compound ending in a katakana English plural (ファルコンモデルズ)."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if not (
            i
            and is_katakana(m.surface)
            and m.surface.endswith("ズ")
            and m.norm
            and m.norm != m.surface
        ):
            continue
        first = i
        while (
            first > 0
            and is_katakana(run[first - 1].surface)
            and run[first - 1].end == run[first].start
        ):
            first -= 1
        if first < i:
            spans.append(NameSpan(COMPANY, run[first].start, m.end, 0.55, "plural-compound"))
    return spans


def with_web_address(morphemes: Sequence[Morpheme], spans: list[NameSpan]) -> list[NameSpan]:
    """Latin company spans extended over a glued .com/.net/.co.jp ending."""
    starts = {m.start: k for k, m in enumerate(morphemes)}
    out = []
    for span in spans:
        k = starts.get(span.end)
        end = span.end
        while (
            span.kind == COMPANY
            and k is not None
            and k + 1 < len(morphemes)
            and morphemes[k].surface == "."
            and morphemes[k + 1].start == morphemes[k].end
            and morphemes[k + 1].surface.lower() in _DOMAIN_ENDS
            and is_latin(morphemes[k - 1].surface)
        ):
            end = morphemes[k + 1].end
            k = starts.get(end)
        out.append(
            span if end == span.end else NameSpan(span.kind, span.start, end, span.score, span.rule)
        )
    return out


def without_eras(morphemes: Sequence[Morpheme], spans: list[NameSpan]) -> list[NameSpan]:
    """Drop two-kanji company spans followed by a year number and 年 (寛永13年, 天正元年)."""
    starts = {m.start: k for k, m in enumerate(morphemes)}
    kept = []
    for span in spans:
        k = starts.get(span.end)
        era = (
            span.kind == COMPANY
            and span.end - span.start == 2
            and k is not None
            and k + 1 < len(morphemes)
            and is_kanji(morphemes[k - 1].surface if k else "")
            and morphemes[k].pos[1] == "数詞"
            and morphemes[k].start == span.end
            and morphemes[k + 1].surface == "年"
            and morphemes[k + 1].start == morphemes[k].end
        )
        if not era:
            kept.append(span)
    return kept
