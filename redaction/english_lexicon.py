"""What the English name rules know about one word, from published data rather than lists of
our own:

- given names and surnames: the US Census Bureau's 1990 name frequency files (shipped in the
  ``names`` package): 5,494 given names and 88,799 surnames, ranked by frequency;
- how often a word is used in English: ``wordfreq`` (Zipf scale: 3 is once per million words);
- whether a word is an ordinary dictionary word or only a proper noun: Webster's Second
  International word list (``english_words``, ``web2``) keeps the capital of proper nouns
  ("Olivia", "John") and lower-cases ordinary words ("grant", "mark") — frequency alone
  cannot tell those apart, since names are frequent words too;
- company legal forms of many countries: ``cleanco``'s term data (Ltd, GmbH, S.p.A., AB…);
- weekday and month names: the standard library's ``calendar`` (C locale).

Loaded once per process (``lexicon()``, about a second); every lookup after that is a set or
dict access. Holds no rule: ``redaction.english_names`` decides.
"""

from __future__ import annotations

import calendar
import importlib.resources
import re
from dataclasses import dataclass
from functools import cache, lru_cache

# A given name counts up to these ranks (the tails of the census lists hold words such as
# "China" and "Paris" given to a handful of people).
_MAX_GIVEN_RANK = 1500
# Surnames up to this rank are names whatever else they are (Smith, Brown, Grant).
_COMMON_SURNAME_RANK = 2000
# A word used this often (Zipf) that is not a listed name reads as a word: "Online", "Teams".
_FREQUENT_WORD = 4.0
# A dictionary word used this often reads as a word: "Current", "Logistics" (not "Castellano").
_COMMON_DICTIONARY_WORD = 3.0
# A given name that is also a dictionary word used this often is mostly the word ("Grant",
# "Hope", "Will") when it stands alone at the start of a sentence.
_WORDY_NAME = 4.4

# Courtesy and academic titles before a name (English usage; "Dr" without a full stop is
# British style).
TITLES = frozenset(["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Sir", "Dame"])

# Legal-form types of cleanco's term data that mark companies (not sole traders, funds).
_COMPANY_FORM_TYPES = (
    "Corporation",
    "General Partnership",
    "Limited",
    "Limited Liability Company",
    "Limited Liability Limited Partnership",
    "Limited Liability Partnership",
    "Limited Partnership",
    "Professional Limited Liability Company",
)

# Last words of company names without a legal form (Pinecrest Logistics, Redfern Biotech):
# industry words, counted only after a name part that is not an everyday word.
COMPANY_WORDS = frozenset(
    [
        "Agency",
        "Airlines",
        "Analytics",
        "Associates",
        "Bank",
        "Biologics",
        "Biotech",
        "Brands",
        "Capital",
        "Chemicals",
        "Communications",
        "Consulting",
        "Construction",
        "Electric",
        "Electrical",
        "Electronics",
        "Energy",
        "Engineering",
        "Enterprises",
        "Entertainment",
        "Environmental",
        "Foods",
        "Freight",
        "Group",
        "Healthcare",
        "Holdings",
        "Hospitality",
        "Industries",
        "Insurance",
        "Interactive",
        "Investments",
        "Labs",
        "Logistics",
        "Manufacturing",
        "Marine",
        "Media",
        "Metals",
        "Motors",
        "Networks",
        "Packaging",
        "Partners",
        "Pharma",
        "Pharmaceuticals",
        "Properties",
        "Publishing",
        "Realty",
        "Retail",
        "Robotics",
        "Securities",
        "Services",
        "Shipping",
        "Software",
        "Solutions",
        "Steel",
        "Studios",
        "Supplies",
        "Systems",
        "Technologies",
        "Telecom",
        "Textiles",
        "Trading",
        "Ventures",
        "Works",
    ]
)


@dataclass(frozen=True)
class Lexicon:
    given: dict[str, int]  # upper-case given name -> rank
    surnames: dict[str, int]  # upper-case surname -> rank
    dictionary: frozenset[str]  # lower-case ordinary words of web2
    calendar: frozenset[str]  # Monday, Mon, January, Jan…
    legal_forms: re.Pattern[str]


