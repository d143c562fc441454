"""Settings of wangge, one small pydantic-settings class per concern.

Every variable has the ``WANGGE_`` prefix. Nothing here is read at import time: the app
factory and the CLI build the settings they need, so tests pass explicit ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Return the default data folder.

    Root runs the private PostgreSQL cluster as the ``postgres`` user, which cannot enter
    ``/root``; so root's default lives under ``/var/lib``.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/wangge")
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "wangge"


class DatabaseSettings(BaseSettings):
    """Where the data live.

    Attributes
    ----------
    database_url : str or None
        ``WANGGE_DATABASE_URL``: a PostgreSQL server with PostGIS. When unset, wangge runs
        its own private cluster in ``data_dir`` (the embedded default).
    data_dir : Path
        ``WANGGE_DATA_DIR``: the folder of the embedded cluster and other state.
    pool_size : int
        ``WANGGE_POOL_SIZE``: each server process keeps up to twice this many database
        connections in each of its two pools (threads' and the serving loop's), opened as
        needed and reused (see :func:`api.database.make_engine` and
        :func:`api.database.async_pool`).
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    pool_size: int = Field(5, ge=1, le=100)

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str | None) -> str | None:
        """Use psycopg 3 whatever the URL's scheme says."""
        if not value:
            return None
        for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        if not value.startswith("postgresql+psycopg://"):
            raise ValueError("WANGGE_DATABASE_URL must be a postgresql:// URL")
        return value

    @property
    def embedded(self) -> bool:
        """Whether the private cluster in ``data_dir`` is used."""
        return self.database_url is None


class ImportSettings(BaseSettings):
    """How imports estimate missing values.

    Attributes
    ----------
    dwelling_area_m2 : float
        ``WANGGE_DWELLING_AREA_M2``: gross floor area of one dwelling, in m², used to
        estimate households from footprint area × floors.
    floor_height_m : float
        ``WANGGE_FLOOR_HEIGHT_M``: storey height in metres, to derive floors from height.
    default_floors : int or None
        ``WANGGE_DEFAULT_FLOORS``: floors assumed for a residential building with neither
        floors nor height; ``None`` makes such a building an error.
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    dwelling_area_m2: float = Field(90.0, gt=10, le=1000)
    floor_height_m: float = Field(3.0, gt=1.5, le=10)
    default_floors: int | None = Field(6, ge=1, le=200)


class ServerSettings(BaseSettings):
    """The HTTP server.

    Attributes
    ----------
    host, port : str, int
        ``WANGGE_HOST``/``WANGGE_PORT``: where ``wangge serve`` listens.
    title : str
        ``WANGGE_TITLE``: the name shown on pages.
    map_attribution : str
        ``WANGGE_MAP_ATTRIBUTION``: credit for the data on the web map (required when
        OpenStreetMap data are shown); empty for none.
    workers : int
        ``WANGGE_WORKERS``: server processes of ``wangge serve``, each on a socket of its
        own; one per core serves the most. Each has its own database pools, background
        processes and login rate limits.
    log_level : str
        ``WANGGE_LOG_LEVEL``: what the server logs (``debug``, ``info``, ``warning``,
        ``error``).
    access_log : bool
        ``WANGGE_ACCESS_LOG``: log a line per request (at ``info``).
    background_workers : int
        ``WANGGE_BACKGROUND_WORKERS``: processes (per server process) that run partitions
        for the API, so a long run does not hold up the server.
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    title: str = "wangge 网格"
    map_attribution: str = ""
    workers: int = Field(1, ge=1, le=64)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    access_log: bool = True
    background_workers: int = Field(1, ge=1, le=64)


class UploadSettings(BaseSettings):
    """Uploaded files.

    Attributes
    ----------
    upload_max_mb : float
        ``WANGGE_UPLOAD_MAX_MB``: largest file accepted by ``POST /imports/{layer}``, in MiB.
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    upload_max_mb: float = Field(200.0, gt=0, le=4096)


class AuthSettings(BaseSettings):
    """Logins.

    Attributes
    ----------
    token_hours : float
        ``WANGGE_TOKEN_HOURS``: how long a login lasts, in hours.
    login_attempts : int
        ``WANGGE_LOGIN_ATTEMPTS``: failed logins allowed per user name and per client
        address within ``login_window_s``; further attempts get 429 until the window passes.
    login_window_s : float
        ``WANGGE_LOGIN_WINDOW_S``: that window, in seconds.
    reports_per_window, report_window_s : int, float
        ``WANGGE_REPORTS_PER_WINDOW`` / ``WANGGE_REPORT_WINDOW_S``: residents' reports
        (``POST /reports``, no login) accepted per client address within the window.
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    token_hours: float = Field(12.0, gt=0, le=24 * 30)
    login_attempts: int = Field(5, ge=1, le=1000)
    login_window_s: float = Field(300.0, gt=0, le=86400)
    reports_per_window: int = Field(20, ge=1, le=100_000)
    report_window_s: float = Field(600.0, gt=0, le=86400)


#: Kinds of basemap the web map can draw under the data.
BASEMAP_KINDS = ("none", "tianditu", "xyz")
#: Tianditu's Web-Mercator tiles (vector map and its labels), servers t0–t7.
TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)


