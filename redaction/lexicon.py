"""Word lists behind the name recognizers: legal forms, company suffixes, honorifics, titles
and context words. Data only — kept apart so reviewers can extend lists without touching logic.
"""

from __future__ import annotations

import mimetypes as _mimetypes
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
# ``LEGAL_FORM_RE.fullmatch(word)`` is membership here (an alternation of literals): a hash
# lookup where the rules ask it of nearly every morpheme (issue 18).
LEGAL_FORMS: frozenset[str] = frozenset(LEGAL_FORMS_JA + LEGAL_ABBREVIATIONS)

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
    アソシエイツ インターナショナル インベストメンツ エアライン エアラインズ エンタテインメント エンターテインメント カンパニー ガス キャピタル クリニック グループ コミュニケーションズ
    コンサルティング コーポレーション システムズ ジャパン スタジオ ストア ソフト ソフトウェア テクノロジー テクノロジーズ テレビ ドラッグ ネット ネットワークス ハウス バス
    パートナーズ ビール ピクチャーズ ファイナンス フィルム フーズ プロ プロダクション ホテルズ ホールディングス ワークス メディア モーターズ ラボ リゾート レコーズ レコード 不動産
    乳業 事務所 交通 企画 会計事務所 会館 住宅 保険 信託 倉庫 光学 公司 公団 公社 出版 出版社 出版販売 化学 協会 協同組合 印刷 取引所 商事 商事会社 商会 商工 商店
    商社 商船 基金 堂 学園 屋 工務店 工場 工房 工業 工機 建設 建設工業 技研 損保 放送 新聞 新聞社 日動 映像 映画社 書店 書房 書院 楽器 機工 機械 機構 水産 汽船
    汽車 法律事務所 流通 海上 海運 火災 炭鉱 物流 物産 玩具 瓦斯 生命 産業 病院 百貨店 石油 研究所 社 窯業 精工 精機 紡績 組 組合 総研 自動車 興業 舎 航空
    航空会社 薬品 薬局 製作 製作所 製粉 製紙 製菓 製薬 製造 製鉄 製麺 観光 証券 財団 貿易 通信 通商 通運 連合会 連盟 運輸 運送 郵船 酒販 酒造 醸造 重工 重工業
    重機 鉄工 鉄工所 鉄道 鉄鋼 鉱山 鉱業 銀號 銀行 開発 集団 電力 電子 電工 電機 電気 電産 電線 電鉄 音楽出版 食品
    電灯 製油 造船 造船所 紡織 織物 舗道 鋪道 工芸 工藝 陶器 製陶 醤油 共販 染色 動画 電業
    """
)

# Organisation words: a name made of common words before them is still a name
# (落語芸術協会, 外食文化研究所). センター and 組合 count only with a proper noun in the name.
ORG_SUFFIXES: frozenset[str] = _words(
    """
    センター 会議所 労組 協会 協議会 協同組合 学会 大学 大学院 研究会 研究所 研究センター 短大 組合 財団 連合会 連盟
    """
)

# First words that make an organisation phrase generic (社内研究会, 当協会, 各大学).
NOT_ORG_STEMS: frozenset[str] = _words(
    """
    一部 両 他 会社 全 全国 各 同 地元 地域 当 本 海外 県内 社内 社外 市内 弊 貴 国内 国立 私立 公立 関係 関連 新 旧 某 次 前 元 現
    """
)

# Proper nouns ending in these are public places (東京駅, 羽田空港), not organisations.
FACILITY_SUFFIXES: tuple[str, ...] = (
    "駅", "空港", "港", "城", "公園", "橋", "寺", "神社", "神宮", "線", "通り", "口", "タワー",
    "球場", "ドーム", "川", "山", "島", "湖", "峠", "温泉",
)  # fmt: skip

# Company words that are also everyday katakana: the name before them must contain a word
# that is not everyday (ソニーストア, not オンラインストア; not ハードウェア・ソフトウェア).
GENERIC_COMPANY_SUFFIXES: frozenset[str] = _words(
    """
    ガス クリニック スタジオ ストア ソフト ソフトウェア テレビ ドラッグ ネット ハウス バス ビール フィルム プロ メディア ラボ リゾート
    """
)

# Suffixes specific enough that an unlisted kanji word before them is a company (東邦電力).
STRONG_COMPANY_SUFFIXES: frozenset[str] = _words(
    """
    乳業 信託 出版 商事 商会 商店 商船 工務店 工業 建設 損保 放送 新聞 書房 汽船 汽車 海運 物産 生命 精機 紡績 自動車 興業 航空 製作所 製粉 製紙 製菓 製薬 製鉄
    証券 通運 酒造 重工 重工業 鉄道 鉱山 鉱業 銀行 電力 電機 電鉄 電灯 製油 造船所 紡織
    通信社 新聞社 出版社
    """
)

# Words that, before a strong company word, name an industry rather than a company
# (化学工業, 金融証券, 地方銀行, 大手商社).
INDUSTRY_WORDS: frozenset[str] = _words(
    """
    一般 中小 中堅 主要 京浜 化学 医療 地方 外資 外国 大手 家電 情報 技術 投資 民間 民営 海外 石油 総合 繊維 自動 航空 製造 貿易 輸出 輸入 都市 重化学 金属 金融
    鉄鋼 電子 電気 各 全 同 当 本 某 他 国内 国際 国有 国営 公営 私鉄 信託 機械 精密 食品 生命 損害 運輸 通信 放送 出版 建設 不動産 百貨
    """
)

# Honorifics and titles that follow a person's name (山田様, 鈴木部長, ジョンソン氏).
PERSON_SUFFIXES: frozenset[str] = _words(
    """
    くん さま さん ちゃん マネジャー マネージャー 主任 主査 代表 会長 係長 先生 准教授 副社長 副部長 医師 博士 参与 取締役 君 夫人 嬢 室長 容疑 容疑者 専務 局長
    工場長 市長 常務 店長 弁護士 所長 投手 担当 捕手 支店長 教授 本部長 村長 様 次長 殿 氏 理事 理事長 町長 監査役 監督 知事 社長 被告 課長 議員 選手 部長 顧問
    館長 首相 大統領 総理 大臣 将軍 大将 大佐 中佐 少佐 中将 少将 親方 総裁 頭取 会頭 議長 委員長 総長 学長 校長 院長 編集長 主将 兄弟 夫妻 一家
    """
)

# Short words the dictionary also lists as surnames that, before an honorific or a title, are
# not names (奥様, 神様, 元部長, 前社長, 皆さん).
NOT_SHORT_SURNAMES: frozenset[str] = _words(
    """
    奥 神 王 皆 客 殿 姫 仏 父 母 兄 姉 弟 妹 娘 息子 旦那 元 前 新 旧 現 副 総 各 同 当 本 全 故 次 上 中 下 大 小 両 他 某
    歴代 初代 先代 先 後 次期 前任 後任 新任 現任 代表 社 店 支店 本部 部 課 係 室
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

