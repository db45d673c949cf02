"""Presidio recognizers, one per file and class, for Japanese (and English) business text.

They run on the normalised text (see ``redaction.normalize``), so patterns need not handle
full-width digits or zero-width characters. Patterns avoid ``\\b`` (Python treats kana and
kanji as word characters, so ``メールはtaro@example.co.jpです`` has no boundary before the address).
"""
