"""Generated benchmark cases: structured identifiers (valid ones must all be found, ones with
a wrong check digit must not), listed customers with spelling variants, and a 1,000-character
Japanese business e-mail for timing. Deterministic (seeded); nothing comes from the dev set."""

from __future__ import annotations

import random
from dataclasses import dataclass

from redaction.recognizers.checksums import corporate_number_check_digit, my_number_check_digit


@dataclass(frozen=True)
class Case:
    kind: str  # our entity type
    text: str
    value: str  # the identifier as written in text
    valid: bool


_SENTENCES = {
    "PHONE": [
        "お電話は{}までお願いします。",
        "TEL：{}",
        "携帯（{}）にご連絡ください。",
        "代表番号は{}です",
    ],
    "EMAIL": ["メールは{}です。", "連絡先：{}", "{}宛にお送りください", "CC: {}"],
    "POSTAL_CODE": ["〒{} 東京都港区", "郵便番号は{}です。", "送付先 〒{}"],
    "MY_NUMBER": ["マイナンバーは{}です。", "個人番号：{}", "番号{}を記載"],
    "CORPORATE_NUMBER": ["法人番号は{}です。", "登録番号T{}", "法人番号：{}"],
    "CREDIT_CARD": ["カード番号は{}です。", "クレジットカード{}で決済", "card {} exp 12/27"],
    "BANK_ACCOUNT": ["振込先 普通 {}", "口座番号：{}", "当座預金 {} にお振込みください"],
    "ADDRESS": ["住所は{}です。", "本社所在地：{}", "{}までお越しください"],
}
_PREFS = ["東京都", "大阪府", "神奈川県", "愛知県", "福岡県", "北海道", "京都府", "宮城県"]
_CITIES = ["港区", "大阪市北区", "横浜市中区", "名古屋市中村区", "福岡市博多区", "札幌市中央区"]
_TOWNS = ["芝公園", "梅田", "山下町", "名駅", "博多駅前", "北一条西", "本町", "桜丘町"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _my_number(rng: random.Random, valid: bool) -> str:
    base = _digits(rng, 11)
    check = my_number_check_digit(base)
    return base + str(check if valid else (check + rng.randint(1, 9)) % 10)


def _corporate(rng: random.Random, valid: bool) -> str:
    base = str(rng.randint(1, 9)) + _digits(rng, 11)
    check = corporate_number_check_digit(base)
    return str(check if valid else (check + rng.randint(1, 8)) % 10) + base


def _luhn_complete(prefix_and_body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix_and_body)):
        n = int(ch)
        if i % 2 == 0:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return prefix_and_body + str((10 - total % 10) % 10)


def _card(rng: random.Random, valid: bool) -> str:
    prefix, length = rng.choice([("4", 16), ("53", 16), ("3530", 16), ("37", 15), ("6011", 16)])
    number = _luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))
    if not valid:
        number = number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)
    if length == 16 and rng.random() < 0.5:
        sep = rng.choice([" ", "-"])
        number = sep.join(number[i : i + 4] for i in range(0, 16, 4))
    return number


def _phone(rng: random.Random) -> str:
    return rng.choice(
        [
            f"0{rng.choice('789')}0-{_digits(rng, 4)}-{_digits(rng, 4)}",
            f"03-{_digits(rng, 4)}-{_digits(rng, 4)}",
            f"06({_digits(rng, 4)}){_digits(rng, 4)}",
            f"0{rng.randint(11, 99)}-{_digits(rng, 3)}-{_digits(rng, 4)}",
            f"0120-{_digits(rng, 3)}-{_digits(rng, 3)}",
            f"+81-90-{_digits(rng, 4)}-{_digits(rng, 4)}",
            f"0{rng.choice('789')}0{_digits(rng, 8)}",
            f"０９０－{''.join(chr(ord(c) + 0xFEE0) for c in _digits(rng, 4))}－１２３４",
        ]
    )


def _email(rng: random.Random) -> str:
    user = rng.choice(["taro", "h.suzuki", "info", "sales-jp", "k_tanaka"]) + _digits(rng, 2)
    host = rng.choice(["example.co.jp", "mail.example.com", "kakehashi.jp", "corp.example.ne.jp"])
    return f"{user}@{host}"


