"""Settings of wangge, one small pydantic-settings class per concern.

Every variable has the ``WANGGE_`` prefix. Nothing here is read at import time: the app
factory and the CLI build the settings they need, so tests pass explicit ones.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
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
        Connections kept open by the app.
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
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    title: str = "wangge 网格"
    map_attribution: str = ""


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


class Settings(BaseSettings):
    """All settings of one app, grouped by concern."""

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
