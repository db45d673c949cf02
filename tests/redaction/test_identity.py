"""One placeholder identity per person and per company (issue 13), and exact restore.

Meeting minutes with an attendee list and speaker lines, e-mail headers and conversations: every
way one person or company is written must read as one identity for the model (the same letter:
〔人物A〕, 〔人物A・姓〕, 〔人物A・名〕), different people must not share one, and restoring the
redacted text must give back exactly what was typed.
"""

from __future__ import annotations

import pytest

from redaction import mapping as mapping_module
from redaction.boundary import redact_messages
from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.mapping import Item, Mapping
from redaction.placeholders import MAX_LENGTH, Placeholder, could_be_prefix, parse_placeholder
from redaction.profile import RedactionProfile
from redaction.restore import StreamRestorer, restore
from redaction.service import mention_items, preview_text, substitute
from redaction.vault import MemoryVault

# (case, text, groups: each group lists surfaces (in order of appearance) that are one identity;
#  different groups must be different identities)
MINUTES = [
    (
        "attendees then speakers",
        "出席者：鈴木一郎、佐藤花子\n鈴木：予算案を説明します。\n佐藤：了解です。\n鈴木：以上です。",
        [["鈴木一郎", "鈴木", "鈴木"], ["佐藤花子", "佐藤"]],
    ),
    (
        "titles and honorifics",
        "出席者：山田太郎（部長）、高橋美咲\n山田部長：来期の方針です。\n高橋さん：質問があります。",
        [["山田太郎", "山田"], ["高橋美咲", "高橋"]],
    ),
    (
        "given name alone",
        "参加者：田中健一、渡辺直美\n健一さんから報告。渡辺さんが補足。",
        [["田中健一", "健一"], ["渡辺直美", "渡辺"]],
    ),
    (
        "speaker before the attendee list",
        "伊藤：開始します。\n出席者：伊藤誠、小林優子\n小林：資料を配布。",
        [["伊藤", "伊藤誠"], ["小林優子", "小林"]],
    ),
    (
        "same surname, two companies",
        "出席：株式会社ミライ精工の鈴木部長、青空物産の鈴木課長\n"
        "ミライ精工さんから見積もり。青空物産の鈴木課長が確認。",
        [["ミライ精工", "ミライ精工"], ["鈴木"], ["青空物産", "青空物産"], ["鈴木", "鈴木"]],
    ),
    (
        "same surname, two full names, then the surname alone",
        "出席者：中村一郎、中村花子\n中村：始めます。",
        [["中村一郎"], ["中村花子"], ["中村"]],
    ),
    (
        "surnames that are everyday words, as speakers",
        "出席者：林誠、森優子\n林：開始します。\n森：資料です。",
        [["林誠", "林"], ["森優子", "森"]],
    ),
    (
        "a full name Sudachi reads as one word",
        "出席者：東一郎、関花子\n東：はい、始めます。\n関：了解です。",
        [["東一郎", "東"], ["関花子", "関"]],
    ),
    (
        "company and its short forms",
        "株式会社ミライ精工 営業部\n山田太郎様\n\nミライ精工さんとの契約について、山田様にご確認ください。",
        [["ミライ精工", "ミライ精工"], ["山田太郎", "山田"]],
    ),
]


def _identities(redactor: Redactor, text: str) -> list[tuple[str, str]]:
    """(surface as found, base placeholder) of every person and company, in order."""
    profile = RedactionProfile()
    preview = preview_text(text, redactor.analyze(text, profile), profile)
    out = []
    for span in preview.spans:
        if span.type in (T.PERSON, T.COMPANY, T.CUSTOMER):
            parsed = parse_placeholder(span.placeholder)
            assert parsed is not None
            name = preview.text[span.redacted_start : span.redacted_end]
            assert name == span.placeholder
            out.append((span.text, str(parsed.base)))
    return out


