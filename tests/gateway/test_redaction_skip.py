"""Issue 2: a profile that redacts and blocks nothing skips the analyzer (and its worker-thread
hop) entirely; any other profile still runs it and still fails closed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from redaction.boundary import redact_messages, redact_request
from redaction.engine import Redactor
from redaction.entities import Entity, EntityType
from redaction.errors import FieldRefused, RedactionFailed
from redaction.profile import RedactionProfile
from redaction.vault import MemoryVault

pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": "山田太郎さん（yamada@example.com）へ"}]


class _Exploding(Redactor):
    """Fails if the analyzer is reached at all."""

    def analyze(
        self, text: str, profile: RedactionProfile, *, cancelled: Callable[[], bool]
    ) -> list[Entity]:
        raise RuntimeError("analyzer reached")


async def test_an_empty_profile_never_reaches_the_analyzer() -> None:
    result = await redact_messages(
        redactor=_Exploding(analyzer=None),
        vault=MemoryVault(ttl_s=60),
        conversation_id="skip",
        messages=MESSAGES,
        profile=RedactionProfile(redact=(), block=()),
        timeout_s=5,
    )
    assert result.messages == MESSAGES
    assert result.counts == {}


@pytest.mark.parametrize(
    "profile",
    [
        RedactionProfile(redact=(EntityType.EMAIL,)),
        RedactionProfile(redact=(), block=(EntityType.EMAIL,)),
    ],
)
async def test_a_profile_with_work_still_runs_the_analyzer(profile: RedactionProfile) -> None:
    with pytest.raises(RedactionFailed) as caught:
        await redact_messages(
            redactor=_Exploding(analyzer=None),
            vault=MemoryVault(ttl_s=60),
            conversation_id="work",
            messages=MESSAGES,
            profile=profile,
            timeout_s=5,
        )
    assert "RuntimeError" in caught.value.en


async def test_one_off_requests_leave_nothing_in_the_vault(redactor: Redactor) -> None:
    # Without a conversation id there is no later turn to keep placeholders for; storing one
    # mapping per request for hours grew every worker's memory (and its GC pauses) unbounded.
    vault = MemoryVault(ttl_s=60)
    profile = RedactionProfile(redact=(EntityType.PERSON, EntityType.EMAIL), block=())
    for conversation in (None, None, "c1"):
        result = await redact_messages(
            redactor=redactor,
            vault=vault,
            conversation_id=conversation,
            messages=MESSAGES,
            profile=profile,
            timeout_s=5,
        )
        assert "山田" not in str(result.messages)
        assert "yamada@example.com" not in str(result.messages)
    assert list(vault._items) == ["c1"]


async def test_an_empty_profile_still_refuses_unknown_fields_and_restores_earlier_turns(
    redactor: Redactor,
) -> None:
    vault = MemoryVault(ttl_s=60)
    first = await redact_messages(
        redactor=redactor,
        vault=vault,
        conversation_id="c2",
        messages=MESSAGES,
        profile=RedactionProfile(redact=(EntityType.EMAIL,), block=()),
        timeout_s=5,
    )
    [placeholder] = first.mapping.values  # the e-mail address's
    empty = RedactionProfile(redact=(), block=())
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "続き"}],
        "user": "yamada@example.com",
        "surprise": 1,
    }
    turn = partial(
        redact_request,
        body=body,
        pseudonym="p",
        redactor=redactor,
        vault=vault,
        conversation_id="c2",
        profile=empty,
        timeout_s=5,
    )
    with pytest.raises(FieldRefused):
        await turn()
    del body["surprise"]
    out = await turn()
    assert out.body["user"] == "p"  # the pseudonym, on the copy only
    assert body["user"] == "yamada@example.com"
    answer = {"choices": [{"message": {"role": "assistant", "content": f"{placeholder} へ"}}]}
    out.restore(answer)
    assert answer["choices"][0]["message"]["content"] == "yamada@example.com へ"
