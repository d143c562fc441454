"""Upload safety: size, real content type, and zip archives that are safe to unpack.

Pure functions on bytes or a path, for the CLI's readers now and an HTTP upload endpoint
later. :func:`check_upload` sniffs what a file really is from its first bytes and refuses a
name that says otherwise; :func:`check_zip` refuses archives that would write outside the
folder they are unpacked into (``../``, absolute paths, symbolic links), hold nested
archives or too many members, or unpack to far more than they weigh (zip bombs).

Every refusal is an :class:`UploadError`, a :class:`gis.errors.FormatError` (and so an
:class:`~gis.errors.InputError`) with a problem and a fix.

A zip's declared sizes are what these checks read; they cannot lie about what is later
unpacked, because :mod:`zipfile` stops reading a member at its declared size and checks
its CRC.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from gis.errors import FormatError

MAX_UPLOAD_BYTES = 512 * 1024**2
"""Default largest upload, in bytes (512 MiB)."""

_MIB = 1024**2
_SQLITE_MAGIC = b"SQLite format 3\x00"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_SHP_MAGIC = b"\x00\x00\x27\x0a"

#: What each file name suffix promises, as the kind :func:`sniff` finds.
SUFFIX_KINDS: dict[str, str] = {
    ".zip": "zip",
    ".gpkg": "sqlite",
    ".sqlite": "sqlite",
    ".json": "json",
    ".geojson": "json",
    ".esrijson": "json",
    ".csv": "text",
    ".txt": "text",
    ".shp": "shp",
}
_KIND_NAMES = {
    "zip": "a zip archive",
    "sqlite": "an SQLite database (GeoPackage)",
    "json": "JSON text",
    "text": "plain text (CSV)",
    "shp": "a shapefile .shp",
    "binary": "binary data of an unknown kind",
    "empty": "empty",
}


class UploadError(FormatError):
    """An upload refused before it is read: too large, mislabelled or unsafe."""


class UploadTooLarge(UploadError):
    """The upload is larger than the limit."""


class ContentMismatch(UploadError):
    """The file's name promises one format and its content is another."""


class UnsafeArchive(UploadError):
    """A zip that would write outside its folder, holds archives or too many members."""


class ZipBomb(UnsafeArchive):
    """A zip that unpacks to too much, or far more than it weighs."""


@dataclass(frozen=True)
class ZipLimits:
    """What a zip may unpack to.

    Parameters
    ----------
    max_members : int
        Most members (files and folders).
    max_total_bytes : int
        Largest total uncompressed size, in bytes.
    max_ratio : float
        Largest ratio of uncompressed to compressed size; only enforced when the total
        uncompressed size is above ``ratio_floor_bytes``, since tiny text files can
        compress very well without harm.
    ratio_floor_bytes : int
        Uncompressed size, in bytes, from which ``max_ratio`` applies.
    """

    max_members: int = 1000
    max_total_bytes: int = 4 * 1024**3
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 10 * _MIB


@dataclass(frozen=True)
class UploadInfo:
    """What :func:`check_upload` found: the content kind and the size in bytes."""

    kind: str
    size: int


def sniff(head: bytes) -> str:
    r"""The kind of content, from a file's first bytes (512 are plenty).

    Returns
    -------
    str
        ``"zip"``, ``"sqlite"``, ``"shp"``, ``"json"``, ``"text"``, ``"binary"`` or
        ``"empty"``.

    Examples
    --------
    >>> sniff(b"PK\x03\x04...")
    'zip'
    >>> sniff(b'  {"type": "FeatureCollection"')
    'json'
    """
    if not head:
        return "empty"
    if head.startswith(_ZIP_MAGICS):
        return "zip"
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_SHP_MAGIC):
        return "shp"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    return "text" if _looks_like_text(head) else "binary"