# The same words inside longer tokens (販売員, 買収額, 子会社化).
COMPANY_CONTEXT_RE = re.compile(
    "買収|子会社|親会社|提携|株価|株式|上場|創業|創設|設立|販売|発売|傘下|出資|合併|社長|取締役|決算"
)

# Words that, right after "<name> の/が/に/と/は/を", say the name is a company
# (アップルに買収, ジャッカルの社長, オラクルと提携).
NEXT_TO_COMPANY: frozenset[str] = _words(
    """
    CEO 株価 株式 株主 子会社 親会社 傘下 買収 提携 出資 合併 創業者 創設者 創業 社長 会長 副社長 取締役 経営 本社 決算 上場 社員 従業員 製品
    入社 退社 就職 筆頭株主 大株主 関連会社 グループ会社 子会社化 経営陣 創業家 本店 代表取締役 最高経営責任者
    """
)

# Weaker cues of the same kind: they also follow places, teams and products, so the word
# before them must not be an everyday word (オラクルの工場, not オフィスに勤務).
WEAK_NEXT_TO_COMPANY: frozenset[str] = _words(
    """
    勤務 運営 提供 販売 発売 製造 受注 工場 店舗 ブランド 新製品 新商品 商品 事業 部門 役員 サービス
    """
)

# Words that, right after "<name> から/より", say the name is a company publishing or selling
# something (オーバーフローから発売, ペリカンより刊行).
FROM_COMPANY: frozenset[str] = _words(
    """
    発売 発行 刊行 出版 配給 リリース 配信開始
    """
)