def _census(name: str) -> dict[str, int]:
    text = importlib.resources.files("names").joinpath(name).read_text(encoding="ascii")
    return {line.split()[0]: rank for rank, line in enumerate(text.splitlines()) if line}


def _legal_form_pattern() -> re.Pattern[str]:
    from cleanco.termdata import terms_by_type

    terms = {
        t.strip()
        for kind in _COMPANY_FORM_TYPES
        for t in terms_by_type[kind]
        if t.strip().isascii() and len(t.strip().replace(".", "")) >= 2
    }
    terms |= {"co., ltd.", "co., ltd", "co. ltd.", "co.,ltd.", "k.k.", "kk", "g.k.", "s.p.a."}
    alternatives = sorted((re.escape(t).replace(r"\ ", r"\s?") for t in terms), key=len)
    return re.compile(
        r"(?<![A-Za-z])(?:" + "|".join(reversed(alternatives)) + r")\.?(?![A-Za-z])",
        re.IGNORECASE,
    )


@cache
def lexicon() -> Lexicon:
    from english_words import get_english_words_set

    web2 = get_english_words_set(["web2"], lower=False, alpha=True)
    dictionary = frozenset(w for w in web2 if w.islower())
    male, female = _census("dist.male.first"), _census("dist.female.first")
    given = {n: min(male.get(n, r), r) for n, r in female.items()} | {
        n: r for n, r in male.items() if n not in female
    }
    names_of_days = [*calendar.day_name, *calendar.day_abbr]
    names_of_months = [*calendar.month_name[1:], *calendar.month_abbr[1:]]
    return Lexicon(
        given={n: r for n, r in given.items() if r <= _MAX_GIVEN_RANK},
        surnames=_census("dist.all.last"),
        dictionary=dictionary,
        calendar=frozenset(names_of_days + names_of_months),
        legal_forms=_legal_form_pattern(),
    )


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word.lower(), "en"))


def _stem(word: str) -> str:
    """A rough singular/base form for the dictionary lookup (web2 lists no inflections)."""
    for suffix, repl in (("ies", "y"), ("'s", ""), ("es", ""), ("s", ""), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    return word


@lru_cache(maxsize=65536)
def ordinary(word: str) -> bool:
    """The word reads as an everyday English word, not a name: a dictionary word in common
    use ("Current", "Marks"), or a frequent word that is no listed name ("Online", "Teams")."""
    lex = lexicon()
    low = word.lower()
    if word in lex.calendar:
        return True
    frequency = zipf(low)
    listed = given(word) or surname(word)
    # Names are not inflected forms: James is not the plural of "jam".
    in_dictionary = low in lex.dictionary or (not listed and _stem(low) in lex.dictionary)
    if in_dictionary and frequency >= _COMMON_DICTIONARY_WORD:
        return not (given(word) and frequency < _WORDY_NAME)
    # Frequent proper nouns that no one is named (English, British, Google) read as words.
    return frequency >= _FREQUENT_WORD and not listed


def given(word: str) -> bool:
    return word.upper() in lexicon().given and word not in lexicon().calendar


def surname(word: str, *, loose: bool = False) -> bool:
    """A surname as evidence: one of the 2,000 commonest (Smith, Grant, Hughes), or a rarer
    one that is neither a dictionary word nor frequent in English (Watanabe, Okafor) — the
    census tail also holds America, Latin and Swarm. ``loose``: any census surname."""
    rank = lexicon().surnames.get(word.upper())
    if rank is None:
        return False
    return (
        loose
        or rank < _COMMON_SURNAME_RANK
        or (zipf(word) < _FREQUENT_WORD and word.lower() not in lexicon().dictionary)
    )


def wordy(word: str) -> bool:
    """A given name that is mostly an everyday word ("Grant", "Hope", "Will")."""
    return given(word) and word.lower() in lexicon().dictionary and zipf(word) >= _WORDY_NAME


def calendar_word(word: str) -> bool:
    return word.rstrip(".") in lexicon().calendar
