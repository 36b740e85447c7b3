"""The files inside an Outlook TNEF container (``winmail.dat``, application/ms-tnef).

Read with tnefparse, behind a cheap structural check so a hostile container cannot stall it.
"""

from __future__ import annotations

import logging
import mimetypes
import struct

from tnefparse.tnef import TNEF

from inbox.charsets import clean_text, decode_bytes
from inbox.message import Attachment

log = logging.getLogger(__name__)

TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
# tnefparse copies the rest of the buffer for every object, so a container made of many tiny
# objects costs quadratic time: count the objects first and refuse absurd ones.
MAX_OBJECTS = 5000
MAX_FILES = 200
_OBJECT_HEADER = struct.Struct("<BHHI")  # level, name, type, length
_OBJECT_OVERHEAD = 11  # the header above plus a 2-byte checksum


def is_tnef(content_type: str, filename: str | None) -> bool:
    return content_type == "application/ms-tnef" or (filename or "").lower() == "winmail.dat"


def tnef_attachments(data: bytes, container: str) -> tuple[list[Attachment], str | None]:
    """The files inside ``data``, each marked ``inside=container``, and a defect note if broken."""
    if not data.startswith(TNEF_SIGNATURE):
        return [], "tnef: not a TNEF container"
    if _object_count(data) > MAX_OBJECTS:
        return [], f"tnef: more than {MAX_OBJECTS} objects, not read"
    try:
        tnef = TNEF(data, do_checksum=False)
        found = list(tnef.attachments)
    except Exception as exc:  # tnefparse raises anything from struct.error to AttributeError
        log.debug("broken TNEF container %s: %r", container, exc)
        return [], f"tnef: unreadable ({type(exc).__name__})"
    files = []
    for item in found[:MAX_FILES]:
        name = _name(item)
        content_type = (mimetypes.guess_type(name)[0] if name else None) or (
            "application/octet-stream"
        )
        size = len(item.data) if isinstance(item.data, bytes | bytearray) else 0
        files.append(Attachment(name, content_type, size, inside=container))
    note = f"tnef: files capped at {MAX_FILES}" if len(found) > MAX_FILES else None
    return files, note


def _object_count(data: bytes) -> int:
    count, offset = 0, 6
    while offset + 12 < len(data) and count <= MAX_OBJECTS:
        length = _OBJECT_HEADER.unpack_from(data, offset)[3]
        offset += min(len(data) - offset, length + _OBJECT_OVERHEAD)
        count += 1
    return count


def _name(item: object) -> str | None:
    try:
        raw = item.long_filename()  # type: ignore[attr-defined]
    except Exception:  # a name of the wrong MAPI type or not in UTF-8 breaks the lookup
        raw = getattr(item, "_name", None)
    if isinstance(raw, bytes):
        raw, _ = decode_bytes(raw.split(b"\x00", 1)[0], None)
    if not isinstance(raw, str):
        return None
    name = clean_text(raw).strip("\x00").strip()
    return name[:255] or None
