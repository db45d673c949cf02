"""Check digits per the official specifications, and Luhn."""

from __future__ import annotations

import pytest

from redaction.recognizers.checksums import (
    corporate_number_check_digit,
    luhn_valid,
    my_number_check_digit,
    valid_corporate_number,
    valid_my_number,
)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("123456789018", True),  # the example used in 総務省's specification material
        ("123456789010", False),
        ("1234 5678 9018", True),
        ("12345678901", False),
        ("000000000000", True),
    ],
)
def test_my_number(number: str, valid: bool) -> None:
    assert valid_my_number(number) is valid


def test_my_number_remainder_zero_or_one_gives_zero() -> None:
    # Weights for the 11 digits, from the right: 2..7 then 2..6.
    assert my_number_check_digit("00000000000") == 0
    assert my_number_check_digit("00000000001") == 9  # 1*2 = 2 -> 11 - 2


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("7000012050002", True),  # 国税庁's own 法人番号
        ("1000012050002", False),
        ("5010001008846", True),  # check digit 5 computed by hand
        ("700001205000", False),
    ],
)
def test_corporate_number(number: str, valid: bool) -> None:
    assert valid_corporate_number(number) is valid


def test_corporate_check_digit_formula() -> None:
    # 9 - (sum(Pn*Qn) mod 9), Pn counted from the right, Qn = 1 (odd n) / 2 (even n).
    assert corporate_number_check_digit("000012050002") == 7


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("4111111111111112", False),
        ("5555 5555 5555 4444", True),
        ("3530-1113-3330-0000", True),
        ("378282246310005", True),
        ("", False),
    ],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid
