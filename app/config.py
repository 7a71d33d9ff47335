"""Settings, read from the environment (``PATHWAY_*``) when the app is built, never at import."""

from __future__ import annotations

import ipaddress
import math
import os
from importlib.resources import files
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
# The Network's picture (app/counts): counting is off unless PATHWAY_COUNTS=on.
COUNTS_CHOICES = ("off", "on")
NETWORK_AUTH_CHOICES = ("passphrase", "proxy")


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
    # The Network's picture (app/counts). The counts settings.
    counts: str = Field("off", description="'on' counts questionnaire walks (no case is kept) for the Network's "
                                           "dashboard; 'off' (the default) stores nothing.")
    database_url: SecretStr | None = Field(None, description="Where the counts are kept: a PostgreSQL URL "
                                           "(postgresql://...); default: SQLite, STATE_DIR/counts.sqlite3.")
    network_passphrase_hash: str | None = Field(None, description="The scrypt hash of the dashboard's passphrase "
                                                "(`pathway counts hash-passphrase` makes it).")
    network_auth: str = Field("passphrase", description="How the dashboard signs in: 'passphrase', or 'proxy' "
                                                        "(the reverse proxy's authentication).")
    network_proxy_header: str = Field("X-Remote-User", description="With PATHWAY_NETWORK_AUTH=proxy: the header "
                                      "naming the signed-in user.")
    network_trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="With PATHWAY_NETWORK_AUTH=proxy: the proxy's addresses (IP addresses or networks, comma "
                        "separated), the only ones whose header is honoured.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1", validation_alias="FORWARDED_ALLOW_IPS",
        description="uvicorn's own setting, read under its own name: the proxies whose X-Forwarded-For and "
                    "X-Forwarded-Proto the app believes (app/web/forwarded.py).")

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

    @field_validator("counts", "network_auth", mode="before")
    @classmethod
    def _choice(cls, value: object, info: ValidationInfo) -> str:
        choices = COUNTS_CHOICES if info.field_name == "counts" else NETWORK_AUTH_CHOICES
        name = str(value).strip().lower()
        if name not in choices:
            raise ValueError(f"PATHWAY_{(info.field_name or '').upper()} must be one of: {', '.join(choices)}")
        return name

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: object) -> object:
        """Empty is unset; otherwise a SQLite or PostgreSQL URL (the value is never repeated: it may hold a
        password)."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text in ("", None):
            return None
        from app.counts.store import database_url

        try:
            database_url(str(text).strip())
        except ValueError as exc:
            raise ValueError(f"PATHWAY_DATABASE_URL {exc}") from None
        return str(text).strip()

    @field_validator("network_passphrase_hash", mode="before")
    @classmethod
    def _optional_text(cls, value: object) -> object:
        return None if value in ("", None) else str(value).strip()

    @field_validator("network_proxy_header", mode="before")
    @classmethod
    def _header(cls, value: object) -> str:
        name = str(value).strip()
        if not name or not all(c.isalnum() or c == "-" for c in name):
            raise ValueError("PATHWAY_NETWORK_PROXY_HEADER must be a header name: letters, digits and hyphens, "
                             "such as X-Remote-User")
        return name

    @field_validator("network_trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> tuple[str, ...]:
        """IP addresses or networks (such as 10.0.0.5 or 10.0.0.0/24), separated by commas or spaces."""
        items = value.replace(",", " ").split() if isinstance(value, str) else [str(v) for v in value or ()]  # type: ignore[attr-defined]
        found = []
        for item in items:
            try:
                found.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"PATHWAY_NETWORK_TRUSTED_PROXIES: {item!r} is not an IP address or network "
                                 "(such as 10.0.0.5 or 10.0.0.0/24)") from None
        return tuple(found)

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
    def counting(self) -> bool:
        """Whether walks are counted for the Network's picture (PATHWAY_COUNTS=on)."""
        return self.counts == "on"

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