class MapSettings(BaseSettings):
    """The web map's basemap.

    Attributes
    ----------
    basemap : {"none", "tianditu", "xyz"}
        ``WANGGE_BASEMAP``: no basemap (the default: the data give the context), Tianditu
        (needs ``WANGGE_TIANDITU_KEY``), or any XYZ tile server (``WANGGE_BASEMAP_URL``).
    basemap_url : str or None
        ``WANGGE_BASEMAP_URL``: the XYZ URL template, with ``{z}``, ``{x}``, ``{y}`` and
        optionally ``{s}``, e.g. an intranet tile server's ``http://tiles.gov.local/{z}/{x}/{y}.png``.
    basemap_subdomains : str
        ``WANGGE_BASEMAP_SUBDOMAINS``: the letters ``{s}`` takes (e.g. ``abc``).
    basemap_attribution : str
        ``WANGGE_BASEMAP_ATTRIBUTION``: credit shown for the basemap.
    basemap_max_zoom : int
        ``WANGGE_BASEMAP_MAX_ZOOM``: the deepest zoom the server has tiles for.
    basemap_crs : {"wgs84", "gcj02"}
        ``WANGGE_BASEMAP_CRS``: the coordinates the basemap is drawn in. ``gcj02`` for an
        AMap-style (Gaode, Tencent) basemap: the data layers are then shifted WGS84 → GCJ-02
        to lie on it. Tianditu is CGCS2000, i.e. ``wgs84`` here.
    tianditu_key : str or None
        ``WANGGE_TIANDITU_KEY``: the Tianditu ``tk`` key (a browser key: pages show it).
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    basemap: str = "none"
    basemap_url: str | None = None
    basemap_subdomains: str = ""
    basemap_attribution: str = ""
    basemap_max_zoom: int = Field(18, ge=1, le=22)
    basemap_crs: Literal["wgs84", "gcj02"] = "wgs84"
    tianditu_key: str | None = None

    @field_validator("basemap")
    @classmethod
    def _kind(cls, value: str) -> str:
        kind = value.strip().lower()
        if kind not in BASEMAP_KINDS:
            raise ValueError(
                f"WANGGE_BASEMAP {value!r} is not a basemap kind: use one of "
                f"{', '.join(BASEMAP_KINDS)}"
            )
        return kind

    @field_validator("basemap_crs", mode="before")
    @classmethod
    def _crs(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _complete(self) -> MapSettings:
        if self.basemap == "xyz":
            url = self.basemap_url or ""
            missing = [part for part in ("{z}", "{x}", "{y}") if part not in url]
            if missing:
                raise ValueError(
                    "WANGGE_BASEMAP=xyz needs WANGGE_BASEMAP_URL, a tile URL template with "
                    f"{{z}}, {{x}} and {{y}} (missing {' '.join(missing)} in {url!r})"
                )
            if "{s}" in url and not self.basemap_subdomains:
                raise ValueError("WANGGE_BASEMAP_URL has {s}: set WANGGE_BASEMAP_SUBDOMAINS")
        if self.basemap == "tianditu":
            if not self.tianditu_key:
                raise ValueError("WANGGE_BASEMAP=tianditu needs WANGGE_TIANDITU_KEY (the tk key)")
            if self.basemap_crs != "wgs84":
                raise ValueError(
                    "Tianditu is drawn in CGCS2000 (≈ WGS84): WANGGE_BASEMAP_CRS must be wgs84"
                )
        return self

    def tile_layers(self) -> list[dict]:
        """The basemap's tile layers, bottom first: ``{url, subdomains, attribution, max_zoom}``."""
        if self.basemap == "xyz":
            assert self.basemap_url is not None
            return [
                {
                    "url": self.basemap_url, "subdomains": self.basemap_subdomains,
                    "attribution": self.basemap_attribution, "max_zoom": self.basemap_max_zoom,
                }
            ]  # fmt: skip
        if self.basemap == "tianditu":
            credit = self.basemap_attribution or "天地图 © 国家地理信息公共服务平台"
            key = str(self.tianditu_key)
            return [
                {
                    "url": TIANDITU_URL.replace("{layer}", layer).replace("{key}", key),
                    "subdomains": "01234567", "attribution": credit if layer == "vec" else "",
                    "max_zoom": min(self.basemap_max_zoom, 18),
                }
                for layer in ("vec", "cva")
            ]  # fmt: skip
        return []


class PrintSettings(BaseSettings):
    """Printed grid diagrams.

    Attributes
    ----------
    public_url : str
        ``WANGGE_PUBLIC_URL``: the web app's address as residents reach it; the sheets' QR
        codes open ``<public_url>/map/communities/<code>``.
    mapping_unit : str
        ``WANGGE_MAPPING_UNIT``: the mapping unit (制图单位) printed in the footer; empty
        for the street office of the sheet (``<street>办事处``).
    print_attribution : str
        ``WANGGE_PRINT_ATTRIBUTION``: credit for the data on sheets; empty to use
        ``WANGGE_MAP_ATTRIBUTION`` (OpenStreetMap's credit is required when OSM data are shown).
    print_roads : Path or None
        ``WANGGE_PRINT_ROADS``: a roads file (``name``, ``highway``) drawn on sheets.
    print_workers : int
        ``WANGGE_PRINT_WORKERS``: processes rendering an atlas's sheets in parallel.
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    public_url: str = "http://127.0.0.1:8000"
    mapping_unit: str = ""
    print_attribution: str = ""
    print_roads: Path | None = None
    print_workers: int = Field(2, ge=1, le=64)

    @field_validator("public_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("WANGGE_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")


class Settings(BaseSettings):
    """All settings of one app, grouped by concern."""

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    prints: PrintSettings = Field(default_factory=PrintSettings)