def _looks_like_text(head: bytes) -> bool:
    """Text in UTF-8, UTF-16 (BOM) or GBK: no NUL byte and few control characters."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls <= len(head) // 100


def check_upload(
    name: str, source: bytes | str | os.PathLike, limit_bytes: int = MAX_UPLOAD_BYTES
) -> UploadInfo:
    """Check an upload before reading it: size, real content against its name, zip safety.

    Parameters
    ----------
    name : str
        The file name as the user gave it; its suffix says what the content should be.
    source : bytes or path
        The content, or the path of the file holding it.
    limit_bytes : int
        Largest size accepted, in bytes.

    Returns
    -------
    UploadInfo
        The sniffed kind and the size.

    Raises
    ------
    UploadTooLarge
        Above ``limit_bytes``.
    ContentMismatch
        The content is not what the name's suffix says (a ``.zip`` that is not a zip, a
        ``.geojson`` that is a GeoPackage…), or it is empty or of an unknown kind.
    UnsafeArchive, ZipBomb
        A zip that fails :func:`check_zip` (with default :class:`ZipLimits`).
    """
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if size > limit_bytes:
        raise UploadTooLarge(
            f"{name} is {size / _MIB:.1f} MiB, more than the {limit_bytes / _MIB:.0f} MiB allowed",
            fix="upload only the layer to import, or zip it",
        )
    kind = sniff(_head(source))
    if kind in ("empty", "binary"):
        raise ContentMismatch(
            f"{name} is {_KIND_NAMES[kind]}, not a vector file",
            fix="upload a GeoPackage, GeoJSON, zipped shapefile or CSV",
        )
    expected = SUFFIX_KINDS.get(PurePosixPath(name.replace("\\", "/")).suffix.lower())
    if expected is not None and expected != kind:
        raise ContentMismatch(
            f"{name} is named as {_KIND_NAMES[expected]} but its content is {_KIND_NAMES[kind]}",
            fix="upload the file as exported, with its own name (do not rename a file to "
            "change its format)",
        )
    if kind == "zip":
        check_zip(source, name=name)
    return UploadInfo(kind, size)


def _head(source: bytes | str | os.PathLike, n: int = 512) -> bytes:
    if isinstance(source, bytes):
        return source[:n]
    with open(source, "rb") as stream:
        return stream.read(n)


def check_zip(
    source: bytes | str | os.PathLike | BinaryIO | zipfile.ZipFile,
    *,
    name: str = "the zip",
    limits: ZipLimits | None = None,
) -> list[zipfile.ZipInfo]:
    """Check that a zip archive is safe to unpack; return its members.

    Parameters
    ----------
    source : bytes, path, binary file or zipfile.ZipFile
        The archive.
    name : str
        How to call the archive in messages.
    limits : ZipLimits, optional
        Member count, total size and compression ratio allowed.

    Returns
    -------
    list of zipfile.ZipInfo
        Every member, in archive order.

    Raises
    ------
    UnsafeArchive
        A member name is absolute or climbs out with ``..``, a member is a symbolic
        link, a member is itself an archive, or there are too many members.
    ZipBomb
        The declared total uncompressed size is above the limit, or the ratio of
        uncompressed to compressed size is above ``max_ratio`` for a large archive.
    FormatError
        The archive cannot be opened (not a zip, truncated).
    """
    limits = limits or ZipLimits()
    if isinstance(source, zipfile.ZipFile):
        return _check_archive(source, name, limits)
    target = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(target) as archive:
            return _check_archive(archive, name, limits)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
        raise FormatError(
            f"{name} cannot be opened as a zip archive: {exc}",
            fix="export or download the file again; it may be truncated or damaged",
        ) from exc


def _check_archive(archive: zipfile.ZipFile, name: str, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeArchive(
            f"{name} holds {len(infos)} members, more than the {limits.max_members} allowed",
            fix="zip only the files of the layer to import",
        )
    for info in infos:
        _check_member(info, name)
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > limits.max_total_bytes:
        raise ZipBomb(
            f"{name} unpacks to {total / _MIB:.0f} MiB, more than the "
            f"{limits.max_total_bytes / _MIB:.0f} MiB allowed",
            fix="zip only the layer to import",
        )
    ratio = total / max(packed, 1)
    if total > limits.ratio_floor_bytes and ratio > limits.max_ratio:
        raise ZipBomb(
            f"{name} is refused as a zip bomb: it unpacks to {total / _MIB:.0f} MiB, "
            f"{ratio:.0f} times its compressed size (at most {limits.max_ratio:.0f} allowed)",
            fix="zip the real layer files; an archive this compressible is not a map layer",
        )
    for info in infos:
        if not info.is_dir() and info.file_size >= 4:
            with archive.open(info) as member:
                if member.read(4) in _ZIP_MAGICS:
                    raise UnsafeArchive(
                        f"{name} is refused: member {info.filename!r} is itself a zip archive",
                        fix="unpack the inner archive and zip the layer's files directly",
                    )
    return infos


def _check_member(info: zipfile.ZipInfo, name: str) -> None:
    member = info.filename.replace("\\", "/")
    if member.startswith("/") or re.match(r"[A-Za-z]:", member) or ".." in member.split("/"):
        raise UnsafeArchive(
            f"{name} is refused: member {member!r} points outside the archive",
            fix="zip the files again with relative paths",
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchive(
            f"{name} is refused: member {member!r} is a symbolic link",
            fix="zip the files themselves, not links to them",
        )
    if PurePosixPath(member).suffix.lower() in (".zip", ".7z", ".rar", ".gz", ".tar", ".tgz"):
        raise UnsafeArchive(
            f"{name} is refused: member {member!r} is itself an archive",
            fix="unpack the inner archive and zip the layer's files directly",
        )