def _address(rng: random.Random) -> str:
    block = f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    if rng.random() < 0.5:
        block = f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
    return rng.choice(_PREFS) + rng.choice(_CITIES) + rng.choice(_TOWNS) + block


def structured_cases(n: int = 100, seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    makers = {
        "PHONE": lambda _v: _phone(rng),
        "EMAIL": lambda _v: _email(rng),
        "POSTAL_CODE": lambda _v: f"{_digits(rng, 3)}-{_digits(rng, 4)}",
        "MY_NUMBER": lambda v: _my_number(rng, v),
        "CORPORATE_NUMBER": lambda v: _corporate(rng, v),
        "CREDIT_CARD": lambda v: _card(rng, v),
        "BANK_ACCOUNT": lambda _v: _digits(rng, 7),
        "ADDRESS": lambda _v: _address(rng),
    }
    cases: list[Case] = []
    for kind, make in makers.items():
        checked = kind in {"MY_NUMBER", "CORPORATE_NUMBER", "CREDIT_CARD"}
        for valid in (True, False) if checked else (True,):
            for _ in range(n):
                value = make(valid)
                cases.append(Case(kind, rng.choice(_SENTENCES[kind]).format(value), value, valid))
    return cases


_KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
_SUFFIXES = [("商事", "ショウジ"), ("工業", "コウギョウ"), ("精機", "セイキ"), ("物産", "ブッサン")]


def customers(n: int = 40, seed: int = 11) -> list[tuple[str, str, str]]:
    """(name, alias, kana) of made-up customers: 株式会社 + katakana + suffix."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        stem = "".join(rng.choice(_KANA) for _ in range(rng.randint(3, 5)))
        suffix, reading = rng.choice(_SUFFIXES)
        out.append((f"株式会社{stem}{suffix}", f"{stem}{suffix}", f"{stem}{reading}"))
    return out


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _halfwidth_free(text: str) -> str:
    return text[:2] + "\u200b" + text[2:]


def _long_vowel_marks(kana: str) -> str:
    """コウギョウ -> コーギョー: ウ lengthening an o- or u-row kana written as ー."""
    lengthened = "オコゴソゾトドノホボポモヨョロヲウクグスズツヅヌフブプムユュル"
    return "".join(
        "ー" if c == "ウ" and i > 0 and kana[i - 1] in lengthened else c for i, c in enumerate(kana)
    )


def customer_variants(name: str, alias: str, kana: str) -> list[str]:
    return [
        name,
        alias,
        alias[:2] + "　" + alias[2:],
        _halfwidth_free(alias),
        kana,
        _hiragana(kana),
        _long_vowel_marks(kana),
        f"{alias}株式会社",
        f"(株){alias}",
    ]


EMAIL_1000 = """件名：【ご相談】次回お打ち合わせの件（株式会社ミナト精機 様）

株式会社ミナト精機
営業本部 第二営業部
部長 高橋 健一 様

いつも大変お世話になっております。
カケハシ商事株式会社の佐藤でございます。

先日はご多忙のところ、弊社大阪支店までお越しいただき誠にありがとうございました。
ご提示いただいた新型ポンプの導入計画につきまして、社内で検討いたしました結果を
以下の通りご報告いたします。

1. 導入台数：第一期として12台（2025年4月納品予定）
2. お見積金額：税抜 4,860,000円（保守費用を含む）
3. お支払条件：月末締め翌月末払い、振込先 三井住友銀行 渋谷支店 普通 1234567
4. ご担当窓口：技術部 鈴木 美咲（suzuki.misaki@kakehashi-shoji.co.jp、03-5412-7788）

なお、前回ご相談いただいた保守契約の件につきましては、弊社の山本より
別途ご連絡を差し上げる予定でございます。山本の携帯番号は090-2345-6789です。

次回のお打ち合わせ候補日を以下の通りご提案いたします。
・3月12日（水）14:00〜15:30
・3月14日（金）10:00〜11:30
・3月18日（火）16:00〜17:00
ご都合のよろしい日時をお知らせいただけますと幸いです。
会場は弊社本社（〒150-0002 東京都渋谷区渋谷2-21-1 渋谷ヒカリエ12F）を予定しております。

また、株式会社ミナト精機様のグループ会社であるミナトロジスティクス合同会社様にも
同席いただけるとのこと、承知いたしました。先方のご担当の田中様にもよろしくお伝えください。

追伸：先月ご紹介いただいた北斗電機株式会社の渡辺様とは、来週オンラインで面談する予定です。
面談の結果は、議事録にまとめて改めて共有いたします。資料は社外秘のため、取り扱いにはご注意ください。
また、見積書の宛名は「株式会社ミナト精機 代表取締役 中村 隆」様でよろしいでしょうか。

ご不明な点がございましたら、お気軽にお問い合わせください。
引き続きどうぞよろしくお願い申し上げます。

カケハシ商事株式会社 営業部
佐藤 大輔
TEL：03-5412-7700 / FAX：03-5412-7701
Mail：d.sato@kakehashi-shoji.co.jp
"""


# A dense sales e-mail (~1,400 characters): a customer, its people, our people, numbers and an
# address in almost every line, as in a quotation follow-up (issue 18's "dense business text").
DENSE_MAIL = """件名：お見積りのご送付と導入スケジュールのご相談（株式会社ミナト精機 様）

株式会社ミナト精機
購買部 課長 高橋 健一 様
CC：生産技術部 主任 小川 真由美 様、経理部 森田 浩二 様

いつも大変お世話になっております。カケハシ商事株式会社 営業部の佐藤大輔でございます。
先日の打ち合わせでは、高橋様、小川様にお時間をいただき誠にありがとうございました。
ご依頼の新型ポンプ「ハヤテ3000」のお見積書（見積番号 Q-2025-0481）をお送りいたします。

■ お見積概要
・品目：ハヤテ3000 本体 12台、制御盤 HC-20 4面、据付工事一式
・金額：税抜 12,480,000円（税込 13,728,000円）、有効期限 2025年3月31日
・納期：ご発注から8週間（第一期 6台を5月12日、第二期 6台を6月23日に納品）
・お支払：月末締め翌月末、振込先 三菱UFJ銀行 品川支店 普通 3456789 カケハシショウジ（カ

■ 担当窓口
・営業：佐藤 大輔（d.sato@kakehashi-shoji.co.jp、03-5412-7700、携帯 090-2345-6789）
・技術：鈴木 美咲（m.suzuki@kakehashi-shoji.co.jp、03-5412-7788）
・工事：協力会社 株式会社ヤマト設備工業 現場責任者 中島 隆之 様（080-3344-5566）

据付工事は、貴社 川崎工場（〒210-0858 神奈川県川崎市川崎区大川町8-1）で実施予定です。
工場長の石井 正人 様と安全衛生ご担当の岡田 恵子 様には、事前に工事計画書を提出いたします。
搬入経路について、守衛所（044-333-1212）経由での入構手続きをお願いできますでしょうか。

また、前回ご相談いただいた保守契約の件は、弊社サービス部 部長 山本 誠一より、
来週中に年間保守プラン（標準・プレミアム）のご提案をお送りいたします。山本の直通は
03-5412-7750、メールは s.yamamoto@kakehashi-shoji.co.jp です。

なお、貴社グループのミナトロジスティクス合同会社 物流部 田中 由紀子 様からも、
同型機2台の引き合いをいただいております。別途、田中様宛てにご連絡してよろしいでしょうか。
北斗電機株式会社の渡辺 拓也 様とは、3月14日（金）にオンライン面談を予定しております。

次回のお打ち合わせ候補日をご提案いたします。
・3月12日（水）14:00〜15:30（弊社本社 〒150-0002 東京都渋谷区渋谷2-21-1 渋谷ヒカリエ12F）
・3月18日（火）10:00〜11:30（貴社 本社 会議室、大阪府大阪市北区梅田3-1-3）
ご都合のよろしい日時を、佐藤までご返信いただけますと幸いです。

お見積書の宛名は「株式会社ミナト精機 代表取締役社長 中村 隆 様」、
法人番号 7010401022916 で作成しております。相違がございましたらお知らせください。

カケハシ商事株式会社 営業部 第二課
佐藤 大輔
TEL：03-5412-7700 / FAX：03-5412-7701
Mail：d.sato@kakehashi-shoji.co.jp
"""
