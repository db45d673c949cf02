"""Text out of the files staff attach to a chat: .txt, .docx, .pdf, .vtt/.srt, .xlsx.

One function, ``extract``, turns the bytes of one file into plain text; the page then puts that
text through the same preview and redaction as anything typed. The raw file is never stored: it
arrives in memory, is read here and dropped. Each format is read by a well-kept library
(python-docx, pypdf, webvtt-py, openpyxl); this module only picks the reader and checks limits.
It must not redact, call a provider or know about HTTP.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath

from gateway.kernel.errors import BadRequest
from policies.model import DocumentLimits

# A .docx or .xlsx is a zip: refuse one that inflates far beyond its size (a zip bomb).
_MAX_INFLATION = 40


class DocumentRefused(BadRequest):
    code = "document_refused"


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    kind: str  # the extension, without the dot
    text: str

    @property
    def chars(self) -> int:
        return len(self.text)


def _txt(data: bytes) -> str:
    # Files saved by Japanese Windows tools are often Shift_JIS (cp932) without a marker.
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentRefused(
        "文字コードを判別できません。UTF-8 か Shift_JIS で保存し直してください。",
        "Unknown text encoding; save the file as UTF-8 or Shift_JIS.",
    )


def _check_zip(data: bytes, limits: DocumentLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _unreadable() from None
    if inflated > limits.max_bytes * _MAX_INFLATION:
        raise DocumentRefused(
            "ファイルの展開後のサイズが大きすぎます。", "The file inflates to too large a size."
        )


def _docx(data: bytes) -> str:
    from docx import Document as open_docx
    from docx.table import Table

    lines: list[str] = []
    for block in open_docx(io.BytesIO(data)).iter_inner_content():
        if isinstance(block, Table):
            lines.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise DocumentRefused(
            "パスワード付きの PDF は読み取れません。パスワードを外して添付してください。",
            "Password-protected PDFs cannot be read; remove the password first.",
        )
    text = "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    if not text.strip():
        raise DocumentRefused(
            "この PDF には文字のデータがありません (スキャンした画像の PDF のようです)。"
            "文字認識 (OCR) をしてから添付するか、元の Word などのファイルを添付してください。",
            "This PDF has no text layer (it looks like a scanned image). Run OCR first, or "
            "attach the original document.",
        )
    return text


def _speaker_lines(cues: Iterator[tuple[str | None, str]]) -> str:
    """``山田: ...`` lines; consecutive cues of one speaker become one line."""
    lines: list[list[str]] = []  # [speaker or "", text]
    for speaker, text in cues:
        said = " ".join(text.split())
        if not said:
            continue
        if lines and speaker and lines[-1][0] == speaker:
            lines[-1][1] += " " + said
        else:
            lines.append([speaker or "", said])
    return "\n".join(f"{who}: {said}" if who else said for who, said in lines)


def _transcript(data: bytes, kind: str) -> str:
    import webvtt
    from webvtt.errors import MalformedFileError

    text = _txt(data)
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=kind)
    except MalformedFileError:
        raise _unreadable() from None
    return _speaker_lines((caption.voice, caption.text) for caption in captions.captions)


def _xlsx(data: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        parts: list[str] = []
        for sheet in book.worksheets:
            parts.append(f"## {sheet.title}")
            for row in sheet.iter_rows(values_only=True):
                cells = ["" if v is None else str(v) for v in row]
                if any(cells):
                    parts.append("\t".join(cells).rstrip("\t"))
        return "\n".join(parts)
    finally:
        book.close()


_READERS: dict[str, Callable[[bytes], str]] = {
    "txt": _txt,
    "md": _txt,
    "csv": _txt,
    "docx": _docx,
    "pdf": _pdf,
    "vtt": lambda data: _transcript(data, "vtt"),
    "srt": lambda data: _transcript(data, "srt"),
    "xlsx": _xlsx,
}
SUPPORTED = tuple(_READERS)


def _unreadable() -> DocumentRefused:
    return DocumentRefused(
        "ファイルを読み取れませんでした。壊れているか、拡張子と中身が違うようです。",
        "The file could not be read: it is damaged or not what its extension says.",
    )


def _kind(name: str) -> str:
    kind = PurePath(name).suffix.lower().lstrip(".")
    if kind not in _READERS:
        listed = "、".join(f".{k}" for k in SUPPORTED)
        raise DocumentRefused(
            f"この種類のファイルは添付できません。添付できるのは {listed} です。",
            f"This kind of file cannot be attached; supported: {', '.join(SUPPORTED)}.",
        )
    return kind


def too_large(limits: DocumentLimits) -> DocumentRefused:
    mib = limits.max_bytes / 1024 / 1024
    return DocumentRefused(
        f"ファイルが大きすぎます (上限 {mib:g} MB)。",
        f"The file is too large (at most {mib:g} MB).",
    )


def extract(*, name: str, data: bytes, limits: DocumentLimits) -> Document:
    """The text of one attached file. Raises ``DocumentRefused`` with a message for staff."""
    kind = _kind(name)
    if len(data) > limits.max_bytes:
        raise too_large(limits)
    if kind in ("docx", "xlsx"):
        _check_zip(data, limits)
    try:
        text = _READERS[kind](data)
    except DocumentRefused:
        raise
    except Exception as exc:  # each library has its own errors for a damaged file
        raise _unreadable() from exc
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise DocumentRefused("ファイルに文字がありません。", "The file contains no text.")
    if len(text) > limits.max_chars:
        raise DocumentRefused(
            f"文章が長すぎます ({len(text):,} 文字、上限 {limits.max_chars:,} 文字)。"
            "必要な部分に分けて添付してください。",
            f"The text is too long ({len(text):,} characters, at most {limits.max_chars:,}); "
            "attach the part you need.",
        )
    return Document(name=PurePath(name).name, kind=kind, text=text)
