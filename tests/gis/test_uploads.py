"""Upload safety: content sniffing, size limit, zip traversal, links, nesting and bombs."""

import io
import stat
import zipfile

import pytest

from gis.errors import InputError
from gis.readers import read_vector
from gis.uploads import (
    ContentMismatch,
    UnsafeArchive,
    UploadTooLarge,
    ZipBomb,
    ZipLimits,
    check_upload,
    check_zip,
    sniff,
)

GEOJSON = b'{"type": "FeatureCollection", "features": []}'


def _zip(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _bomb(megabytes: int = 20) -> bytes:
    """A real zip bomb in small: ``megabytes`` MiB of zeros, deflated to ~1000 times less."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("layer.shp", "w", force_zip64=True) as member:
            chunk = bytes(1024**2)
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PK\x03\x04rest", "zip"),
        (b"SQLite format 3\x00rest", "sqlite"),
        (b'\xef\xbb\xbf {"type":', "json"),
        ("编号,经度,纬度\n".encode("gbk"), "text"),
        (b"\x00\x01\x02\x03binary", "binary"),
        (b"", "empty"),
    ],
)
def test_sniff_finds_the_real_kind(head, kind):
    assert sniff(head) == kind


def test_check_upload_accepts_what_the_name_says():
    assert check_upload("grids.geojson", GEOJSON).kind == "json"


def test_renamed_geopackage_is_a_content_mismatch():
    with pytest.raises(ContentMismatch, match=r"grids\.geojson is named as JSON.*SQLite"):
        check_upload("grids.geojson", b"SQLite format 3\x00" + bytes(100))


def test_zip_name_on_text_is_a_content_mismatch(tmp_path):
    path = tmp_path / "layer.zip"
    path.write_text("编号,lon,lat\n1,118.7,32.0\n", encoding="utf-8")
    with pytest.raises(ContentMismatch, match="named as a zip archive"):
        check_upload("layer.zip", path)


def test_binary_junk_is_refused():
    with pytest.raises(ContentMismatch, match="not a vector file"):
        check_upload("data.bin", b"\x00\x01\x02" * 50)


def test_upload_above_the_limit_is_refused():
    with pytest.raises(UploadTooLarge, match="more than the 1 MiB allowed"):
        check_upload("big.geojson", b"{" + b" " * 2 * 1024**2, limit_bytes=1024**2)


def test_upload_errors_are_input_errors_with_a_fix():
    with pytest.raises(InputError) as caught:
        check_upload("grids.gpkg", GEOJSON)
    assert caught.value.fix


@pytest.mark.parametrize("member", ["../evil.shp", "/etc/cron.d/evil", "a/../../evil", "C:/x"])
def test_traversal_zip_is_refused(member):
    with pytest.raises(UnsafeArchive, match="points outside the archive"):
        check_upload("layer.zip", _zip({"ok.shp": b"x", member: b"x"}))


def test_symlink_member_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("layer.shp")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        check_zip(buffer.getvalue(), name="links.zip")


@pytest.mark.parametrize("inner", ["inner.zip", "inner.json"])
def test_nested_zip_is_refused_by_name_or_content(inner):
    with pytest.raises(UnsafeArchive, match="itself a(n| zip)? ?archive"):
        check_zip(_zip({inner: _zip({"a.shp": b"x"})}), name="outer.zip")


def test_too_many_members_is_refused():
    archive = _zip({f"f{i}.txt": b"x" for i in range(20)})
    with pytest.raises(UnsafeArchive, match="20 members, more than the 10"):
        check_zip(archive, limits=ZipLimits(max_members=10))


def test_zip_bomb_is_refused_by_ratio():
    bomb = _bomb(20)
    assert len(bomb) < 100_000  # it is one: 20 MiB packed into less than 100 kB
    with pytest.raises(ZipBomb, match="zip bomb.*20 MiB"):
        check_upload("layer.zip", bomb)


def test_zip_bomb_is_refused_by_total_size():
    with pytest.raises(ZipBomb, match="unpacks to 20 MiB, more than the 8 MiB"):
        check_zip(_bomb(20), limits=ZipLimits(max_total_bytes=8 * 1024**2))


def test_small_compressible_zip_is_accepted():
    """Below the ratio floor a very compressible member (a tiny .prj, a CSV) is fine."""
    assert len(check_zip(_zip({"a.csv": b"0," * 100_000}))) == 1


def test_zipped_shapefile_reader_refuses_a_bomb(tmp_path):
    path = tmp_path / "buildings.zip"
    path.write_bytes(_bomb(20))
    with pytest.raises(ZipBomb, match="buildings.zip is refused as a zip bomb"):
        read_vector(path)


def test_zipped_shapefile_reader_refuses_a_nested_zip(tmp_path):
    path = tmp_path / "outer.zip"
    path.write_bytes(_zip({"layer.geojson": _zip({"a.geojson": GEOJSON})}))
    with pytest.raises(UnsafeArchive, match="itself a zip archive"):
        read_vector(path)
