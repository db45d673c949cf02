"""Entity types and the detected-entity record.

Type names are a public contract (CLI JSON, policies, audit counts): add new ones, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EntityType(StrEnum):
    PERSON = "PERSON"
    COMPANY = "COMPANY"
    CUSTOMER = "CUSTOMER"
    LOCATION = "LOCATION"
    ADDRESS = "ADDRESS"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    POSTAL_CODE = "POSTAL_CODE"
    MY_NUMBER = "MY_NUMBER"
    CORPORATE_NUMBER = "CORPORATE_NUMBER"
    CREDIT_CARD = "CREDIT_CARD"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    CODENAME = "CODENAME"
    CONFIDENTIAL_MARKER = "CONFIDENTIAL_MARKER"


# When spans of different types overlap they are merged; the merged span takes the first type
# of this list present among them (a listed customer beats a generic company name, an e-mail
# address beats the person name inside it).
PRIORITY: tuple[EntityType, ...] = (
    EntityType.CUSTOMER,
    EntityType.CODENAME,
    EntityType.MY_NUMBER,
    EntityType.CORPORATE_NUMBER,
    EntityType.CREDIT_CARD,
    EntityType.BANK_ACCOUNT,
    EntityType.EMAIL,
    EntityType.PHONE,
    EntityType.POSTAL_CODE,
    EntityType.ADDRESS,
    EntityType.COMPANY,
    EntityType.PERSON,
    EntityType.LOCATION,
    EntityType.CONFIDENTIAL_MARKER,
)

# Japanese names for messages shown to staff.
LABELS_JA: dict[EntityType, str] = {
    EntityType.PERSON: "人名",
    EntityType.COMPANY: "会社名",
    EntityType.CUSTOMER: "顧客名",
    EntityType.LOCATION: "地名",
    EntityType.ADDRESS: "住所",
    EntityType.PHONE: "電話番号",
    EntityType.EMAIL: "メールアドレス",
    EntityType.POSTAL_CODE: "郵便番号",
    EntityType.MY_NUMBER: "マイナンバー",
    EntityType.CORPORATE_NUMBER: "法人番号",
    EntityType.CREDIT_CARD: "クレジットカード番号",
    EntityType.BANK_ACCOUNT: "口座番号",
    EntityType.CODENAME: "社内コード名",
    EntityType.CONFIDENTIAL_MARKER: "機密表示",
}


@dataclass(frozen=True, slots=True)
class Entity:
    """One finding. ``start``/``end`` index the ORIGINAL text; ``text`` is ``original[start:end]``."""

    type: EntityType
    start: int
    end: int
    text: str
    score: float
