"""Shapefile parts, DBF text encodings and zip archives, for :mod:`gis.readers`.

A shapefile is several files side by side (``.shp``, ``.shx``, ``.dbf``, ``.prj``,
``.cpg``); its DBF text is often GBK without a ``.cpg`` to say so. A zip may hold a
shapefile or one other vector file, with member names in UTF-8 or GBK; unsafe archives
(members outside the archive, links, nested archives, zip bombs) are refused by
:func:`gis.uploads.check_zip`.
"""

from __future__ import annotations

import codecs
import shutil
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from gis.errors import FormatError
from gis.uploads import ZipLimits, check_zip

MAX_UNZIPPED_BYTES = 4 * 1024**3
"""Largest total size, in bytes, of the files a zip may unpack to."""

ZIP_LIMITS = ZipLimits(max_total_bytes=MAX_UNZIPPED_BYTES)
"""What a zipped layer may unpack to (members, size, compression ratio)."""

# what a zip may hold instead of a shapefile: GeoPackage, and the JSON and CSV suffixes
# that gis.readers reads
_ZIPPED_SUFFIXES = {".gpkg", ".json", ".geojson", ".esrijson", ".csv", ".txt"}
_REEXPORT = "export or download the file again; it may be truncated or damaged"


def _sidecar(shp: Path, ext: str) -> Path | None:
    """Find the ``ext`` file beside ``shp``, in lower or upper case as GDAL does."""
    return next(
        (c for c in (shp.with_suffix(ext), shp.with_suffix(ext.upper())) if c.is_file()), None
    )


def _dbf_encoding(parts: dict[str, Path], encoding: str | None) -> tuple[str | None, list[str]]:
    """Choose the DBF encoding for pyogrio (``None``: GDAL follows the .cpg); add notes."""
    if encoding:
        return encoding, [f"DBF text decoded as {encoding} (as requested)"]
    if ".dbf" not in parts:
        return None, []
    is_utf8 = _dbf_text_is_utf8(parts[".dbf"])
    declared = parts[".cpg"].read_text(errors="replace").strip() if ".cpg" in parts else ""
    if declared:
        if is_utf8 is False and declared.upper().replace("-", "") in ("UTF8", "65001"):
            # a GBK file with a wrong .cpg: GDAL would fail or store mojibake
            return "GB18030", [
                "DBF text decoded as GB18030: the .cpg says UTF-8 but the text is not "
                "valid UTF-8; if names look wrong, import again with the right encoding"
            ]
        return None, [f"DBF text decoded as {declared} (from the .cpg file)"]
    if is_utf8 is False:
        return "GB18030", ["DBF text decoded as GB18030 (no .cpg file; text is not UTF-8)"]
    return "UTF-8", ["DBF text decoded as UTF-8 (no .cpg file)"]


def _dbf_text_is_utf8(dbf: Path) -> bool | None:
    """Whether every field name and text value of a DBF is valid UTF-8.

    A value cut in the middle of a multi-byte character by the field width still
    counts as UTF-8. ``None`` when the DBF header cannot be parsed.
    """
    data = dbf.read_bytes()
    if len(data) < 32:
        return None
    records, header_size, record_size = struct.unpack("<IHH", data[4:12])
    names, text_fields, offset = [], [], 1  # byte 0 of a record is the deletion flag
    for pos in range(32, min(header_size, len(data)) - 31, 32):
        if data[pos] == 0x0D:
            break
        names.append(data[pos : pos + 11].split(b"\x00")[0])
        if data[pos + 11 : pos + 12] == b"C":
            text_fields.append((offset, data[pos + 16]))
        offset += data[pos + 16]
    values = [b"".join(names), data[header_size:]]  # usually all of it decodes at once
    if not _utf8(values[0], final=True) or not _utf8(values[1], final=True):
        values = names + [
            data[start + o : start + o + n]
            for start in range(header_size, header_size + records * record_size, record_size)
            for o, n in text_fields
        ]
    return all(_utf8(value.rstrip(b" \x00"), final=False) for value in values)


def _utf8(data: bytes, *, final: bool) -> bool:
    """Whether ``data`` is UTF-8; unless ``final``, a cut-off last character is allowed."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _unpack(path: Path, label: str, layer: str | None, folder: Path) -> tuple[str, str | None]:
    """Unpack the member to read, with its sidecars; return it and the layer to pass on."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = _safe_members(archive, label)
            member, inner_layer = _choose_member(list(members), layer, label)
            stem = PurePosixPath(member).with_suffix("").as_posix().lower()
            for name, info in members.items():
                if PurePosixPath(name).with_suffix("").as_posix().lower() == stem:
                    target = folder.joinpath(*PurePosixPath(name).parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, RuntimeError) as exc:
        # RuntimeError: encrypted member; NotImplementedError (a RuntimeError): method.
        raise FormatError(f"{label} cannot be unpacked: {exc}", fix=_REEXPORT) from exc
    return member, inner_layer


def _safe_members(archive: zipfile.ZipFile, label: str) -> dict[str, zipfile.ZipInfo]:
    """Files to unpack, by decoded name, once :func:`gis.uploads.check_zip` passes.

    Refuses absolute paths, ``..``, symbolic links, nested archives, too many members
    and zip bombs (see :mod:`gis.uploads`).
    """
    check_zip(archive, name=label, limits=ZIP_LIMITS)
    members = {}
    for info in archive.infolist():
        name = _member_name(info).replace("\\", "/")
        parts = PurePosixPath(name).parts
        if info.is_dir() or "__MACOSX" in parts or parts[-1].startswith("._"):
            continue
        members[name] = info
    return members


def _member_name(info: zipfile.ZipInfo) -> str:
    """Decode a member's name: UTF-8 flag, else try UTF-8, then GBK (GB18030)."""
    if info.flag_bits & 0x800 or info.filename.isascii():
        return info.filename
    raw = info.filename.encode("cp437")  # how zipfile decoded it; lossless
    return raw.decode("utf-8") if _utf8(raw, final=True) else raw.decode("gb18030", "replace")


def _choose_member(names: list[str], layer: str | None, label: str) -> tuple[str, str | None]:
    """Pick the member to read, and the layer to pass on to its reader."""
    shapefiles = [n for n in names if n.lower().endswith(".shp")]
    if not shapefiles:
        others = [n for n in names if PurePosixPath(n).suffix.lower() in _ZIPPED_SUFFIXES]
        if len(others) == 1:
            return others[0], layer
        raise FormatError(
            f"{label} holds no shapefile and not exactly one other vector file "
            f"(members: {', '.join(names) or 'none'})",
            fix="zip the .shp with its .shx, .dbf, .prj and .cpg files",
        )
    if layer is None and len(shapefiles) == 1:
        return shapefiles[0], None
    wanted = (layer or "").lower()
    matches = [
        n
        for n in shapefiles
        if wanted in (n.lower(), PurePosixPath(n).name.lower(), PurePosixPath(n).stem.lower())
    ]
    if len(matches) == 1:
        return matches[0], None
    if layer:
        problem = f"{label} has no shapefile named {layer!r}"
    else:
        problem = f"{label} holds {len(shapefiles)} shapefiles: {', '.join(shapefiles)}"
    raise FormatError(problem, fix=f"choose one with layer=<name>: {', '.join(shapefiles)}")
