"""Phone numbers in national and international formats (libphonenumber), beside the Japanese
pattern recognizer: every row must be found whole; the negative rows are numbers that are
not phone numbers and must not be reported as one."""

from __future__ import annotations

import pytest

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile
from redaction.recognizers import international_phone
from redaction.recognizers.international_phone import find_phone_numbers

PHONES = [
    ("Her number is +44 20 7123 4567.", "+44 20 7123 4567"),
    ("Call (212) 555-0100 today", "(212) 555-0100"),
    ("Call +1-212-555-0100 today", "+1-212-555-0100"),
    ("Tokyo office: +81 3-1234-5678", "+81 3-1234-5678"),
    ("London desk 020 7123 4567, ext. 12", "020 7123 4567"),
    ("Singapore +65 6123 4567", "+65 6123 4567"),
    ("Beijing +86 10 1234 5678", "+86 10 1234 5678"),
    ("Paris +33 1 23 45 67 89", "+33 1 23 45 67 89"),
    ("Seoul +82 2-123-4567", "+82 2-123-4567"),
    ("Sydney +61 2 9876 5432", "+61 2 9876 5432"),
    ("US mobile 415.555.0132", "415.555.0132"),
    ("電話は03-1234-5678まで", "03-1234-5678"),
    ("携帯090-1234-5678にお願いします", "090-1234-5678"),
    # In brackets of the writer's: the number alone is hidden, the brackets stay balanced.
    ("山田太郎様 (03-1234-5678) にメールを送って", "03-1234-5678"),
    ("電話（03-1234-5678）まで", "03-1234-5678"),
    ("携帯(090-1234-5678)、会社(0120-123-456)", "090-1234-5678"),
    ("携帯(090-1234-5678)、会社(0120-123-456)", "0120-123-456"),
    ("Reach me (+44 20 7123 4567) after six", "+44 20 7123 4567"),
    ("お電話は (03) 1234-5678 へ", "(03) 1234-5678"),
]

NOT_PHONES = [
    "Invoice 2024-03-15, ref 12345678",
    "Order #1234-5678 shipped",
    "Server 192.168.10.20 runs version 10.2.3",
    "Total 1,234,567 yen",
    "カード番号は4111111111111111です",
    "Q3 revenue was 12.5% higher than 2023",
]


@pytest.mark.parametrize(
    ("text", "phone"), PHONES, ids=[f"{i}-{row[1]}" for i, row in enumerate(PHONES)]
)
def test_phone_numbers_are_replaced_whole(redactor: Redactor, text: str, phone: str) -> None:
    found = {(e.type, e.text) for e in redactor.analyze(text, RedactionProfile())}
    assert (T.PHONE, phone) in found


@pytest.mark.parametrize("text", NOT_PHONES)
def test_other_numbers_are_not_phone_numbers(text: str) -> None:
    assert find_phone_numbers(text) == []


BRACKETED = [
    "携帯(090-1234-5678)、会社(0120-123-456)、IP電話(050-1234-5678)",
    "守衛所（044-333-1212）経由、本社(03-5412-7700) と (06 6123 4567)",
    "(080 3344 5566 まで) と (0120-123-456)",
    "Call (+81 90-1234-5678) or (212) 555-0100",
]


@pytest.mark.parametrize("text", BRACKETED)
def test_numbers_left_to_the_japanese_patterns_score_as_libphonenumber_s(
    redactor: Redactor, text: str
) -> None:
    """A number in the writer's brackets left to the Japanese patterns (a mobile, IP or
    toll-free one, which they score 0.7 or more) is found with the span and score it has when
    every candidate goes to libphonenumber; a fixed line (0.6 there) still goes to it."""
    found = [(e.type, e.start, e.end, e.score) for e in redactor.analyze(text, RedactionProfile())]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(international_phone, "_taken_by_japanese_patterns", lambda _: False)
        every = [
            (e.type, e.start, e.end, e.score) for e in redactor.analyze(text, RedactionProfile())
        ]
    assert found == every
    assert sum(t is T.PHONE for t, *_ in found) >= 2
