"""English text: names caught on evidence, everyday English left alone (issue 13).

Table-driven: each FOUND row lists (type, exact substring) pairs that must be reported; each
KEPT row is text of which no word may be replaced at all; KEPT_WORDS rows name the words that
must survive inside a text that does hold names.
"""

from __future__ import annotations

import pytest

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile

ISSUE_EXAMPLE = (
    "Good morning all, could you forward the budget spreadsheet to Olivia Grant at Pinecrest "
    "Logistics before Thursday? Her number is +44 20 7123 4567."
)

FOUND = [
    (
        ISSUE_EXAMPLE,
        [
            (T.PERSON, "Olivia Grant"),
            (T.COMPANY, "Pinecrest Logistics"),
            (T.PHONE, "+44 20 7123 4567"),
        ],
    ),
    ("Dear Mr. Whitcombe, thank you for your order.", [(T.PERSON, "Whitcombe")]),
    ("Please ask Dr Anjali Venkat to sign.", [(T.PERSON, "Anjali Venkat")]),
    ("Hi Siobhan,\nthe slides are attached.", [(T.PERSON, "Siobhan")]),
    ("Best regards,\nTobias Ekwueme\nSales", [(T.PERSON, "Tobias Ekwueme")]),
    ("We met Harold Pennington yesterday.", [(T.PERSON, "Harold Pennington")]),
    ("Loop in Kaito Fujimura before we sign.", [(T.PERSON, "Kaito Fujimura")]),
    ("The invoice from Quarrystone Holdings is late.", [(T.COMPANY, "Quarrystone Holdings")]),
    ("Contract with Bellamy & Rhodes LLP attached.", [(T.COMPANY, "Bellamy & Rhodes LLP")]),
    ("Shipped by Okuma Kogyo Co., Ltd. on time.", [(T.COMPANY, "Okuma Kogyo Co., Ltd.")]),
    ("Our partner Daventry Plastics GmbH agreed.", [(T.COMPANY, "Daventry Plastics GmbH")]),
    ("Tom, can you check the numbers?", [(T.PERSON, "Tom")]),
    ("I think Mark said the deadline moved.", [(T.PERSON, "Mark")]),
    ("Please send the draft to James by Friday.", [(T.PERSON, "James")]),
    ("Our contact there is Mei Ling Tan.", [(T.PERSON, "Mei Ling Tan")]),
    (
        "Attendees: Priscilla Oyelaran, Dmitri Volkonsky\nPriscilla will send the notes.",
        [(T.PERSON, "Priscilla Oyelaran"), (T.PERSON, "Dmitri Volkonsky"), (T.PERSON, "Priscilla")],
    ),
    ("Acme Trading Co., Ltd.との契約", [(T.COMPANY, "Acme Trading Co., Ltd.")]),
    ("Dear Mr. John Smith, thanks", [(T.PERSON, "John Smith")]),
    ("Olivia Grantさんから見積書が届きました", [(T.PERSON, "Olivia Grant")]),
]

# Text in which nothing at all may be replaced.
KEPT = [
    "Thanks, can you give me three subject lines for the launch e-mail?",
    "hi, he said the marks were current.",
    "USER: summarise this. Times are in UTC.",
    "Use VLOOKUP or SUMIF, or better XLOOKUP, then export the XLSX as CSV or PDF.",
    "The CFO wants the JSON from the API by Monday, 3 November.",
    '{"user_timestamp": 1718000000, "user_name": "USER", "chat_id": "c-42"}',
    "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n"
    "### Guidelines:\n- The title should clearly represent the main theme.\n"
    '### Output:\nJSON format: { "title": "your concise title here" }',
    "Agenda: Welcome, Usage Review, Roadmap, Open Questions.",
    "Dear Sir or Madam, Dear Customer, Dear Hiring Manager,",
    "Grant access to the Finance folder and mark the invoice as paid.",
    "Hope you are well. Will the office reopen in April or May?",
    "Please update your status in Slack and move any Zoom meetings to Teams.",
    "Open Enrollment for Health Insurance closes on Friday.",
    "Answer in British English, then translate it into Japanese and Simplified Chinese.",
    "Revenue is up in North America and Europe, flat in Latin America.",
    "How does Kubernetes differ from Docker Swarm? Compare AWS Lambda and Google Cloud Run.",
    "class UserService(BaseModel):\n    def get_user(self, user_id: int) -> User: ...",
    "The Master Services Agreement and the Quarterly Business Review are due in June.",
    "資料は PDF と XLSX で共有し、VLOOKUP と SUMIFS で集計してください。",
]

# (text, words that must not be inside any reported span)
KEPT_WORDS = [
    (ISSUE_EXAMPLE, ["Good", "morning", "budget", "spreadsheet", "Thursday", "Her"]),
    ("Hi Daniel, the PDF is on SharePoint; ping me on Teams.", ["Hi", "PDF", "SharePoint"]),
    ("Best regards,\nCustomer Success\nAltamira Software GmbH", ["Customer", "Success"]),
]


def _found(redactor: Redactor, text: str) -> set[tuple[T, str]]:
    return {(e.type, e.text) for e in redactor.analyze(text, RedactionProfile())}


@pytest.mark.parametrize(("text", "expected"), FOUND, ids=[row[0][:30] for row in FOUND])
def test_names_are_found(redactor: Redactor, text: str, expected: list[tuple[T, str]]) -> None:
    assert set(expected) <= _found(redactor, text)


@pytest.mark.parametrize("text", KEPT, ids=[t[:30] for t in KEPT])
def test_everyday_english_is_left_alone(redactor: Redactor, text: str) -> None:
    assert _found(redactor, text) == set()


@pytest.mark.parametrize(("text", "words"), KEPT_WORDS, ids=[row[0][:30] for row in KEPT_WORDS])
def test_words_beside_names_are_kept(redactor: Redactor, text: str, words: list[str]) -> None:
    spans = [(e.start, e.end) for e in redactor.analyze(text, RedactionProfile())]
    assert spans, "the text holds a name"
    for word in words:
        start = text.index(word)
        assert not any(s < start + len(word) and e > start for s, e in spans), word


# (word, reads as an everyday word): the lexicon behind the rules, from published data.
WORDS = [
    ("Current", True),
    ("Systems", True),
    ("Said", True),
    ("Thursday", True),
    ("Online", True),
    ("British", True),
    ("Grant", True),  # a given name too, but mostly the word
    ("Olivia", False),
    ("James", False),
    ("Pinecrest", False),
    ("Watanabe", False),
]


@pytest.mark.parametrize(("word", "everyday"), WORDS)
def test_lexicon_tells_words_from_names(word: str, everyday: bool) -> None:
    from redaction.english_lexicon import ordinary

    assert ordinary(word) is everyday
