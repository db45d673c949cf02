"""Task templates: a use case's prompt with fields staff fill in (宛先, 目的, トーン …).

A template belongs to a use case in the policy, so a request made from it is counted under that
use case in the KPIs. The prompt names its fields as ``{field}``; the page fills them in and
the result goes through the same preview and redaction as typed text. This module only
describes, validates and fills templates; it must not know about HTTP or providers.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

FieldId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,29}$")]


class TemplateField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: FieldId
    label: str = Field(min_length=1, max_length=50)
    kind: Literal["text", "textarea", "select"] = "text"
    options: list[str] = Field(default_factory=list, max_length=20)
    placeholder: str = Field(default="", max_length=200)
    required: bool = True

    @model_validator(mode="after")
    def _options_for_select(self) -> TemplateField:
        if (self.kind == "select") != bool(self.options):
            raise ValueError(
                "options は kind: select のときだけ、1 つ以上書いてください / "
                "options are required for kind: select, and only there"
            )
        return self


class PromptTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fields: list[TemplateField] = Field(min_length=1, max_length=10)
    prompt: str = Field(min_length=1, max_length=4000)

    @model_validator(mode="after")
    def _slots_are_fields(self) -> PromptTemplate:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("fields の name が重複しています / duplicate field names")
        try:
            slots = {s for _, s, _, _ in string.Formatter().parse(self.prompt) if s is not None}
        except ValueError as exc:
            raise ValueError(f"prompt の {{}} が正しくありません / bad braces: {exc}") from None
        unknown = slots - set(names)
        if unknown:
            raise ValueError(
                f"prompt に fields にない {{{sorted(unknown)[0]}}} があります / "
                f"the prompt names a field that does not exist: {sorted(unknown)[0]}"
            )
        return self

    def fill(self, values: dict[str, str]) -> str:
        """The prompt with each ``{field}`` replaced; a missing optional field is empty."""
        missing = [
            f.label for f in self.fields if f.required and not values.get(f.name, "").strip()
        ]
        if missing:
            raise ValueError(f"未入力の項目があります: {'、'.join(missing)} / missing: {missing}")
        return self.prompt.format_map({f.name: values.get(f.name, "").strip() for f in self.fields})


# A slot as managers write it in the page: {宛先} or {トーン|丁寧|簡潔} (a choice).
_SLOT = re.compile(r"\{([^{}|\n]{1,50})((?:\|[^{}|\n]{1,50}){0,20})\}")


def from_text(text: str) -> PromptTemplate:
    """A template from a prompt written with Japanese slots: ``{宛先}`` becomes a field to
    fill, ``{トーン|丁寧|簡潔}`` a choice; the same label twice is one field. Other braces are
    kept as written. Raises ``ValueError`` (a message for the person) when there is no slot."""
    fields: dict[str, TemplateField] = {}
    prompt: list[str] = []
    end = 0
    for slot in _SLOT.finditer(text):
        prompt.append(_literal(text[end : slot.start()]))
        label, choices = slot.group(1).strip(), [c.strip() for c in slot.group(2).split("|")[1:]]
        if label not in fields:
            name = f"f{len(fields) + 1}"
            more: dict[str, object] = {"kind": "select", "options": choices} if choices else {}
            fields[label] = _field(name, label, **({"kind": "textarea"} | more))
        prompt.append("{" + fields[label].name + "}")
        end = slot.end()
    prompt.append(_literal(text[end:]))
    if not fields:
        raise ValueError(
            "依頼文に {宛先} のような入力欄が 1 つもありません / "
            "the prompt has no field such as {宛先}"
        )
    return PromptTemplate(fields=list(fields.values()), prompt="".join(prompt))


def to_text(template: PromptTemplate) -> str:
    """The prompt as a manager wrote it (``from_text``'s inverse), to show in the page."""
    slots = {f.name: "{" + "|".join([f.label, *f.options]) + "}" for f in template.fields}
    out = []
    for literal, slot, _, _ in string.Formatter().parse(template.prompt):
        out.append(literal)
        if slot is not None:
            out.append(slots[slot])
    return "".join(out)


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _field(name: str, label: str, **more: object) -> TemplateField:
    return TemplateField.model_validate({"name": name, "label": label, **more})


# The templates of the standard use cases (also written out in policies/examples/_defaults.yaml).
STANDARD: dict[str, PromptTemplate] = {
    "email_draft": PromptTemplate(
        fields=[
            _field("to", "宛先", placeholder="例: 株式会社〇〇 山田様"),
            _field(
                "purpose", "目的", kind="textarea", placeholder="例: 見積りの送付と打合せのお願い"
            ),
            _field("tone", "トーン", kind="select", options=["丁寧", "やや丁寧", "社内向け・簡潔"]),
        ],
        prompt="次の条件で営業メールの下書きを書いてください。\n宛先: {to}\n目的: {purpose}\n"
        "トーン: {tone}\n件名と本文を書き、日本のビジネスメールの書式にしてください。",
    ),
    "minutes": PromptTemplate(
        fields=[
            _field(
                "transcript",
                "文字起こし",
                kind="textarea",
                required=False,
                placeholder="会議の文字起こしを貼り付けるか、.vtt/.docx を添付してください",
            ),
            _field(
                "style",
                "形式",
                kind="select",
                options=["決定事項と ToDo", "時系列の要約", "箇条書き"],
            ),
        ],
        prompt="次の会議の文字起こし (添付を含む) から議事録を作ってください。形式: {style}。"
        "決定事項・担当者・期限を漏れなく書いてください。\n\n{transcript}",
    ),
    "summary": PromptTemplate(
        fields=[
            _field(
                "text",
                "要約する文章",
                kind="textarea",
                required=False,
                placeholder="文章を貼り付けるか、ファイルを添付してください",
            ),
            _field(
                "length", "長さ", kind="select", options=["3 行", "箇条書き 5 点", "400 字程度"]
            ),
        ],
        prompt="次の文章 (添付を含む) を {length} で要約してください。\n\n{text}",
    ),
    "manual_draft": PromptTemplate(
        fields=[
            _field("title", "文書の題名", placeholder="例: 経費精算の手順"),
            _field("readers", "読み手", placeholder="例: 新入社員"),
            _field("points", "盛り込む内容", kind="textarea"),
        ],
        prompt="社内文書の初稿を書いてください。\n題名: {title}\n読み手: {readers}\n"
        "盛り込む内容:\n{points}\n見出しと番号付きの手順で構成してください。",
    ),
}
