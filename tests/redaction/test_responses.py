"""Restoring answers everywhere the model writes: every choice, tool-call arguments (JSON-escaped,
streamed at any split), refusals; one stream restorer per choice; held-back text flushed when a
stream ends without a finish; the usage chunk only when the client asked for it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from redaction.entities import EntityType
from redaction.mapping import Mapping
from redaction.responses import ChunkRestorer, restore_response

NAMES = ["山田太郎", 'O"Brien \\ 商事', "鈴木一郎"]
MAPPING = Mapping().assign([(EntityType.PERSON, n) for n in NAMES])
PH = {v: p for p, v in MAPPING.values.items()}  # value -> placeholder


def chunk(index: int, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def test_every_choice_and_every_field_of_a_whole_answer_is_restored() -> None:
    arguments = json.dumps({"to": PH['O"Brien \\ 商事']}, ensure_ascii=False)
    response = {
        "choices": [
            {"index": 0, "message": {"content": f"{PH['山田太郎']}様"}},
            {
                "index": 1,
                "message": {
                    "content": None,
                    "refusal": f"{PH['鈴木一郎']}の件は不可",
                    "tool_calls": [{"id": "t", "function": {"name": "f", "arguments": arguments}}],
                    "function_call": {"name": "f", "arguments": arguments},
                },
            },
        ]
    }
    restore_response(response, MAPPING)
    first, second = (c["message"] for c in response["choices"])
    assert first["content"] == "山田太郎様"
    assert second["refusal"] == "鈴木一郎の件は不可"
    for args in (
        second["tool_calls"][0]["function"]["arguments"],
        second["function_call"]["arguments"],
    ):
        assert json.loads(args) == {"to": 'O"Brien \\ 商事'}  # escaped: still valid JSON


def test_structured_output_content_is_restored_as_json() -> None:
    content = json.dumps({"宛名": PH['O"Brien \\ 商事']}, ensure_ascii=False)
    response = {"choices": [{"index": 0, "message": {"content": content}}]}
    restore_response(response, MAPPING, json_content=True)
    assert json.loads(response["choices"][0]["message"]["content"]) == {"宛名": 'O"Brien \\ 商事'}


def test_each_choice_of_a_stream_has_its_own_restorer() -> None:
    restorer = ChunkRestorer(MAPPING, usage=False)
    yamada, suzuki = PH["山田太郎"], PH["鈴木一郎"]
    pieces = [
        chunk(0, content=yamada[:2]),
        chunk(1, content=suzuki[:3]),
        chunk(0, content=yamada[2:] + "様"),
        chunk(1, content=suzuki[3:]),
        chunk(0, "stop"),
        chunk(1, "stop"),
    ]
    text = {0: "", 1: ""}
    for piece in pieces:
        for out in restorer.chunk(piece):
            for choice in out["choices"]:
                text[choice["index"]] += choice["delta"].get("content", "")
    assert text == {0: "山田太郎様", 1: "鈴木一郎"}


def test_held_back_text_is_flushed_when_the_stream_ends_without_a_finish() -> None:
    restorer = ChunkRestorer(MAPPING, usage=False)
    call = {"index": 0, "id": "t", "function": {"name": "f", "arguments": '{"to": "〔人'}}
    sent = restorer.chunk(chunk(0, content="宛先: 〔人")) + restorer.chunk(
        chunk(0, tool_calls=[call])
    )
    assert sent[0]["choices"][0]["delta"]["content"] == "宛先: "
    [tail] = restorer.end()
    delta = tail["choices"][0]["delta"]
    assert delta["content"] == "〔人"  # not a placeholder after all: sent as written
    assert delta["tool_calls"] == [{"index": 0, "function": {"arguments": "〔人"}}]
    assert restorer.end() == []


def test_the_usage_chunk_reaches_the_client_only_when_asked_and_after_the_tail() -> None:
    usage = {"id": "c", "choices": [], "usage": {"total_tokens": 3}}
    for asked in (False, True):
        restorer = ChunkRestorer(MAPPING, usage=asked)
        restorer.chunk(chunk(0, content="〔人物"))
        out = restorer.chunk(dict(usage))
        assert out[0]["choices"][0]["delta"]["content"] == "〔人物"
        assert [o["choices"] == [] for o in out] == ([False, True] if asked else [False])
    # Nothing to restore: the usage chunk is still only for clients that asked.
    assert ChunkRestorer(Mapping(), usage=False).chunk(dict(usage)) == []


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(NAMES) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3) | st.sampled_from(NAMES), inner, max_size=3)
    ),
    max_leaves=8,
)


def _redacted(value: Any) -> Any:
    """``value`` with every name replaced by its placeholder, as the boundary sends it."""
    if isinstance(value, str):
        for name, placeholder in PH.items():
            value = value.replace(name, placeholder)
        return value
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {_redacted(k): _redacted(v) for k, v in value.items()}
    return value


@settings(max_examples=60, deadline=None)
@given(_json_values)
def test_streamed_arguments_restore_at_every_split_to_the_whole_restore(value: Any) -> None:
    sent = json.dumps(_redacted(value), ensure_ascii=False)
    whole = {"choices": [{"message": {"tool_calls": [{"function": {"arguments": sent}}]}}]}
    restore_response(whole, MAPPING)
    expected = whole["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(expected) == value
    for cut in range(len(sent) + 1):
        restorer = ChunkRestorer(MAPPING, usage=False)
        got = ""
        for piece in (sent[:cut], sent[cut:]):
            call = {"index": 0, "function": {"arguments": piece}}
            for out in restorer.chunk(chunk(0, tool_calls=[call])):
                got += out["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
        for out in restorer.chunk(chunk(0, "tool_calls")):
            for call in out["choices"][0]["delta"].get("tool_calls", []):
                got += call["function"]["arguments"]
        assert got == expected