# Words that, right after a quoted name and a particle, say the name is a company being
# founded or renamed (「X」を設立, 「X」に商号変更).
FOUNDING_WORDS: frozenset[str] = _words(
    """
    設立 創業 創立 開業 商号 社名 商号変更 社名変更
    """
)

# Upper-case words that are almost never a company in Japanese business text (and titles).
NOT_COMPANY_ACRONYMS: frozenset[str] = (
    _words(
        """
    AI AM API ASAP B2B B2C BCC BTOB BtoB CC CD CEO CFO CIO CM COO CPU CSV CTO DB DEAR DM DR DVD
    DX EC ESG EU FAQ FAX FW FY FYI GB GDP GPU GW HDD HELLO HI HR HTML HTTP HTTPS ID IOT IR ISO
    IT IaaS JIS JSON JST KB KG KPI LAN LGBT LLC MAIL MB MFA MM MR MRS MS MTG NG NO NPO OJT OK OS
    OTP PC PDF PM PR PROF PS PaaS Q1 Q2 Q3 Q4 QA RAM RE ROI SAAS SDGS SDGs SNS SQL SSD SSO SaaS
    TB TBD TEL THE TV UI UK UN URL US USA USB UTC UX VPN WAN WEB XML
    """
    )
    | frozenset(
        # File formats (the standard library's own table, not the machine's; from three
        # letters, since "AU" and "H" are names too) and the Office types it lacks: never
        # companies in prompts about files.
        [
            ext.lstrip(".").upper()
            for ext in _mimetypes.MimeTypes(filenames=()).types_map[True]
            if len(ext) > 3
        ]
        + ["XLSX", "XLSM", "DOCX", "PPTX"]
    )
    | _words(
        # Spreadsheet functions people ask about (Excel and Google Sheets), from five letters
        # (SUM, MAX, TEXT are words and names too); openpyxl's full list would cost seconds of
        # import time and predates the dynamic-array functions.
        """
    AVERAGE AVERAGEIF AVERAGEIFS CHOOSE CONCAT CONCATENATE COUNT COUNTA COUNTIF COUNTIFS
    DATEDIF EDATE EOMONTH FILTER HLOOKUP IFERROR INDEX INDIRECT ISBLANK ISERROR LAMBDA LOOKUP
    MATCH MAXIFS MEDIAN MINIFS NETWORKDAYS OFFSET QUERY ROUNDDOWN ROUNDUP SEARCH SEQUENCE SORTBY
    SUBSTITUTE SUMIF SUMIFS SUMPRODUCT TEXTJOIN UNIQUE VLOOKUP WEEKDAY WORKDAY XLOOKUP XMATCH
    """
    )
)

# Everyday business loanwords Sudachi's core dictionary does not know (or knows outside any
# synonym group), which the unknown-word rules would otherwise take for names.
COMMON_LOANWORDS: frozenset[str] = _words(
    """
    アグリー アップセル インクルージョン コミッティ インフルエンサー ウィジェット ウェビナー エクイティ オフライン オンボーディング ガバナンス クロスセル クーポン グロース サブスク
    ジャストアイデア スケーラビリティ チャーン テレカン ドタキャン ナーチャリング ニュースレター ネゴ ハック ハッシュタグ バジェット バリュエーション ファシリテーション
    フィックス プルリクエスト ペルソナ マイルストーン マネタイズ ユニコーン リーチ リテンション リファクタリング リマインダー レビュアー
    Approved Backlog Cheers Dev Done External Hotfix Items Legal Minutes Notes Offboarding Onboarding Prod Regards
    Roadmap Sincerely Standup Todo Urgent Webinar
    """
)

# Proper nouns in Sudachi's dictionary that name no one (systems, eras, software) and are
# everywhere in business text.
NOT_NAMES: frozenset[str] = (
    _words(
        """
    Android ChatGPT Chatgpt Excel Gmail Google LINE Mac Outlook PowerPoint Slack Teams Windows
    Word Zoom iPhone インボイス マイナンバー 令和 大正 平成 明治 昭和 社名変更 商号変更
    """
    )
    | COMMON_LOANWORDS
)
