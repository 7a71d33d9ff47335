"""Settings, read from the environment (``PATHWAY_*``) when the app is built, never at import."""

from __future__ import annotations

import math
import os
from importlib.resources import files
from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.engine import overlay_problem


def shipped(package: str) -> Path:
    """A folder installed with Pathway (``app.rules``: the rule packs; ``app.static``), found with
    importlib.resources wherever Pathway is installed (a wheel, or ``pip install -e .`` in a clone)."""
    folder = files(package)
    if not isinstance(folder, Path):  # only an import from a zip file gives anything else
        raise RuntimeError(f"{package}: install Pathway with pip (as files), not as a zip file")
    return folder


def default_state_dir() -> Path:
    """Where Pathway keeps what it makes (a generated key): $XDG_STATE_HOME/pathway, else
    ~/.local/state/pathway; never inside the installation."""
    xdg = os.environ.get("XDG_STATE_HOME", "")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state") / "pathway"


DEFAULT_RULES = shipped("app.rules")
# The one place a borough is named: the overlay deployed when PATHWAY_LOCAL_PACK is not set.
DEFAULT_LOCAL_PACK = "lewisham"
SECONDS_AT_MOST = {"header_timeout": 300, "body_timeout": 600, "keepalive_timeout": 300}
MAX_CONCURRENCY_AT_MOST = 100_000
# Where a walk's answers are kept between requests (app/web/walk_store.py): only in the browser today.
WALK_STORES = ("cookie",)


class Settings(BaseSettings):
    """Every setting, from ``PATHWAY_<NAME>`` environment variables; each refused value names its variable."""

    model_config = SettingsConfigDict(env_prefix="PATHWAY_", extra="ignore")

    rules_dir: Path = Field(DEFAULT_RULES, description="The folder holding national/ and local/.")
    local_pack: str = Field(DEFAULT_LOCAL_PACK, description="The local overlay: a shipped one's name (under "
                            "local/), a path to an overlay folder, or 'none'.")
    organisation: str | None = Field(None, description="Preset the user's organisation (a contract value).")
    max_body_bytes: int = 64 * 1024
    secret_key: str | None = Field(None, description="Fernet key for the walk cookies; else a key file is used.")
    state_dir: Path = Field(default_factory=default_state_dir, description="Where Pathway keeps what it makes: "
                            "a generated key.")
    key_file: Path | None = Field(None, description="The file holding the key (made at the first start if "
                                  "missing, mode 0600); default: STATE_DIR/secret.key.")
    session_minutes: float = Field(120, gt=0, description="A walk expires this long after its last step.")
    warning_minutes: float = Field(5, ge=0, description="Warn this long before a walk expires.")
    htmx_local: bool = Field(False, description="Serve htmx from this site instead of the CDN.")
    exit_url: str = Field("https://www.bbc.co.uk/weather", description="Where 'Exit this page' goes.")
    header_timeout: float = Field(10, description="Seconds a client has to send a request's line and headers.")
    body_timeout: float = Field(30, description="Seconds a client has to send a request's body, once its head is in.")
    keepalive_timeout: float = Field(5, description="Seconds an idle kept-alive connection stays open.")
    max_concurrency: int = Field(256, description="Requests one worker handles at once; more get 503 and Retry-After.")
    walk_store: str = Field("cookie", description="Where a walk's answers are kept: 'cookie' (encrypted, in the "
                                                  "browser; nothing on the server).")

    @field_validator("header_timeout", "body_timeout", "keepalive_timeout", mode="before")
    @classmethod
    def _seconds(cls, value: object, info: ValidationInfo) -> float:
        name = f"PATHWAY_{(info.field_name or '').upper()}"
        most = SECONDS_AT_MOST[info.field_name or ""]
        try:
            if isinstance(value, bool):
                raise TypeError
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number of seconds, such as 10") from None
        if not (math.isfinite(seconds) and 0 < seconds <= most):
            raise ValueError(f"{name} must be more than 0 and at most {most} seconds")
        return seconds

    @field_validator("max_concurrency", mode="before")
    @classmethod
    def _concurrency(cls, value: object) -> int:
        message = f"PATHWAY_MAX_CONCURRENCY must be a whole number from 1 to {MAX_CONCURRENCY_AT_MOST}"
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(message) from None
        if not 1 <= number <= MAX_CONCURRENCY_AT_MOST:
            raise ValueError(message)
        return number

    @field_validator("walk_store", mode="before")
    @classmethod
    def _walk_store(cls, value: object) -> str:
        name = str(value).strip().lower()
        if name not in WALK_STORES:
            raise ValueError(f"PATHWAY_WALK_STORE must be one of: {', '.join(WALK_STORES)}")
        return name

    @field_validator("local_pack")
    @classmethod
    def _local(cls, value: str) -> str:
        """A shipped overlay's name, a path to an overlay folder, or 'none'; whether it exists is checked
        when the packs load (``pathway serve`` reports it before starting)."""
        value = value.strip()
        if not value:
            raise ValueError("PATHWAY_LOCAL_PACK is empty: give a shipped overlay's name, a path to an overlay "
                             "folder, or 'none'")
        if overlay_problem(value):
            raise ValueError(f"PATHWAY_LOCAL_PACK is {overlay_problem(value)}")
        return value

    @field_validator("state_dir", "key_file", mode="before")
    @classmethod
    def _folder(cls, value: object, info: ValidationInfo) -> object:
        """An empty value is unset; ``~`` is the user's home; a relative path counts from the current folder."""
        if value in ("", None):
            if info.field_name == "state_dir":
                return default_state_dir()
            return None
        return Path(str(value)).expanduser().absolute()

    @field_validator("organisation", mode="before")
    @classmethod
    def _organisation(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def preset(self) -> dict[str, str]:
        return {"organisation": self.organisation} if self.organisation else {}

    @property
    def key_path(self) -> Path:
        """The key file used when PATHWAY_SECRET_KEY is not set: PATHWAY_KEY_FILE, else STATE_DIR/secret.key."""
        return self.key_file or self.state_dir / "secret.key"

    @property
    def key_given(self) -> bool:
        """Whether the key is given (PATHWAY_SECRET_KEY, or PATHWAY_KEY_FILE set explicitly): ``pathway serve``
        needs one, or ``--dev``, which keeps a generated key in the state folder."""
        return bool(self.secret_key) or self.key_file is not None


def default_local_pack() -> str:
    """The overlay the commands use when ``--local`` is not given: ``PATHWAY_LOCAL_PACK``, else the default."""
    return os.environ.get("PATHWAY_LOCAL_PACK", "").strip() or DEFAULT_LOCAL_PACK
