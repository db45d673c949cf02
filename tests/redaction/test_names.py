"""Table-driven tests for the name rules added for person and company coverage (issue 4).

Each rule has rows it must catch (the exact name, covered by one PERSON or COMPANY span) and
everyday business text it must leave alone. The names are made up or public, never taken from
the benchmark's dev file.
"""

from __future__ import annotations

import pytest

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile

NAME_TYPES = {T.PERSON, T.COMPANY}

# (rule, text, name that must lie inside one PERSON/COMPANY span)
CAUGHT = [
    ("unknown katakana word", "ヴァルデンホルツは大学時代の友人と会った。", "ヴァルデンホルツ"),
    ("unknown katakana word", "クロイツベルガーの代理人から連絡があった。", "クロイツベルガー"),
    ("unknown Latin word", "ZenboxFlowと契約を更新した。", "ZenboxFlow"),
    ("unknown Latin word", "2001年にQuillbaseの創設者と会った。", "Quillbase"),
    ("regnal number", "トトメス5世の像を見学した。", "トトメス5世"),
    ("organisation word", "浪曲伝統協会の若手が出演する。", "浪曲伝統協会"),
    ("organisation word", "和菓子文化研究所に問い合わせた。", "和菓子文化研究所"),
    ("organisation word", "オレゴン大学において講演した。", "オレゴン大学"),
    ("rare katakana + company context", "ファルコンは自社の販売網を持つ。", "ファルコン"),
    ("rare katakana + company context", "グリフォンは子会社を設立した。", "グリフォン"),
    ("company cue after particle", "2008年に同社がオレンジに買収された。", "オレンジ"),
    ("company cue after particle", "ペリカンの社長が来日した。", "ペリカン"),
    ("katakana company word", "ミズノストアで購入した。", "ミズノストア"),
    (
        "katakana chain with a rare word",
        "ランドール・フォトワークスから発売。",
        "ランドール・フォトワークス",
    ),
    ("legal form split by Sudachi", "東雲監査法人は監査を担当した。", "東雲監査法人"),
    ("kanji name + company word", "新北斗工業において試作された。", "新北斗工業"),
    ("kanji name + company word", "南嶺汽車の前社長が就任した。", "南嶺汽車"),
    ("kanji name + company word", "蝦夷證券は証券会社である。", "蝦夷證券"),
    ("kanji name + company word", "北越電灯の地盤であった。", "北越電灯"),
    ("surname + unlisted given name", "壁村昭蔵が担当した。", "壁村昭蔵"),
    ("surname + unlisted given name", "吉岡トモヒロらが出演した。", "吉岡トモヒロ"),
    ("place-surname + unlisted given name", "西尾綾音が小説を書いた。", "西尾綾音"),
    ("quoted name + founding word", "1909年に「辰巳胡蝶園」に商号変更した。", "辰巳胡蝶園"),
    ("quoted name + founding word", "2015年に「笹塚もくもく舎」を設立した。", "笹塚もくもく舎"),
    # issue 13: company recall on new text
    ("publisher before から発売", "来月、ペリカンから発売される。", "ペリカン"),
    ("listed beside a company", "ヴァルデンとIBMが提携した。", "ヴァルデン"),
    ("listed beside a company", "北辰工業やグリフォーネが出展した。", "グリフォーネ"),
    ("katakana plural compound", "ファルコンモデルズの新製品が出た。", "ファルコンモデルズ"),
    ("web address of a company", "販売はQuillbase.comで行う。", "Quillbase.com"),
    ("news agency", "報道は共栄通信社が配信した。", "共栄通信社"),
    (
        "quoted name ending in a company word",
        "「五陵ハヤセグループ」を形成する。",
        "五陵ハヤセグループ",
    ),
    ("quoted name before 社", "「ノルデン」社の製品を使う。", "ノルデン"),
    (
        "quoted hiragana name + founding word",
        "「スタジオぽてぽて」を設立した。",
        "スタジオぽてぽて",
    ),
    (
        "kanji number inside a name after a legal form",
        "株式会社十和印は翻訳会社である。",
        "株式会社十和印",
    ),
    ("society of a field of study", "日本鉱物学会が命名した。", "日本鉱物学会"),
    ("company cue after particle", "2010年、ノルデンに入社した。", "ノルデン"),
    (
        "weak company cue, distinctive word",
        "2010年、グリフォーネの工場が完成した。",
        "グリフォーネ",
    ),
    # issue 13: context rules for names without a legal form (helper cosrules)
    ("officer title after a company word", "1931年、第二北斗保険社長に就任。", "第二北斗保険"),
    ("officer title after a proper noun", "日本曙染社長の田村が挨拶した。", "日本曙染"),
    ("officer title after a Latin name", "QX東嶺開発代表取締役社長に就任。", "QX東嶺開発"),
    ("counted list of companies", "ノルデン、グリフォーネの2社と契約した。", "ノルデン"),
    (
        "counted list of quoted companies",
        "「さくら北辰サービス」、その他に「ヴァルデン」の2社がある。",
        "さくら北辰サービス",
    ),
    (
        "katakana chain before a founding word",
        "2001年にミライ・コミックを設立した。",
        "ミライ・コミック",
    ),
    ("branch of a chain", "ツバメ上田店の開店は来月です。", "ツバメ"),
    ("listed before 等の〜メーカー", "北辰工業やトランペット等の中国メーカー", "トランペット"),
    ("phrase before a company cue", "2005年に東嶺陶器の社長に就任した。", "東嶺陶器"),
    ("phrase before a company cue", "ノルデンサイエンスの子会社である。", "ノルデンサイエンス"),
    ("company-shaped phrase beside a company", "南嶺バスから防長交通へ移籍した。", "南嶺バス"),
    ("company-shaped phrase beside a company", "日本碍子や東嶺陶器を分社した。", "東嶺陶器"),
    ("short form of ホールディングス", "両備グループと北辰吉祥庵HDが出店する。", "北辰吉祥庵HD"),
]