@pytest.mark.parametrize(("case", "text", "groups"), MINUTES, ids=[m[0] for m in MINUTES])
def test_one_identity_per_person(
    redactor: Redactor, case: str, text: str, groups: list[list[str]]
) -> None:
    found = _identities(redactor, text)
    # Surfaces as found keep the legal form of a company (株式会社ミライ精工): compare the name.
    surfaces = [s.removeprefix("株式会社").strip() for s, _ in found]
    expected = [s for group in groups for s in group]
    assert sorted(surfaces) == sorted(expected), (case, found)
    bases_of_groups = []
    remaining = list(zip(surfaces, (b for _, b in found), strict=True))
    for group in groups:
        bases = set()
        for surface in group:
            index = next(i for i, (s, _) in enumerate(remaining) if s == surface)
            bases.add(remaining.pop(index)[1])
        assert len(bases) == 1, (case, group, found)  # one identity per person
        bases_of_groups.append(bases.pop())
    assert len(set(bases_of_groups)) == len(groups), (case, found)  # no two people merged


@pytest.mark.parametrize(("case", "text", "groups"), MINUTES, ids=[m[0] for m in MINUTES])
def test_minutes_restore_exactly(
    redactor: Redactor, case: str, text: str, groups: list[list[str]]
) -> None:
    del case, groups
    profile = RedactionProfile()
    entities = redactor.analyze(text, profile)
    preview = preview_text(text, entities, profile)
    mapping = Mapping().assign(mention_items(text, entities), avoid=text)
    redacted = substitute(text, entities, mapping)
    assert redacted == preview.text
    assert restore(redacted, mapping) == text
    restorer = StreamRestorer(mapping)
    assert "".join(restorer.feed(ch) for ch in redacted) + restorer.flush() == text


ENGLISH_COMPANIES = [
    (
        "legal form, then the first word, then the name without the form",
        "We signed with Pinecrest Logistics Ltd. last week. Pinecrest will deliver on Monday,"
        " and Pinecrest Logistics sends the invoice.",
        "We signed with 〔会社A〕 Ltd. last week. 〔会社A・2〕 will deliver on Monday,"
        " and 〔会社A〕 sends the invoice.",
    ),
    (
        "Co., Ltd. stays outside the placeholder",
        "Acme Trading Co., Ltd. sent the quote. Please ask Acme about it.",
        "〔会社A〕 Co., Ltd. sent the quote. Please ask 〔会社A・2〕 about it.",
    ),
    (
        "two companies, each with its short form",
        "Northwind Inc. and Contoso Corporation met. Contoso agreed; Northwind did not.",
        "〔会社A〕 Inc. and 〔会社B〕 Corporation met. 〔会社B〕 agreed; 〔会社A〕 did not.",
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "expected"), ENGLISH_COMPANIES, ids=[c[0] for c in ENGLISH_COMPANIES]
)
def test_english_company_and_its_short_forms(
    redactor: Redactor, case: str, text: str, expected: str
) -> None:
    profile = RedactionProfile()
    entities = redactor.analyze(text, profile)
    assert preview_text(text, entities, profile).text == expected, case
    mapping = Mapping().assign(mention_items(text, entities), avoid=text)
    assert restore(substitute(text, entities, mapping), mapping) == text


def test_each_surface_restores_as_typed() -> None:
    mapping = Mapping().assign(
        [(T.PERSON, "鈴木"), (T.PERSON, "鈴木一郎"), (T.PERSON, "一郎"), (T.PERSON, "鈴木 一郎")]
    )
    assert mapping.placeholder_for(T.PERSON, "鈴木一郎") == "〔人物A〕"
    assert mapping.placeholder_for(T.PERSON, "鈴木") == "〔人物A・姓〕"
    assert mapping.placeholder_for(T.PERSON, "一郎") == "〔人物A・名〕"
    assert mapping.placeholder_for(T.PERSON, "鈴木 一郎") == "〔人物A・2〕"
    assert restore("〔人物A・姓〕様と〔人物A・名〕さん、〔人物A〕", mapping) == (
        "鈴木様と一郎さん、鈴木一郎"
    )


