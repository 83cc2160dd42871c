"""Leak scans: is any raw value of a declared PII column in a frame, a table or a file?

The end-to-end guarantee ("raw personal data never reaches a model, an artifact or an
output table") is tested by collecting the raw values of the real data's declared PII
columns (:func:`leak_needles`) and searching for them in generated frames
(:func:`scan_frame`) and under ``target/`` (:func:`scan_files`). Hits are reported
without the value itself: the source column, where it was found, how often, and a
fingerprint.

File scans read raw bytes, so they see JSON, logs and SQL; zip archives (a
``torch.save`` file is one, and its members may be deflated) and gzip files are opened
and every member is searched too. Columnar formats (Parquet pages, DuckDB blocks) may
compress strings, so read those tables into frames and use :func:`scan_frame`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from synthohive_dbt.project.model import Table

from .declarations import pii_columns
from .transforms import as_text

#: shorter values (``Ann``, ``42``) turn up by coincidence and prove nothing
MIN_NEEDLE_LENGTH = 6
_MAX_FILE_BYTES = 256 * 1024 * 1024
#: archives inside archives are opened this deep
_MAX_ARCHIVE_DEPTH = 3
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Leak:
    """A raw PII value found where it must not be."""

    source_column: str  # the real column the value came from
    location: str  # "column <name>" of a frame, or a file path
    hits: int  # how many distinct raw values were found there
    fingerprint: str  # sha256 prefix of one value found, to look it up privately


def leak_needles(
    real: pd.DataFrame,
    table: Table,
    *,
    min_length: int = MIN_NEEDLE_LENGTH,
    include_keep: bool = False,
) -> dict[str, set[str]]:
    """Distinct raw values of ``table``'s declared PII columns in ``real``.

    ``keep`` columns (the explicit opt-out) are left out unless ``include_keep``: their
    raw values are meant to reach the output, which makes them the positive control of
    a leak test.
    """
    needles: dict[str, set[str]] = {}
    names = {c.name for c in table.columns if c.pii is not None} if include_keep else pii_columns(table)
    for name in sorted(names):
        if name not in real.columns:
            continue
        texts = as_text(real[name]).dropna().astype(str)
        values = {t for t in texts.unique() if len(t) >= min_length}
        if values:
            needles[name] = values
    return needles


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def _pattern(values: Iterable[str]) -> re.Pattern[str]:
    # longest first so an alternation reports the longest raw value at a position
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


def scan_frame(frame: pd.DataFrame, needles: dict[str, set[str]]) -> list[Leak]:
    """Raw values found in any column of ``frame``, as whole cells or inside text."""
    leaks: list[Leak] = []
    for source, values in needles.items():
        pattern = _pattern(values)
        for column in frame.columns:
            found = _found_in_column(frame[column], values, pattern)
            if found:
                leaks.append(Leak(source, f"column {column}", len(found), _fingerprint(min(found))))
    return leaks


def _found_in_column(series: pd.Series, values: set[str], pattern: re.Pattern[str]) -> set[str]:
    texts = as_text(series).dropna().astype(str)
    found = set(texts[texts.isin(values)].unique())
    for match in texts.str.findall(pattern):
        found.update(match)
    return found


def scan_files(root: str | Path, needles: dict[str, set[str]]) -> list[Leak]:
    """Raw values found in any file under ``root`` (UTF-8 encoded), archive members included.

    A file's own bytes are searched, and when it is a zip archive or gzip stream its
    decompressed members too, each reported as ``<file>!<member>``.
    """
    patterns = {
        source: re.compile(
            b"|".join(re.escape(v.encode("utf-8")) for v in sorted(values, key=len, reverse=True))
        )
        for source, values in needles.items()
    }
    leaks: list[Leak] = []
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        if path.stat().st_size > _MAX_FILE_BYTES:
            continue
        for location, data in _contents(str(path), path.read_bytes(), depth=0):
            for source, pattern in patterns.items():
                found = {m.decode("utf-8", "replace") for m in pattern.findall(data)}
                if found:
                    leaks.append(Leak(source, location, len(found), _fingerprint(min(found))))
    return leaks


def _contents(location: str, data: bytes, *, depth: int) -> Iterator[tuple[str, bytes]]:
    """The bytes of a file, then those of every member of it as an archive (recursively)."""
    yield location, data
    if depth >= _MAX_ARCHIVE_DEPTH:
        return
    if data[:2] == _GZIP_MAGIC:
        try:
            inner = gzip.decompress(data)
        except (OSError, EOFError):
            return  # not a gzip stream after all: its raw bytes were searched
        yield from _contents(f"{location}!gunzip", inner, depth=depth + 1)
    elif zipfile.is_zipfile(io.BytesIO(data)):
        yield from _zip_members(location, data, depth)


def _zip_members(location: str, data: bytes, depth: int) -> Iterator[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir() or info.file_size > _MAX_FILE_BYTES:
                    continue
                inner = archive.read(info)
                yield from _contents(f"{location}!{info.filename}", inner, depth=depth + 1)
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError):
        # a stray zip signature in another format, or an encrypted/unsupported member:
        # the raw bytes were searched already
        return
