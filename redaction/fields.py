"""Every field of an OpenAI Chat Completions request, and what the boundary does with it.

The schema is the OpenAI Chat Completions API reference (openai-python 2.x: the types under
``openai/types/chat`` and ``shared_params``); ``docs/security.md`` tabulates it. ``walk``
finds, in request order, message by message
(``redaction.messages`` walks the messages themselves):

- redact: every string a person or a tool could have written (message text and text parts,
  ``name``, ``refusal``, tool-call and legacy ``function_call`` arguments *inside their JSON*,
  custom tool input, tool and function descriptions, JSON-schema prose and enum values,
  ``stop``, ``prediction``, ``metadata``, ``web_search_options`` places);
- pseudonymise: ``user`` and ``safety_identifier`` become the principal's pseudonym,
  ``prompt_cache_key`` a keyed hash;
- pass: numbers, flags, identifiers and enums of the API, each checked;
- refuse (``FieldRefused``, naming the field): unknown keys, parts of unknown type, images
  unless the policy allows them, audio and files (none can be redacted), image URLs with a
  query string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from redaction.messages import content, messages
from redaction.walk import ID, Walk, unknown, wrong

_ENUMS = {
    "reasoning_effort": {"none", "minimal", "low", "medium", "high", "xhigh", "max"},
    "service_tier": {"auto", "default", "flex", "scale", "priority", "fast"},
    "verbosity": {"low", "medium", "high"},
    "prompt_cache_retention": {"in_memory", "24h"},
}
_NUMBERS = {"temperature", "top_p", "frequency_penalty", "presence_penalty"}
_INTS: dict[str, int | None] = {
    "seed": None,
    "top_logprobs": 0,
    "max_tokens": 1,
    "max_completion_tokens": 1,
    "n": 1,
}
_FLAGS = {"stream", "logprobs", "parallel_tool_calls", "store"}


def walk(body: dict[str, Any], *, pseudonym: str, images: bool) -> Walk:
    """Walk ``body`` (mutated later through the slots: pass a copy). Raises ``FieldRefused``."""
    state = Walk(pseudonym=pseudonym, images=images)
    for key in list(body):
        handler = _TOP.get(key)
        if handler is None:
            raise unknown(key)
        if body[key] is not None:
            handler(state, body, key)
    return state


def pseudonymise(value: str, pseudonym: str) -> str:
    """A hash of ``value`` keyed by one principal's pseudonym (``prompt_cache_key``)."""
    return "kk-" + hashlib.sha256(f"{pseudonym}\0{value}".encode()).hexdigest()[:32]


# -- everything else ----------------------------------------------------------------------------


def _scalar(w: Walk, body: dict[str, Any], key: str) -> None:
    if key in _NUMBERS:
        w.number(body, key, key)
    elif key in _INTS:
        least = _INTS[key]
        w.check(body, key, key, lambda v: type(v) is int and (least is None or v >= least))
    elif key in _FLAGS:
        w.flag(body, key, key)
    elif key in _ENUMS:
        w.enum(body, key, key, _ENUMS[key])
    else:  # model: the alias, replaced by the provider's name before it leaves
        w.check(body, key, key, lambda v: isinstance(v, str))


def _pseudonym(w: Walk, body: dict[str, Any], key: str) -> None:
    if not isinstance(body[key], str):
        raise wrong(key, "文字列", "a string")
    # Never the e-mail nor what the client typed: the provider sees one stable opaque id.
    if key == "prompt_cache_key":
        body[key] = pseudonymise(body[key], w.pseudonym)
    else:
        body[key] = w.pseudonym


def _stop(w: Walk, body: dict[str, Any], key: str) -> None:
    # Redacted like the prompt: the answer holds the placeholder where the value would be.
    if isinstance(body[key], str):
        w.text(body, key, key)
        return
    for i in range(len(w.list(body[key], key))):
        w.text(body[key], i, f"{key}[{i}]")


def _metadata(w: Walk, body: dict[str, Any], key: str) -> None:
    for name, value in w.obj(body[key], key).items():
        if not isinstance(value, str):
            raise wrong(f"{key}.{name}", "文字列", "a string")
    w.free(body, key, key)