def test_a_form_the_model_makes_up_restores_to_the_full_name() -> None:
    mapping = Mapping().assign([(T.PERSON, "鈴木一郎")])
    assert restore("〔人物A・姓〕様", mapping) == "鈴木一郎様"
    assert restore("〔人物B・姓〕様", mapping) == "〔人物B・姓〕様"  # not ours: left as written


@pytest.mark.parametrize(
    ("case", "items", "same", "different"),
    [
        (
            "ambiguous surname gets its own letter",
            [(T.PERSON, "中村一郎"), (T.PERSON, "中村花子"), (T.PERSON, "中村")],
            [],
            [("中村", "中村一郎"), ("中村", "中村花子")],
        ),
        (
            "Latin-script family name comes last",
            [(T.PERSON, "Olivia Grant"), (T.PERSON, "Grant"), (T.PERSON, "Olivia")],
            [("Grant", "Olivia Grant"), ("Olivia", "Olivia Grant")],
            [],
        ),
        (
            "a Latin prefix that is not a whole word is not a name part",
            [(T.PERSON, "Olivia Grant"), (T.PERSON, "Oli")],
            [],
            [("Oli", "Olivia Grant")],
        ),
        (
            "a company and a listed customer spelled alike",
            [(T.CUSTOMER, "ミライ精工"), (T.COMPANY, "ミライ精工")],
            [("ミライ精工", "ミライ精工")],
            [],
        ),
        (
            "a Latin company's first words are its short form, in either order",
            [(T.COMPANY, "Pinecrest"), (T.COMPANY, "Pinecrest Logistics")],
            [("Pinecrest", "Pinecrest Logistics")],
            [],
        ),
        (
            "a short form two companies share gets its own letter",
            [
                (T.COMPANY, "Pacific Trading"),
                (T.COMPANY, "Pacific Logistics"),
                (T.COMPANY, "Pacific"),
            ],
            [],
            [("Pacific", "Pacific Trading"), ("Pacific", "Pacific Logistics")],
        ),
        (
            "a Latin prefix that is not a whole word is not a short form",
            [(T.COMPANY, "Pinecrest Logistics"), (T.COMPANY, "Pine")],
            [],
            [("Pine", "Pinecrest Logistics")],
        ),
        (
            "persons never link to companies",
            [(T.COMPANY, "山田商事"), (T.PERSON, "山田")],
            [],
            [("山田", "山田商事")],
        ),
    ],
)
def test_linking_rules(
    case: str,
    items: list[tuple[T, str]],
    same: list[tuple[str, str]],
    different: list[tuple[str, str]],
) -> None:
    mapping = Mapping().assign(items)
    base = {}
    for t, text in items:
        placeholder = mapping.placeholder_for(t, text)
        parsed = parse_placeholder(placeholder or "")
        assert parsed is not None, (case, text)
        base[text] = parsed.base
    for a, b in same:
        assert base[a] == base[b], case
    for a, b in different:
        assert base[a] != base[b], case


def test_people_of_two_companies_stay_apart() -> None:
    mapping = Mapping().assign(
        [
            Item(T.COMPANY, "ミライ精工"),
            Item(T.COMPANY, "青空物産"),
            Item(T.PERSON, "鈴木", (T.COMPANY, "ミライ精工")),
            Item(T.PERSON, "鈴木", (T.COMPANY, "青空物産")),
        ]
    )
    a = mapping.placeholder_for(T.PERSON, "鈴木", (T.COMPANY, "ミライ精工"))
    b = mapping.placeholder_for(T.PERSON, "鈴木", (T.COMPANY, "青空物産"))
    assert a is not None
    assert b is not None
    assert a != b
    later = mapping.assign([Item(T.PERSON, "鈴木")])
    plain = later.placeholder_for(T.PERSON, "鈴木")
    assert plain not in (a, b)  # which 鈴木? the text does not say: a letter of its own
    again = later.assign([Item(T.PERSON, "鈴木", (T.COMPANY, "青空物産"))])
    assert again.placeholder_for(T.PERSON, "鈴木", (T.COMPANY, "青空物産")) == b


