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
