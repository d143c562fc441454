"""Receiving an uploaded layer file: streamed to disk under a size limit, then checked.

The file is written in chunks to a private temporary folder, counting bytes as they come,
so an oversized upload is refused before it fills the disk; :func:`gis.uploads.check_upload`
then sniffs its real content and checks zips for traversal and bombs. The folder is removed
whatever happens.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from gis.uploads import UploadTooLarge, check_upload

_CHUNK = 1024 * 1024
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def safe_name(name: str | None) -> str:
    """The upload's file name reduced to its last part and safe characters (keeps Chinese)."""
    last = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE_NAME.sub("_", last).lstrip(".")
    return cleaned[:120] or "upload"


@contextmanager
def received(stream: BinaryIO, name: str | None, folder: Path, limit_bytes: int) -> Iterator[Path]:
    """Write ``stream`` to a file in a new temporary folder under ``folder`` and check it.

    Yields
    ------
    Path
        The checked file, named after the upload; deleted with its folder on exit.

    Raises
    ------
    gis.uploads.UploadTooLarge
        As soon as more than ``limit_bytes`` arrive.
    gis.uploads.UploadError
        If :func:`gis.uploads.check_upload` refuses the content.
    """
    folder.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="upload-", dir=folder))
    try:
        target = workdir / safe_name(name)
        size = 0
        with target.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit_bytes:
                    raise UploadTooLarge(
                        f"{target.name} is more than the {limit_bytes / _CHUNK:.0f} MiB allowed",
                        fix="upload only the layer to import, zipped, or ask an admin to raise "
                        "WANGGE_UPLOAD_MAX_MB",
                    )
                out.write(chunk)
        check_upload(target.name, target, limit_bytes)
        yield target
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
