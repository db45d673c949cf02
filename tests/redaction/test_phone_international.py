"""Phone numbers in national and international formats (libphonenumber), beside the Japanese
pattern recognizer: every row must be found whole; the negative rows are numbers that are
not phone numbers and must not be reported as one."""

from __future__ import annotations

import pytest

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile
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
