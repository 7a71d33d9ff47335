"""Settings, read from the environment (``PATHWAY_*``) when the app is built, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "pathway_rules"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PATHWAY_", extra="ignore")

    rules_dir: Path = Field(DEFAULT_RULES, description="The folder holding national/ and local/.")
    local_pack: str = Field("lewisham", description="The local overlay under local/, or 'none'.")
    organisation: str | None = Field(None, description="Preset the user's organisation (a contract value).")
    max_body_bytes: int = 64 * 1024
    secret_key: str | None = Field(None, description="Fernet key for the walk cookies; else a key file is used.")
    key_file: Path = Field(DEFAULT_RULES.parent / "var" / "secret.key", description="Where the generated key is kept.")
    session_minutes: float = Field(120, gt=0, description="A walk expires this long after its last step.")
    warning_minutes: float = Field(5, ge=0, description="Warn this long before a walk expires.")
    htmx_local: bool = Field(False, description="Serve htmx from this site instead of the CDN.")
    exit_url: str = Field("https://www.bbc.co.uk/weather", description="Where 'Exit this page' goes.")

    @field_validator("local_pack")
    @classmethod
    def _local(cls, value: str) -> str:
        value = value.strip()
        if not value or "/" in value or "\\" in value or value.startswith("."):
            raise ValueError("PATHWAY_LOCAL_PACK is a folder name under pathway_rules/local/, or 'none'")
        return value

    @field_validator("organisation", mode="before")
    @classmethod
    def _organisation(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def preset(self) -> dict[str, str]:
        return {"organisation": self.organisation} if self.organisation else {}