# (rule, text, words that must not be reported under any type)
LEFT_ALONE = [
    ("everyday text", "会議は来週の月曜日です。", ["会議", "来週", "月曜日"]),
    ("public place", "来週の会議は東京駅の近くで行います。", ["東京駅", "会議", "来週"]),
    ("public place", "羽田空港に到着したら連絡します。", ["羽田空港"]),
    ("unknown katakana word", "来週の会議はオフラインで行います。", ["オフライン"]),
    (
        "unknown katakana word",
        "ウェビナーの資料とサブスクの契約を確認。",
        ["ウェビナー", "サブスク"],
    ),
    ("unknown Latin word", "Meetingの議事録を送ります。", ["Meeting"]),
    ("unknown Latin word", "Regardsと書いてください。", ["Regards"]),
    ("regnal number", "3世代の家族が集まる。", ["3世"]),
    ("organisation word", "社内研究会を開催します。", ["研究会"]),
    ("organisation word", "労働組合との協議は来週です。", ["労働組合"]),
    ("organisation word", "営業センターに連絡してください。", ["センター"]),
    ("rare katakana + company context", "デビューは来月です。", ["デビュー"]),
    ("rare katakana + company context", "クーポンの販売を開始します。", ["クーポン"]),
    ("company cue after particle", "アップルパイを会議に持参します。", ["アップル"]),
    ("katakana company word", "オンラインストアで購入しました。", ["オンラインストア", "ストア"]),
    ("katakana company word", "ハードウェア・ソフトウェアの保守契約", ["ソフトウェア"]),
    ("katakana chain of everyday words", "メール・チャットで連絡します。", ["メール", "チャット"]),
    ("legal form split by Sudachi", "監査法人の選定を進めます。", ["監査法人"]),
    ("kanji name + company word", "化学工業の動向を調べる。", ["化学工業"]),
    ("kanji name + company word", "地方銀行の再編が進む。", ["地方銀行"]),
    ("kanji name + company word", "大手商社に就職した。", ["大手商社"]),
    ("surname + unlisted given name", "東京本社にて会議を行います。", ["東京本社", "本社"]),
    (
        "katakana given name that is an everyday word",
        "ベンダーから見積もりが届きました。",
        ["ベンダー"],
    ),
    ("role before a title", "プロダクトマネージャーが説明します。", ["プロダクト"]),
    ("English abstract noun", "マイグレーションの計画を共有します。", ["マイグレーション"]),
    ("English abstract noun", "データ・マイグレーションの手順です。", ["マイグレーション"]),
    ("quoted name + founding word", "「新会社」を設立します。", ["新会社"]),
    ("quoted name + founding word", "「営業推進室」を設立しました。", ["営業推進室"]),
    ("quoted name + founding word", "来週「定例会議」の社長説明があります。", ["定例会議"]),
    ("quoted name + founding word", "「東京駅」の製品展示は来週です。", ["東京駅"]),
    ("Sudachi proper noun that names no one", "社名変更のお知らせです。", ["社名変更"]),
    ("era and year", "寛永13年に建立された。", ["寛永"]),
    ("weak company cue, everyday word", "オフィスに勤務しています。", ["オフィス"]),
    ("weak company cue, everyday word", "チームの事業計画を共有します。", ["チーム"]),
    ("publisher before から発売", "来月から発売されます。", ["来月"]),
    ("listed beside a company", "株式会社ミライ精工とメールで調整します。", ["メール"]),
    ("listed beside a company", "メールや株式会社ミライ精工の資料", ["メール"]),
    ("katakana plural compound", "ユーザーニーズを調べる。", ["ユーザーニーズ", "ニーズ"]),
    ("quoted name ending in a company word", "「営業グループ」を新設します。", ["営業グループ"]),
    ("quoted name before 社", "「新規」社員の研修", ["新規"]),
    (
        "officer title after everyday words",
        "女性社長と二代目社長、IT企業社長に話を聞く。",
        ["女性", "二代目", "IT企業", "企業"],
    ),
    ("officer title after a person", "山田太郎社長が挨拶した。", ["山田太郎社長"]),
    ("officer title after everyday words", "新社長と前社長が出席した。", ["新", "前"]),
    ("counted list, one everyday item", "国内の3社と比較します。", ["国内"]),
    ("branch of a chain", "東京店と大阪店の売上を比べる。", ["東京店", "大阪店"]),
    ("phrase before a company cue", "大手銀行の株価が下がった。", ["大手銀行"]),
    ("company-shaped phrase beside a company", "観光バスや株式会社ミライ交通の車両", ["観光バス"]),
    ("company-shaped phrase beside a company", "高級陶器と株式会社ミライ精工の製品", ["高級陶器"]),
    ("short form of ホールディングス", "フルHDの画面で確認します。", ["フル"]),
    ("phrase before a company cue", "地方銀行の経営統合が進む。", ["地方銀行"]),
    ("phrase before a company cue", "営業部の社員に配布する。", ["営業部"]),
    (
        "everyday business loanword",
        "マイルストーンとバジェットを確認。",
        ["マイルストーン", "バジェット"],
    ),
]


def _names(redactor: Redactor, text: str) -> list[str]:
    return [e.text for e in redactor.analyze(text, RedactionProfile()) if e.type in NAME_TYPES]


@pytest.mark.parametrize(("rule", "text", "name"), CAUGHT, ids=[r[2] for r in CAUGHT])
def test_name_is_covered(redactor: Redactor, rule: str, text: str, name: str) -> None:
    start = text.index(name)
    spans = [
        (e.start, e.end) for e in redactor.analyze(text, RedactionProfile()) if e.type in NAME_TYPES
    ]
    assert any(s <= start and e >= start + len(name) for s, e in spans), (rule, spans)


@pytest.mark.parametrize(
    ("rule", "text", "absent"), LEFT_ALONE, ids=[r[1][:12] for r in LEFT_ALONE]
)
def test_common_words_are_left_alone(
    redactor: Redactor, rule: str, text: str, absent: list[str]
) -> None:
    reported = [e.text for e in redactor.analyze(text, RedactionProfile())]
    assert not any(a in r for a in absent for r in reported), (rule, reported)


def test_regnal_number_extends_a_listed_name(redactor: Redactor) -> None:
    assert "フリードリヒ・アウグスト3世" in _names(redactor, "フリードリヒ・アウグスト3世の治世")
