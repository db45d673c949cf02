"""Person and company names in English text, on evidence only (precision first).

Evidence, strongest first: a legal form after capitalised words (Kestrel Parts Co., Ltd.,
Nordvik Marine AB); a courtesy title before them (Mr. Tanaka, Dr. Amara Nwosu); a greeting
or a sign-off (Hi Priya, / Best regards, ⏎ Megan Castellano); an industry word after a name
part that is no everyday word (Pinecrest Logistics); capitalised words that pair a given name
or an unknown word with a surname or an unknown word (Olivia Grant, Kenji Watanabe, Rahul
Iyer); a lone given name that is no everyday word (… ask Olivia …), or a given name that is
one only mid-sentence or before a comma or a reporting verb (Tom, can you…; Mark said).
Then every later mention of a found name's words is the same kind of name (Olivia, Grant,
Pinecrest). Never names: acronyms (CSV, API, UTC, VLOOKUP), weekdays and months, words that
touch digits, underscores or dots (``user_timestamp``, example.com), everyday words.

Works on the (normalised) text directly; Latin words in Japanese text are included, so a
name such as Olivia Grantさん is found here too. ``english_stretches`` tells the Japanese
rules which stretches of text are English prose (``redaction.english_text``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from redaction.english_lexicon import (
    COMPANY_WORDS,
    TITLES,
    given,
    lexicon,
    ordinary,
    surname,
    wordy,
    zipf,
)
from redaction.english_text import Word, adjacent, words
from redaction.name_tokens import COMPANY, PERSON, NameSpan

_GREETINGS = frozenset(
    ["Dear", "Hi", "Hello", "Hey", "Morning", "Afternoon", "Evening", "Thanks", "Thank", "Cheers"]
)
_CLOSINGS = re.compile(
    r"^(?:(?:best|kind|warm|warmest|many)\s+(?:regards|wishes)|regards|best|thanks|thank you|"
    r"cheers|sincerely|yours(?:\s+(?:sincerely|faithfully|truly))?|all the best|br)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
# Words after a lone given name that make it a person (Mark said…, Ben and I…).
_PERSON_VERBS = frozenset(
    [
        "said",
        "says",
        "asked",
        "asks",
        "wrote",
        "writes",
        "replied",
        "confirmed",
        "mentioned",
        "agreed",
        "suggested",
        "noted",
        "recommends",
        "recommended",
        "wants",
        "needs",
        "presented",
        "raised",
        "proposed",
        "called",
        "emailed",
        "thinks",
    ]
)
_CONNECTORS = frozenset(["&", "and", "of", "the", "de", "van", "von", "der", "da", "di", "du"])
_MAX_NAME_WORDS = 3
# Zipf frequency under which a capitalised word before an industry word is a name part.
_RARE_WORD = 3.5
_MAX_COMPANY_WORDS = 5


def _name_part(w: Word) -> bool:
    return w.capitalised and not ordinary(w.text)


def find_english_names(text: str) -> list[NameSpan]:
    ws = words(text)
    if not ws:
        return []
    lexicon()  # loaded once per process
    spans = _companies(text, ws)
    taken = [(s.start, s.end) for s in spans]
    spans += [s for s in _people(text, ws) if not _overlaps(s, taken)]
    spans += _mentions(ws, spans)
    return _longest(spans)


def _overlaps(span: NameSpan, taken: Sequence[tuple[int, int]]) -> bool:
    return any(span.start < e and span.end > s for s, e in taken)


def _companies(text: str, ws: list[Word]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    forms = lexicon().legal_forms
    # Anchored at each word after the first (a form follows a name): scanning the whole text
    # with the alternation of every country's forms cost about 2 ms per 1,000 characters.
    for m in filter(None, (forms.match(text, w.start) for w in ws[1:])):
        if not written_as_legal_form(m.group()):
            continue
        first = _stem_start(text, ws, m.start(), allow_acronyms=True)
        if first is not None:
            spans.append(NameSpan(COMPANY, first.start, m.end(), 0.85, "en-legal-form"))
    for i, w in enumerate(ws):
        if w.text in COMPANY_WORDS and (i + 1 >= len(ws) or not _joined(text, w, ws[i + 1])):
            first = _stem_start(text, ws, w.start, allow_acronyms=False)
            if first is not None and any(
                _distinctive(x) for x in ws if first.start <= x.start < w.start
            ):
                spans.append(NameSpan(COMPANY, first.start, w.end, 0.7, "en-company-word"))
    return spans


def written_as_legal_form(form: str) -> bool:
    """Ltd, Inc., AB, S.p.A., GmbH, plc — not the words "as", "Ag", "co", "company" that
    share the letters."""
    letters = form.replace(".", "").replace(",", "").replace(" ", "")
    if not form[0].isupper():
        return len(letters) >= 3 and not ordinary(letters)
    return len(letters) >= 3 or form.isupper() or "." in form.rstrip(".")


def _distinctive(w: Word) -> bool:
    """A name part, or a capitalised word rare in English (Lumen, Castlerock)."""
    return _name_part(w) or (w.capitalised and zipf(w.text) < _RARE_WORD)


def _joined(text: str, a: Word, b: Word) -> bool:
    return text[a.end : b.start] == " " and b.capitalised


def _stem_start(text: str, ws: list[Word], end: int, *, allow_acronyms: bool) -> Word | None:
    """The first word of the capitalised name before ``end`` (a legal form or industry
    word), over connectors (&, and, of), at most five words; a comma only right before the
    legal form (Acme, Inc.); a leading sentence-initial everyday word ("Thanks", "Our") is
    not part of it."""
    k = bisect.bisect_right([w.end for w in ws], end) - 1
    stem: list[Word] = []
    while k >= 0 and len(stem) < _MAX_COMPANY_WORDS:
        w = ws[k]
        gap = text[w.end : (stem[0].start if stem else end)]
        if gap not in (" ", " & ") and not (not stem and gap in (", ", ",")):
            break
        if w.capitalised or (allow_acronyms and w.acronym) or (stem and w.text in _CONNECTORS):
            stem.insert(0, w)
        else:
            break
        k -= 1
    while stem and (
        stem[0].text in _CONNECTORS
        or (stem[0].sentence_start and ordinary(stem[0].text) and len(stem) > 1)
    ):
        stem.pop(0)
    return stem[0] if stem else None


def _people(text: str, ws: list[Word]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    for i, w in enumerate(ws):
        run = _name_run(text, ws, i)
        if w.text.rstrip(".") in TITLES and run is None:
            run = _titled(text, ws, i)
            if run:
                spans.append(_span(run, 0.85, "en-title"))
            continue
        if w.text in _GREETINGS or _after_closing(text, w):
            greeted = _greeted(text, ws, i)
            if greeted:
                spans.append(_span(greeted, 0.75, "en-greeting"))
                continue
        if run:
            spans.append(_span(run, 0.8, "en-full-name"))
        elif _lone_given(text, ws, i):
            spans.append(_span([w], 0.65, "en-given-name"))
    return spans


def _span(run: Sequence[Word], score: float, rule: str) -> NameSpan:
    return NameSpan(PERSON, run[0].start, run[-1].end, score, rule)


def _following(text: str, ws: list[Word], i: int, limit: int) -> list[Word]:
    run = [ws[i]]
    while len(run) < limit and i + len(run) < len(ws) and adjacent(text, run[-1], ws[i + len(run)]):
        run.append(ws[i + len(run)])
    return run


def _name_run(text: str, ws: list[Word], i: int) -> list[Word] | None:
    """Two or three capitalised words starting at ws[i] that read as a full name: a given
    name or an unknown word, then (an initial or a name part and) a surname or an unknown
    word, with at least one listed name or two unknown words."""
    first = ws[i]
    if not first.capitalised or (
        i > 0
        and adjacent(text, ws[i - 1], first)
        and ws[i - 1].capitalised
        and not ordinary(ws[i - 1].text)
    ):
        return None
    if not (given(first.text) or _name_part(first)):
        return None
    run = _following(text, ws, i, _MAX_NAME_WORDS)
    # After a given name any census surname will do (Mei Ling Tan, Tom Baker); otherwise
    # only one that is good evidence on its own (not Latin America, Docker Swarm).
    loose = given(first.text)
    while len(run) > 1:
        last = run[-1]
        middle = run[1:-1]
        if (
            last.capitalised
            and len(last.text) > 1
            and (surname(last.text, loose=loose) or _name_part(last))
            and all(
                len(m.text) == 1
                or (
                    m.capitalised
                    and (given(m.text) or surname(m.text, loose=loose) or _name_part(m))
                )
                for m in middle
            )
            and _full_name_evidence(first, last)
            and last.text not in COMPANY_WORDS
        ):
            return run
        run = run[:-1]
    return None


def _full_name_evidence(first: Word, last: Word) -> bool:
    """A given name and a surname (Tom Becker, even if both are words), or a listed name beside a word no dictionary has (Kenji Watanabe), or two such words."""
    if given(first.text) and surname(last.text, loose=True):
        return True
    if given(first.text) or surname(last.text):
        return _name_part(first) or _name_part(last)
    return _name_part(first) and _name_part(last)


def _titled(text: str, ws: list[Word], i: int) -> list[Word] | None:
    if i + 1 >= len(ws):
        return None
    gap = text[ws[i].end : ws[i + 1].start]
    if gap not in (" ", ". "):
        return None
    run = []
    for w in _following(text, ws, i + 1, _MAX_NAME_WORDS):
        if not (w.capitalised or len(w.text) == 1):
            break
        run.append(w)
    while run and len(run[-1].text) == 1:
        run.pop()
    return run or None


def _after_closing(text: str, w: Word) -> bool:
    """w starts the line after a closing line (Best regards, / Thanks,)."""
    line_start = text.rfind("\n", 0, w.start) + 1
    if text[line_start : w.start].strip() or line_start == 0:
        return False
    previous = text[text.rfind("\n", 0, line_start - 1) + 1 : line_start - 1]
    return bool(_CLOSINGS.match(previous.strip()))


def _greeted(text: str, ws: list[Word], i: int) -> list[Word] | None:
    """The name after a greeting (Hi Priya, / Thanks, Olivia) or on a sign-off line."""
    w = ws[i]
    if _after_closing(text, w) and w.text not in _GREETINGS:
        candidates = _following(text, ws, i, _MAX_NAME_WORDS)
    elif i + 1 < len(ws) and text[w.end : ws[i + 1].start] in (" ", ", "):
        if w.text == "Thank" and ws[i + 1].text == "you":
            return None
        candidates = _following(text, ws, i + 1, 2)
    else:
        return None
    run: list[Word] = []
    for c in candidates:
        if (
            not c.capitalised
            or c.text.rstrip(".") in TITLES
            or not (given(c.text) or _name_part(c) or (run and surname(c.text)))
        ):
            break
        run.append(c)
    return run or None


def _lone_given(text: str, ws: list[Word], i: int) -> bool:
    """A given name standing alone: any that is no everyday word (… ask Olivia …); one that
    is also a word (Grant, Tom) only mid-sentence, or before a comma or a reporting verb."""
    w = ws[i]
    if not w.capitalised or not given(w.text) or _in_longer_name(text, ws, i):
        return False
    if not wordy(w.text) and not ordinary(w.text):
        return True
    return _person_context(text, ws, i) or (
        not w.sentence_start and not w.title_line and wordy(w.text)
    )


def _in_longer_name(text: str, ws: list[Word], i: int) -> bool:
    """Aurora Hub, Grant Application, Southeast Asia: part of a longer capitalised name."""
    w = ws[i]
    nxt = ws[i + 1] if i + 1 < len(ws) else None
    if nxt is not None and adjacent(text, w, nxt) and nxt.capitalised:
        return True
    prev = ws[i - 1] if i > 0 else None
    return (
        prev is not None
        and adjacent(text, prev, w)
        and prev.capitalised
        and not (prev.sentence_start and ordinary(prev.text))
    )


def _person_context(text: str, ws: list[Word], i: int) -> bool:
    """Tom, can you… / Mark said… / Ben and I…"""
    w = ws[i]
    if i + 1 >= len(ws):
        return False
    nxt = ws[i + 1]
    after = text[w.end : nxt.start]
    if after.startswith(",") and w.sentence_start:
        return True
    if after != " ":
        return False
    return nxt.text in _PERSON_VERBS or (
        nxt.text == "and" and i + 2 < len(ws) and ws[i + 2].text in ("I", "me")
    )


def _mentions(ws: list[Word], spans: list[NameSpan]) -> list[NameSpan]:
    """Later (and earlier) mentions of a found name's words: Olivia, Grant, Pinecrest."""
    kinds: dict[str, str] = {}
    for s in spans:
        parts = [w for w in ws if s.start <= w.start < s.end and w.capitalised]
        if s.kind == COMPANY:
            parts = parts[:1] if parts and _name_part(parts[0]) else []
        for w in parts:
            if len(w.text) > 1 and w.text not in COMPANY_WORDS:
                kinds.setdefault(w.text, s.kind)
    taken = [(s.start, s.end) for s in spans]
    out = []
    for w in ws:
        kind = kinds.get(w.text)
        if (
            kind
            and not any(s <= w.start < e for s, e in taken)
            and not (w.sentence_start and ordinary(w.text))
        ):
            out.append(NameSpan(kind, w.start, w.end, 0.6, "en-mention"))
    return out


def _longest(spans: list[NameSpan]) -> list[NameSpan]:
    ordered = sorted(spans, key=lambda s: (-(s.end - s.start), -s.score))
    kept: list[NameSpan] = []
    for span in ordered:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)
