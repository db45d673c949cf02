"""Check digits of the identifiers we recognise (pure functions, shared by recognizers, tests
and the benchmark's case generator)."""

from __future__ import annotations


def digits_of(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def my_number_check_digit(first11: str) -> int:
    """個人番号の検査用数字 (行政手続における特定の個人を識別するための番号の利用等に関する法律
    施行令 第八条 / 総務省令「個人番号の検査用数字の算出方法」): Pn is the n-th digit counted
    from the right of the first 11 digits; Qn = n + 1 for n <= 6, n - 5 for n >= 7; the check
    digit is 11 - (sum(Pn * Qn) mod 11), or 0 when the remainder is 0 or 1."""
    total = sum(
        int(p) * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(reversed(first11), start=1)
    )
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def valid_my_number(text: str) -> bool:
    d = digits_of(text)
    return len(d) == 12 and my_number_check_digit(d[:11]) == int(d[11])


def corporate_number_check_digit(base12: str) -> int:
    """法人番号の検査用数字 (法人番号の指定等に関する省令 第二条): Pn is the n-th digit from the
    right of the 12-digit base number, Qn = 1 for odd n and 2 for even n; the check digit (the
    FIRST of the 13 digits) is 9 - (sum(Pn * Qn) mod 9)."""
    total = sum(int(p) * (1 if n % 2 else 2) for n, p in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def valid_corporate_number(text: str) -> bool:
    d = digits_of(text)
    return len(d) == 13 and corporate_number_check_digit(d[1:]) == int(d[0])


def luhn_valid(text: str) -> bool:
    """ISO/IEC 7812-1 Annex B (Luhn) check over all digits of ``text``."""
    d = digits_of(text)
    if not d:
        return False
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0
