"""The ``messages`` field of a Chat Completions request, message by message and part by part.

``redaction.fields`` dispatches every top-level key; this module owns what each role may carry
(keys and content parts), tool calls inside assistant messages, and the refusal of media the
boundary cannot redact. Like ``fields``, it only walks: the leaves are ``redaction.walk``'s.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from redaction.errors import FieldRefused
from redaction.walk import ID, Walk, wrong

_ROLE_KEYS = {
    "system": {"role", "content", "name"},
    "developer": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    "assistant": {"role", "content", "name", "refusal", "tool_calls", "function_call", "audio"},
    "tool": {"role", "content", "tool_call_id"},
    "function": {"role", "content", "name"},
}
_ROLE_PARTS: dict[str, set[str]] = {
    "system": {"text"},
    "developer": {"text"},
    "user": {"text", "image_url", "input_audio", "file"},
    "assistant": {"text", "refusal"},
    "tool": {"text"},
    "function": set(),
}


def _media(field: str) -> FieldRefused:
    return FieldRefused(
        field,
        "画像・音声・ファイルの中身は秘匿化できないため、部署のポリシーで許可されていない限り送信できません。"
        "内容をテキストで送ってください。",
        "an image, audio or file cannot be redacted, so it is not sent unless your department's "
        "policy allows it; send its content as text instead.",
    )


def messages(w: Walk, body: dict[str, Any], key: str) -> None:
    for i, message in enumerate(w.list(body[key], key)):
        field = f"messages[{i}]"
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _ROLE_KEYS:
            raise wrong(
                f"{field}.role", f"{sorted(_ROLE_KEYS)} のいずれか", f"one of {sorted(_ROLE_KEYS)}"
            )
        _message(w, w.obj(message, field, _ROLE_KEYS[role]), role, field)


def _message(w: Walk, message: dict[str, Any], role: str, field: str) -> None:
    if message.get("name") is not None:  # first: who speaks, then what they say
        if role == "function":  # the function's name, not a participant's
            w.ident(message, "name", f"{field}.name")
        else:
            w.text(message, "name", f"{field}.name")
    if message.get("content") is not None:
        content(w, message, "content", f"{field}.content", _ROLE_PARTS[role])
    if message.get("refusal") is not None:
        w.text(message, "refusal", f"{field}.refusal")
    for j, call in enumerate(w.list(message.get("tool_calls") or [], f"{field}.tool_calls")):
        _tool_call(w, call, f"{field}.tool_calls[{j}]")
    if message.get("function_call") is not None:
        call = w.obj(message["function_call"], f"{field}.function_call", {"name", "arguments"})
        w.ident(call, "name", f"{field}.function_call.name")
        w.arguments(call, "arguments", f"{field}.function_call.arguments")
    if message.get("tool_call_id") is not None:
        w.ident(message, "tool_call_id", f"{field}.tool_call_id", ID)
    if message.get("audio") is not None:
        audio = w.obj(message["audio"], f"{field}.audio", {"id"})
        w.ident(audio, "id", f"{field}.audio.id", ID)


def _tool_call(w: Walk, call: Any, field: str) -> None:
    kind = call.get("type", "function") if isinstance(call, dict) else None
    if kind not in ("function", "custom"):
        raise wrong(f"{field}.type", "function または custom", "function or custom")
    w.obj(call, field, {"id", "type", kind})
    if "id" in call:
        w.ident(call, "id", f"{field}.id", ID)
    if kind == "function":
        function = w.obj(call.get("function"), f"{field}.function", {"name", "arguments"})
        w.ident(function, "name", f"{field}.function.name")
        w.arguments(function, "arguments", f"{field}.function.arguments")
    else:
        custom = w.obj(call.get("custom"), f"{field}.custom", {"name", "input"})
        w.ident(custom, "name", f"{field}.custom.name")
        w.text(custom, "input", f"{field}.custom.input")


def content(w: Walk, parent: dict[str, Any], key: str, field: str, kinds: set[str]) -> None:
    """A message's (or a prediction's) content: a string or a list of typed parts."""
    if isinstance(parent[key], str):
        w.text(parent, key, field)
        return
    for j, part in enumerate(w.list(parent[key], field)):
        kind = part.get("type") if isinstance(part, dict) else None
        _part(w, part, kind, f"{field}[{j}]", kinds)


def _part(w: Walk, part: Any, kind: Any, field: str, kinds: set[str]) -> None:
    if kind in ("image_url", "input_audio", "file") and (kind != "image_url" or not w.images):
        raise _media(field)
    if kind not in kinds:
        raise wrong(f"{field}.type", f"{sorted(kinds)} のいずれか", f"one of {sorted(kinds)}")
    if kind == "text":
        w.obj(part, field, {"type", "text", "prompt_cache_breakpoint"})
        w.text(part, "text", f"{field}.text")
    elif kind == "refusal":
        w.obj(part, field, {"type", "refusal"})
        w.text(part, "refusal", f"{field}.refusal")
    else:
        w.obj(part, field, {"type", "image_url", "prompt_cache_breakpoint"})
        _image(w, w.obj(part.get("image_url"), f"{field}.image_url", {"url", "detail"}), field)
    if part.get("prompt_cache_breakpoint") is not None:
        mark = w.obj(part["prompt_cache_breakpoint"], f"{field}.prompt_cache_breakpoint", {"mode"})
        w.enum(mark, "mode", f"{field}.prompt_cache_breakpoint.mode", {"explicit"})


def _image(w: Walk, image: dict[str, Any], field: str) -> None:
    if "detail" in image:
        w.enum(image, "detail", f"{field}.image_url.detail", {"auto", "low", "high"})
    url = image.get("url")
    if not isinstance(url, str):
        raise wrong(f"{field}.image_url.url", "文字列", "a string")
    if url.startswith("data:image/"):
        return  # the policy allows images: their pixels cannot be redacted
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.query or parts.fragment or parts.username:
        raise FieldRefused(
            f"{field}.image_url.url",
            "画像の URL は https で、クエリ文字列・フラグメント・認証情報を含まないものに限ります。",
            "an image URL must be https, without a query string, fragment or credentials.",
        )
    w.text(image, "url", f"{field}.image_url.url", strict=True)