def test_each_value_is_folded_once_per_assign(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linking compares every new name with every identity; folding a name is the costly part
    (normalisation), so it is done once per distinct text, not once per comparison (issue 18:
    ~240 folds of ~45 values made the mapping a third of a dense e-mail's boundary CPU)."""
    folded: list[str] = []
    real = mapping_module.fold_term

    def counting(text: str) -> str:
        folded.append(text)
        return real(text)

    monkeypatch.setattr(mapping_module, "fold_term", counting)
    people = ["高橋 健一", "小川 真由美", "森田 浩二", "佐藤大輔", "鈴木 美咲", "中島 隆之"]
    companies = ["ミナト精機", "カケハシ商事", "ヤマト設備工業", "Pinecrest Logistics"]
    items = [Item(T.COMPANY, c) for c in companies] + [Item(T.PERSON, p) for p in people]
    items += [Item(T.PERSON, p.split()[0]) for p in people if " " in p]  # 高橋さん …
    mapping = Mapping().assign(items * 3)  # each value mentioned three times
    assert len(folded) == len(set(folded))
    # The surnames still take their full name's letter: the folds were used, not skipped.
    assert mapping.placeholder_for(T.PERSON, "高橋") == "〔人物A・姓〕"


def test_mapping_round_trips_through_json_and_reads_version_1() -> None:
    mapping = Mapping().assign(
        [
            Item(T.COMPANY, "ミライ精工"),
            Item(T.PERSON, "鈴木一郎", (T.COMPANY, "ミライ精工")),
            Item(T.PERSON, "鈴木", (T.COMPANY, "ミライ精工")),
        ]
    )
    assert Mapping.from_json(mapping.to_json()) == mapping
    old = b'{"v": 1, "rows": [["PERSON", "\\u5c71\\u7530", "\\u3014\\u4eba\\u7269A\\u3015"]], "next": {"PERSON": 2}}'
    assert Mapping.from_json(old).placeholder_for(T.PERSON, "山田") == "〔人物A〕"


@pytest.mark.anyio
async def test_one_identity_across_turns_of_a_conversation(redactor: Redactor) -> None:
    vault = MemoryVault(ttl_s=60)

    async def turn(text: str) -> str:
        result = await redact_messages(
            redactor=redactor,
            vault=vault,
            conversation_id="minutes",
            messages=[{"role": "user", "content": text}],
            profile=RedactionProfile(),
            timeout_s=10,
        )
        content = result.messages[0]["content"]
        assert isinstance(content, str)
        assert restore(content, result.mapping) == text
        return content

    assert (
        await turn("山田太郎さんに議事録を送ってください。")
        == "〔人物A〕さんに議事録を送ってください。"
    )
    assert await turn("山田様からの返信を要約して。") == "〔人物A・姓〕様からの返信を要約して。"
    assert await turn("株式会社ミライ精工の件") == "株式会社〔会社A〕の件"
    assert await turn("ミライ精工さんに電話") == "〔会社A〕さんに電話"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("〔人物A・姓〕", Placeholder(T.PERSON, 1, "姓")),
        ("〔人物AB・名〕", Placeholder(T.PERSON, 28, "名")),
        ("〔会社C・12〕", Placeholder(T.COMPANY, 3, "12")),
        ("〔顧客A・2〕", Placeholder(T.CUSTOMER, 1, "2")),
        ("〔電話1・2〕", None),  # numbered identifiers have no forms
        ("〔人物A・1〕", None),
        ("〔人物A・〕", None),
        ("〔人物A・性〕", None),
    ],
)
def test_placeholder_forms(text: str, expected: Placeholder | None) -> None:
    assert parse_placeholder(text) == expected
    if expected is not None:
        assert str(expected) == text
        assert len(text) <= MAX_LENGTH
        assert all(could_be_prefix(text[:k]) for k in range(1, len(text)))
