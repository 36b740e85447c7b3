"""Bytes to text for mail bodies and headers: the declared charset first, repaired labels,
charset detection as the fallback, and never an exception or a lone surrogate in the result."""

from __future__ import annotations

import codecs
import logging
import re

import charset_normalizer

log = logging.getLogger(__name__)

# Labels that mail software writes but Python does not know, or knows only as a smaller
# charset than the one senders really use (the WHATWG encoding standard makes the same calls).
_LABEL_FIXES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "x-windows-949": "cp949",
    "windows-949": "cp949",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "x-mac-roman": "mac-roman",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "utf8": "utf-8",
}
# Labels that say "we do not know": go straight to detection.
_UNKNOWN_LABELS = frozenset(
    {"unknown-8bit", "unknown", "x-unknown", "x-user-defined", "8bit", "default", "binary", "none"}
)
# Codecs whose bytes are not ASCII-transparent, so the pure-ASCII shortcut must not be taken.
_NOT_ASCII_SAFE = ("utf_7", "utf_16", "utf_32", "iso2022", "hz")
# Multi-byte codecs: for these a valid-UTF-8 test is not evidence of a wrong label.
_MULTIBYTE = (
    "cp949",
    "euc_",
    "gb",
    "big5",
    "cp932",
    "shift_jis",
    "cp950",
    "johab",
    "iso2022",
    "hz",
)
_ASCII_LABELS = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us"})
# Detection on a bounded sample: charset-normalizer's cost grows with the input.
_DETECT_SAMPLE = 64 * 1024
# Candidates for detection: the charsets mail is really written in. Left to itself the detector
# proposes UTF-16 or cp1006 (Urdu) for a few stray Latin bytes.
_MAIL_CHARSETS = [
    "utf_8", "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "koi8_r", "koi8_u", "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_15", "iso8859_16",
    "cp866", "mac_roman", "cp874", "cp949", "gb18030", "big5", "cp932", "euc_jp", "iso2022_jp",
]  # fmt: skip
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def codec_for(label: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None when it is unknown or unusable."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    # RFC 2231 allows "utf-8*en": the language tag is not part of the charset.
    name = name.split("*", 1)[0]
    if not name or name in _UNKNOWN_LABELS:
        return None
    name = _LABEL_FIXES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, label: str | None = None) -> tuple[str, str | None]:
    """Decode ``data`` declared as ``label``; returns the text and a short note when repaired."""
    codec = codec_for(label)
    if data.isascii() and not (codec and codec.startswith(_NOT_ASCII_SAFE)):
        return clean_text(data.decode("ascii")), None
    declared = (label or "").strip().lower()
    note = None
    if codec and declared not in _ASCII_LABELS:
        text = _try(data, codec)
        if text is not None and not codec.startswith(_MULTIBYTE) and not codec.startswith("utf"):
            # UTF-8 sent under a single-byte label is the commonest mislabel; real text in a
            # single-byte charset is practically never valid UTF-8 by accident.
            as_utf8 = _try(data, "utf-8")
            if as_utf8 is not None:
                return clean_text(as_utf8), f"charset: {declared} was utf-8"
            if _C1_CONTROLS.search(text):
                text = None
        if text is not None:
            return clean_text(text), None
        if codec.startswith(_MULTIBYTE):
            # Detection rarely beats the declared CJK charset; a few bad bytes (a truncated
            # character, a vendor extension) are better lost than the whole text garbled.
            lenient = data.decode(codec, "replace")
            if lenient.count("\ufffd") <= max(2, len(lenient) // 100):
                return clean_text(lenient), f"charset: {declared} had undecodable bytes"
        note = f"charset: {declared} did not decode"
    elif declared and declared not in _ASCII_LABELS and codec is None:
        note = f"charset: unknown {declared[:40]}"
    as_utf8 = _try(data, "utf-8")
    if as_utf8 is not None:
        return clean_text(as_utf8), note
    detected = detect(data)
    if detected is not None:
        text = data.decode(detected, "replace")
        return clean_text(text), f"{note or 'charset: undeclared'}, detected {detected}"
    return clean_text(data.decode("utf-8", "replace")), f"{note or 'charset: undeclared'}, guessed"


def detect(data: bytes) -> str | None:
    """The most plausible codec for ``data`` by charset-normalizer, or None."""
    try:
        best = charset_normalizer.from_bytes(
            data[:_DETECT_SAMPLE], cp_isolation=_MAIL_CHARSETS
        ).best()
    except Exception:  # detection is a best effort; a bug there must not lose the message
        log.debug("charset detection failed", exc_info=True)
        return None
    if best is None:
        return None
    return codec_for(best.encoding)


def clean_text(text: str) -> str:
    """Text safe to store: no NUL (PostgreSQL rejects it) and no lone surrogates (not UTF-8)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii() and _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    return text


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
