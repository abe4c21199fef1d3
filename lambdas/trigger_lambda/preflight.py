"""Preflight one raw file: can it be read as its dataset's contract at all?

Streams the object once: checksum (to spot the same bytes under another key), size,
gzip, UTF-8 (BOM allowed), no binary content, and for CSV a header with every required
column. Row rules are the Glue job's business; this only decides ``bad_file``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import zlib
from dataclasses import dataclass, field

from .contracts import FileContract
from .storage import ObjectInfo, Storage

CHUNK = 1 << 20
HEADER_SCAN_CHARS = 64 * 1024
DEFAULT_MAX_BYTES = 5 * 1024**3


class BadFile(Exception):
    """The file cannot be read as the contract; the message is the human detail."""


@dataclass
class PreflightResult:
    key: str
    size: int
    modified: float
    sha256: str = ""
    ok: bool = True
    detail: str = ""
    header: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


class _HashingReader(io.RawIOBase):
    """Wraps a byte stream and hashes what passes through (so gzip reads count too)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def normalise_header(names: list[str]) -> list[str]:
    """Header names as the contract matches them: trimmed, lower-case."""
    return [name.strip(" ").lower() for name in names]


def check_header(header_text: str, contract: FileContract) -> tuple[list[str], list[str]]:
    """Return (header, ignored columns) or raise :class:`BadFile`."""
    rows = csv.reader(io.StringIO(header_text, newline=""), strict=True)
    try:
        header = next((row for row in rows if row), None)
    except csv.Error as exc:
        raise BadFile(f"header is not valid CSV ({exc})") from None
    if header is None:
        raise BadFile("no header line")
    names = normalise_header(header)
    missing = [col for col in contract.required_columns if col not in names]
    if missing:
        raise BadFile(f"missing required column(s): {', '.join(missing)}")
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise BadFile(f"duplicate column(s): {', '.join(duplicated)}")
    return names, [name for name in names if name not in contract.required_columns]


def _decoded_chunks(stream, key: str):
    """Yield UTF-8 text chunks (BOM stripped); raise BadFile for gzip/encoding/binary."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    source = gzip.GzipFile(fileobj=stream) if key.lower().endswith(".gz") else stream
    while True:
        try:
            data = source.read(CHUNK)
        except (OSError, EOFError, zlib.error) as exc:
            raise BadFile(f"not a readable gzip file ({exc})") from None
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise BadFile(f"not UTF-8 text (byte {exc.start} of a chunk)") from None
        if "\x00" in text:
            raise BadFile("binary content (NUL bytes)")
        if text:
            yield text
        if not data:
            return


def preflight(
    storage: Storage,
    info: ObjectInfo,
    contract: FileContract,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PreflightResult:
    """Check one object; never raises for a bad file, returns ``ok=False`` instead."""
    result = PreflightResult(key=info.key, size=info.size, modified=info.modified)
    raw = storage.open_read(info.key)
    hashing = _HashingReader(raw)
    try:
        if info.size == 0:
            raise BadFile("empty file")
        if info.size > max_bytes:
            raise BadFile(f"larger than the {max_bytes}-byte limit")
        head, saw_text = "", False
        for text in _decoded_chunks(io.BufferedReader(hashing, CHUNK), info.key):
            saw_text = saw_text or bool(text.strip())
            if len(head) < HEADER_SCAN_CHARS:
                head += text[: HEADER_SCAN_CHARS - len(head)]
        if not saw_text:
            raise BadFile("no content (only blank lines)")
        if contract.file_format == "csv":
            result.header, result.ignored_columns = check_header(head, contract)
    except BadFile as exc:
        result.ok, result.detail = False, str(exc)
        while hashing.read(CHUNK):  # finish the checksum of what we refuse
            pass
    finally:
        close = getattr(raw, "close", None)
        if close:
            close()
    result.sha256 = hashing.digest.hexdigest()
    return result
