"""Plain Japanese/English wording for pydantic validation errors in policy files.

IT staff read these in ``kakehashi policy check``; pydantic's own wording (``Input should be a
valid integer, unable to parse string as an integer``) names types, not what to write.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

from redaction.entities import EntityType

_PLAIN: dict[str, tuple[str, str]] = {
    "missing": ("必須の項目がありません", "this field is required"),
    "extra_forbidden": (
        "知らない項目です (綴りと字下げを確認してください)",
        "unknown field (check the spelling and the indentation)",
    ),
    "int_type": ("整数で書いてください", "must be a whole number"),
    "int_parsing": ("整数で書いてください", "must be a whole number"),
    "int_from_float": ("整数で書いてください (小数は使えません)", "must be a whole number"),
    "float_type": ("数値で書いてください", "must be a number"),
    "float_parsing": ("数値で書いてください", "must be a number"),
    "bool_type": ("true か false で書いてください", "must be true or false"),
    "bool_parsing": ("true か false で書いてください", "must be true or false"),
    "string_type": ("文字列で書いてください", "must be text"),
    "string_too_short": ("空にはできません", "must not be empty"),
    "list_type": ("リスト (「- 項目」の並び) で書いてください", "must be a list"),
    "tuple_type": ("リスト (「- 項目」の並び) で書いてください", "must be a list"),
    "dict_type": ("「項目: 値」の並びで書いてください", "must be a mapping"),
    "model_type": ("「項目: 値」の並びで書いてください", "must be a mapping"),
    "model_attributes_type": ("「項目: 値」の並びで書いてください", "must be a mapping"),
    "date_type": ("日付は YYYY-MM-DD で書いてください", "dates are written YYYY-MM-DD"),
    "date_parsing": ("日付は YYYY-MM-DD で書いてください", "dates are written YYYY-MM-DD"),
    "date_from_datetime_parsing": (
        "日付は YYYY-MM-DD で書いてください",
        "dates are written YYYY-MM-DD",
    ),
    "date_from_datetime_inexact": ("日付だけを書いてください", "a date without a time"),
}


def _bounds(kind: str, ctx: dict[str, Any]) -> tuple[str, str] | None:
    words = {
        "greater_than_equal": ("ge", "以上", "at least"),
        "greater_than": ("gt", "より大きく", "greater than"),
        "less_than_equal": ("le", "以下", "at most"),
        "less_than": ("lt", "未満", "less than"),
        "string_too_long": ("max_length", "文字以内", "at most (characters)"),
    }
    if kind not in words:
        return None
    key, ja, en = words[kind]
    bound = ctx.get(key)
    shown = f"{bound:g}" if isinstance(bound, float) else str(bound)
    return f"{shown} {ja}にしてください", f"must be {en} {shown}"


def explain(err: ErrorDetails) -> tuple[str, str]:
    """(Japanese, English) for one pydantic error, with the offending value when short."""
    kind, ctx = err["type"], dict(err.get("ctx") or {})
    ja, en = _PLAIN.get(kind) or _bounds(kind, ctx) or _other(kind, ctx, err["msg"])
    value = err.get("input")
    if kind != "missing" and isinstance(value, str | int | float) and len(str(value)) <= 60:
        return f"{ja} (書かれた値: {value!r})", f"{en} (got {value!r})"
    return ja, en


def _other(kind: str, ctx: dict[str, Any], msg: str) -> tuple[str, str]:
    if kind == "enum":
        return (
            f"次のどれかにしてください: {ctx.get('expected')}",
            f"must be one of {ctx.get('expected')}",
        )
    if kind == "string_pattern_mismatch":
        return (
            "英小文字・数字・_ で、英小文字から書き始めてください (例: email_draft)",
            f"must match {ctx.get('pattern')} (e.g. email_draft)",
        )
    if kind == "value_error":
        text = str(ctx.get("error") or msg.removeprefix("Value error, "))
        if "is not a valid EntityType" in text:
            names = " ".join(EntityType)
            return f"秘匿化の種類にありません。使える種類: {names}", f"{text}; valid: {names}"
        en, _, ja = text.partition(" / ")
        return (ja or f"値が正しくありません: {en}"), en
    return f"値が正しくありません ({msg})", msg