def _prediction(w: Walk, body: dict[str, Any], key: str) -> None:
    prediction = w.obj(body[key], key, {"type", "content"})
    w.enum(prediction, "type", f"{key}.type", {"content"})
    content(w, prediction, "content", f"{key}.content", {"text"})


def _response_format(w: Walk, body: dict[str, Any], key: str) -> None:
    kind = body[key].get("type") if isinstance(body[key], dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        raise wrong(
            f"{key}.type", "text・json_object・json_schema", "text, json_object or json_schema"
        )
    w.obj(body[key], key, {"type", "json_schema"} if kind == "json_schema" else {"type"})
    w.json_content = kind != "text"
    if kind == "json_schema":
        spec_keys = {"name", "description", "schema", "strict"}
        spec = w.obj(body[key].get("json_schema"), f"{key}.json_schema", spec_keys)
        _function(w, spec, f"{key}.json_schema", "schema")


def _function(w: Walk, spec: dict[str, Any], field: str, schema_key: str) -> None:
    """A function definition (``tools``, ``functions``) or a ``json_schema`` response format."""
    w.ident(spec, "name", f"{field}.name")
    if spec.get("description") is not None:
        w.text(spec, "description", f"{field}.description")
    if spec.get(schema_key) is not None:
        w.schema(spec, schema_key, f"{field}.{schema_key}")
    if "strict" in spec:
        w.flag(spec, "strict", f"{field}.strict")


def _tools(w: Walk, body: dict[str, Any], key: str) -> None:
    for i, tool in enumerate(w.list(body[key], key)):
        field = f"{key}[{i}]"
        kind = tool.get("type") if isinstance(tool, dict) else None
        if key == "functions":
            spec = w.obj(tool, field, {"name", "description", "parameters"})
            _function(w, spec, field, "parameters")
        elif kind == "function":
            w.obj(tool, field, {"type", "function"})
            spec_keys = {"name", "description", "parameters", "strict"}
            spec = w.obj(tool.get("function"), f"{field}.function", spec_keys)
            _function(w, spec, f"{field}.function", "parameters")
        elif kind == "custom":
            w.obj(tool, field, {"type", "custom"})
            _custom_tool(
                w,
                w.obj(tool.get("custom"), f"{field}.custom", {"name", "description", "format"}),
                f"{field}.custom",
            )
        else:
            raise wrong(f"{field}.type", "function または custom", "function or custom")


def _custom_tool(w: Walk, spec: dict[str, Any], field: str) -> None:
    _function(w, spec, field, "parameters")
    fmt = spec.get("format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if fmt is None or kind == "text":
        w.obj(fmt or {}, f"{field}.format", {"type"})
    elif kind == "grammar":
        w.obj(fmt, f"{field}.format", {"type", "grammar"})
        grammar = w.obj(fmt.get("grammar"), f"{field}.format.grammar", {"definition", "syntax"})
        w.enum(grammar, "syntax", f"{field}.format.grammar.syntax", {"lark", "regex"})
        w.text(grammar, "definition", f"{field}.format.grammar.definition")
    else:
        raise wrong(f"{field}.format.type", "text または grammar", "text or grammar")


def _named(w: Walk, choice: Any, field: str) -> None:
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind not in ("function", "custom"):
        raise wrong(f"{field}.type", "function または custom", "function or custom")
    w.obj(choice, field, {"type", kind})
    w.ident(w.obj(choice.get(kind), f"{field}.{kind}", {"name"}), "name", f"{field}.{kind}.name")


def _tool_choice(w: Walk, body: dict[str, Any], key: str) -> None:
    choice = body[key]
    if isinstance(choice, str):
        modes = {"none", "auto", "required"} if key == "tool_choice" else {"none", "auto"}
        w.enum(body, key, key, modes)
    elif key == "function_call":
        w.ident(w.obj(choice, key, {"name"}), "name", f"{key}.name")
    elif isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        w.obj(choice, key, {"type", "allowed_tools"})
        field = f"{key}.allowed_tools"
        allowed = w.obj(choice.get("allowed_tools"), field, {"mode", "tools"})
        w.enum(allowed, "mode", f"{field}.mode", {"auto", "required"})
        for i, tool in enumerate(w.list(allowed.get("tools"), f"{field}.tools")):
            _named(w, tool, f"{field}.tools[{i}]")
    else:
        _named(w, choice, key)


def _web_search(w: Walk, body: dict[str, Any], key: str) -> None:
    options = w.obj(body[key], key, {"search_context_size", "user_location"})
    if "search_context_size" in options:
        w.enum(
            options, "search_context_size", f"{key}.search_context_size", {"low", "medium", "high"}
        )
    if options.get("user_location") is None:
        return
    field = f"{key}.user_location"
    location = w.obj(options["user_location"], field, {"type", "approximate"})
    w.enum(location, "type", f"{field}.type", {"approximate"})
    places = {"city", "country", "region", "timezone"}
    place = w.obj(location.get("approximate"), f"{field}.approximate", places)
    for name in list(place):
        w.text(place, name, f"{field}.approximate.{name}")


def _stream_options(w: Walk, body: dict[str, Any], key: str) -> None:
    options = w.obj(body[key], key, {"include_usage", "include_obfuscation"})
    for name in options:
        w.flag(options, name, f"{key}.{name}")
    w.usage_chunk = options.get("include_usage") is True


def _cache_options(w: Walk, body: dict[str, Any], key: str) -> None:
    options = w.obj(body[key], key, {"mode", "ttl"})
    if "mode" in options:
        w.enum(options, "mode", f"{key}.mode", {"implicit", "explicit"})
    if "ttl" in options:
        w.enum(options, "ttl", f"{key}.ttl", {"30m"})


def _moderation(w: Walk, body: dict[str, Any], key: str) -> None:
    moderation = w.obj(body[key], key, {"model", "policy"})
    w.ident(moderation, "model", f"{key}.model", ID)
    if moderation.get("policy") is None:
        return
    policy = w.obj(moderation["policy"], f"{key}.policy", {"input", "output"})
    for side in ("input", "output"):
        if policy.get(side) is not None:
            mode = w.obj(policy[side], f"{key}.policy.{side}", {"mode"})
            w.enum(mode, "mode", f"{key}.policy.{side}.mode", {"score", "block"})


def _audio(w: Walk, body: dict[str, Any], key: str) -> None:
    audio = w.obj(body[key], key, {"format", "voice"})
    w.enum(audio, "format", f"{key}.format", {"wav", "aac", "mp3", "flac", "opus", "pcm16"})
    if isinstance(audio.get("voice"), dict):
        w.ident(w.obj(audio["voice"], f"{key}.voice", {"id"}), "id", f"{key}.voice.id", ID)
    else:
        w.ident(audio, "voice", f"{key}.voice")


def _logit_bias(w: Walk, body: dict[str, Any], key: str) -> None:
    for token in w.obj(body[key], key):
        if not token.isdigit():
            raise wrong(f"{key}.{token}", "トークン ID", "a token id")
        w.number(body[key], token, f"{key}.{token}")


def _modalities(w: Walk, body: dict[str, Any], key: str) -> None:
    for i in range(len(w.list(body[key], key))):
        w.enum(body[key], i, f"{key}[{i}]", {"text", "audio"})


_Handler = Callable[[Walk, dict[str, Any], str], None]
_TOP: dict[str, _Handler] = {
    "messages": messages,
    **dict.fromkeys([*_NUMBERS, *_INTS, *_FLAGS, *_ENUMS, "model"], _scalar),
    **dict.fromkeys(["user", "safety_identifier", "prompt_cache_key"], _pseudonym),
    "stop": _stop,
    "metadata": _metadata,
    "prediction": _prediction,
    "response_format": _response_format,
    "tools": _tools,
    "functions": _tools,
    "tool_choice": _tool_choice,
    "function_call": _tool_choice,
    "web_search_options": _web_search,
    "stream_options": _stream_options,
    "prompt_cache_options": _cache_options,
    "moderation": _moderation,
    "audio": _audio,
    "logit_bias": _logit_bias,
    "modalities": _modalities,
}
