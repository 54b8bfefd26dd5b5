"""Settings, read once from the environment (prefix ``SERVICIELLE_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-insecure-change-me"


class Settings(BaseSettings):
    """Every setting the platform reads, with its offline-friendly default."""

    model_config = SettingsConfigDict(env_prefix="SERVICIELLE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/servicielle.db"
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    base_url: str = "http://127.0.0.1:8000"
    site_name: str = "Servicielle"
    territory_name: str = "Communauté d'agglomération Rochefort Océan"

    # Empty by default: the platform must work offline, the map then shows outlines only.
    map_tile_url: str = ""
    map_tile_attribution: str = ""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    mail_from: str = "Servicielle <ne-pas-repondre@servicielle.localhost>"

    # Uploaded files live here, named by their SHA-256 (shared by every worker).
    data_dir: Path = Path("var/files")
    upload_max_bytes: int = Field(200 * 1024 * 1024, description="largest accepted upload")

    # Real-time hub.
    sensors_batch_max_rows: int = Field(100_000, description="observations per ingest request")
    sensors_batch_max_bytes: int = Field(50 * 1024 * 1024, description="bytes per ingest request")
    sensors_open_world: bool = Field(
        True, description="accept entity types and attributes the Smart Data Models do not know"
    )
    sensors_raw_retention_days: int = Field(
        400, description="days raw observations are kept; hourly aggregates are kept for ever"
    )

    session_days: int = 14
    secure_cookies: bool = False
    login_max_failures: int = Field(5, description="failed logins per account per window")
    login_max_failures_per_ip: int = 20
    login_window_minutes: int = 15
    email_token_hours: int = 48

    @property
    def smtp_configured(self) -> bool:
        """Whether mail leaves the machine (otherwise it stays in the outbox)."""
        return bool(self.smtp_host)

    def sqlite_path(self) -> Path | None:
        """Filesystem path of an SQLite database, or None for another engine."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
