"""Word lists behind the name recognizers: legal forms, company suffixes, honorifics, titles
and context words. Data only — kept apart so reviewers can extend lists without touching logic.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# 会社法・各種法人法の法人格 (before or after the name) and their customary abbreviations.
LEGAL_FORMS_JA: tuple[str, ...] = (
    "株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "相互会社",
    "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人", "社団法人", "財団法人",
    "特定非営利活動法人", "NPO法人", "医療法人社団", "医療法人財団", "医療法人",
    "社会福祉法人", "学校法人", "宗教法人", "独立行政法人", "国立研究開発法人",
    "国立大学法人", "地方独立行政法人", "有限責任事業組合", "有限責任中間法人",
    "監査法人", "税理士法人", "弁護士法人", "司法書士法人", "行政書士法人", "社会保険労務士法人",
    "農事組合法人", "協同組合", "事業協同組合", "信用金庫", "信用組合",
)  # fmt: skip
# After NFKC, ㈱ ㈲ ㈳ ㈶ become (株) (有) (社) (財).
LEGAL_ABBREVIATIONS: tuple[str, ...] = (
    "(株)", "(有)", "(同)", "(合)", "(資)", "(名)", "(社)", "(財)", "(医)", "(学)", "(福)",
    "(宗)", "(独)", "(一社)", "(一財)", "(公社)", "(公財)", "(特非)", "(NPO)", "(株", "株)",
)  # fmt: skip
LEGAL_FORM_RE = re.compile(
    "|".join(re.escape(f) for f in sorted(LEGAL_FORMS_JA + LEGAL_ABBREVIATIONS, key=len)[::-1])
)

# English legal forms, after a capitalised name ("Acme Trading Co., Ltd.", "Foo K.K.").
LEGAL_FORMS_EN = (
    r"Co\.,?\s?Ltd\.?|Company\s+Limited|Corporation|Incorporated|Inc\.?|Corp\.?|Ltd\.?|"
    r"Limited|LLC|L\.L\.C\.|LLP|K\.K\.|G\.K\.|Y\.K\.|PLC|plc|GmbH|AG|S\.A\.|N\.V\.|B\.V\.|"
    r"Pte\.?\s?Ltd\.?|Pty\.?\s?Ltd\.?|Holdings|Group"
)

# English words that make a capitalised phrase a company (Acme Trading, Foo Holdings).
ENGLISH_COMPANY_WORDS: frozenset[str] = _words(
    """
    AG BANK CO COMPANY CORP CORPORATION GMBH GROUP HOLDINGS INC INCORPORATED INDUSTRIES KK
    LIMITED LLC LLP LTD PARTNERS PLC SYSTEMS TECHNOLOGIES TRADING
    """
)

# Last words of company (and other organisation) names without a legal form (九州電力, 西武バス,
# フェンダー社, 日本化学会).
COMPANY_SUFFIXES: frozenset[str] = _words(
    """
    アソシエイツ インベストメンツ エアライン エアラインズ エンタテインメント エンターテインメント カンパニー ガス キャピタル クリニック グループ コミュニケーションズ
    コンサルティング コーポレーション システムズ ジャパン スタジオ ストア ソフト ソフトウェア テクノロジー テクノロジーズ テレビ ドラッグ ネット ネットワークス ハウス バス
    パートナーズ ビール ピクチャーズ ファイナンス フィルム フーズ プロ プロダクション ホテルズ ホールディングス メディア モーターズ ラボ リゾート レコーズ レコード 不動産
    乳業 事務所 交通 企画 会計事務所 会館 住宅 保険 信託 倉庫 光学 公司 公団 公社 出版 出版社 出版販売 化学 協会 協同組合 印刷 取引所 商事 商事会社 商会 商工 商店
    商社 商船 基金 堂 学園 屋 工務店 工場 工房 工業 工機 建設 建設工業 技研 損保 放送 新聞 新聞社 日動 映像 映画社 書店 書房 書院 楽器 機工 機械 機構 水産 汽船
    汽車 法律事務所 流通 海上 海運 火災 炭鉱 物流 物産 玩具 瓦斯 生命 産業 病院 百貨店 石油 研究所 社 窯業 精工 精機 紡績 組 組合 総研 自動車 興業 舎 航空
    航空会社 薬品 薬局 製作 製作所 製粉 製紙 製菓 製薬 製造 製鉄 製麺 観光 証券 財団 貿易 通信 通商 通運 連合会 連盟 運輸 運送 郵船 酒販 酒造 醸造 重工 重工業
    重機 鉄工 鉄工所 鉄道 鉄鋼 鉱山 鉱業 銀號 銀行 開発 集団 電力 電子 電工 電機 電気 電産 電線 電鉄 音楽出版 食品
    """
)

# Suffixes specific enough that an unlisted kanji word before them is a company (東邦電力).
STRONG_COMPANY_SUFFIXES: frozenset[str] = _words(
    """
    乳業 信託 出版 商事 商会 商店 商船 工務店 工業 建設 損保 放送 新聞 書房 汽船 汽車 海運 物産 生命 精機 紡績 自動車 興業 航空 製作所 製粉 製紙 製菓 製薬 製鉄
    証券 通運 酒造 重工 重工業 鉄道 鉱山 鉱業 銀行 電力 電機 電鉄
    """
)

# Honorifics and titles that follow a person's name (山田様, 鈴木部長, ジョンソン氏).
PERSON_SUFFIXES: frozenset[str] = _words(
    """
    くん さま さん ちゃん マネジャー マネージャー 主任 主査 代表 会長 係長 先生 准教授 副社長 副部長 医師 博士 参与 取締役 君 夫人 嬢 室長 容疑 容疑者 専務 局長
    工場長 市長 常務 店長 弁護士 所長 投手 担当 捕手 支店長 教授 本部長 村長 様 次長 殿 氏 理事 理事長 町長 監査役 監督 知事 社長 被告 課長 議員 選手 部長 顧問
    """
)

# Words that end a company name read away from a legal form (株式会社ABC営業部).
NAME_STOPS: frozenset[str] = (
    _words(
        """
    から では との など より グループ会社 事業部 代表取締役 傘下 各位 同社 向け 営業 営業所 営業部 子会社 宛 宛て 室 工場 弊社 当社 従業員 御中 御社 担当者 支店
    支社 本社 本部 社 社員 等 行 製 親会社 課 貴社 部 間 関係者
    """
    )
    | PERSON_SUFFIXES
)

# Words that, in the same text, say a proper noun probably names a company.
COMPANY_CONTEXT: frozenset[str] = _words(
    """
    グループ スポンサー メーカー 上場 事業 代表取締役 企業 会社 会長 倒産 傘下 入社 出資 創業 創立 取引 取引先 取締役 受注 合併 吸収 商号 商社 売上 契約 子会社
    提携 新社 本社 株主 株価 決算 発売 発注 破産 社名 社員 社長 系列 納品 経営 製造 親会社 設立 販売 買収 資本 退社 銀行
    """
)

# Upper-case words that are almost never a company in Japanese business text (and titles).
NOT_COMPANY_ACRONYMS: frozenset[str] = _words(
    """
    AI AM API ASAP B2B B2C BCC BTOB BtoB CC CD CEO CFO CIO CM COO CPU CSV CTO DB DEAR DM DR DVD
    DX EC ESG EU FAQ FAX FW FY FYI GB GDP GPU GW HDD HELLO HI HR HTML HTTP HTTPS ID IOT IR ISO
    IT IaaS JIS JSON JST KB KG KPI LAN LGBT LLC MAIL MB MFA MM MR MRS MS MTG NG NO NPO OJT OK OS
    OTP PC PDF PM PR PROF PS PaaS Q1 Q2 Q3 Q4 QA RAM RE ROI SAAS SDGS SDGs SNS SQL SSD SSO SaaS
    TB TBD TEL THE TV UI UK UN URL US USA USB UTC UX VPN WAN WEB XML
    """
)

# Proper nouns in Sudachi's dictionary that name no one (systems, eras, software) and are
# everywhere in business text.
NOT_NAMES: frozenset[str] = _words(
    """
    Android ChatGPT Chatgpt Excel Gmail Google LINE Mac Outlook PowerPoint Slack Teams Windows
    Word Zoom iPhone インボイス マイナンバー 令和 大正 平成 明治 昭和
    """
)
