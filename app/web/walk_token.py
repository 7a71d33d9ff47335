"""The answers of one walk, carried in an encrypted, authenticated, expiring cookie.

Nothing about a case is stored on the server. Each walk has a random id that appears in its
URLs (it reveals nothing) and a cookie scoped to that walk's path, so two tabs can hold two
cases. The cookie's value is a Fernet token (AES-CBC with HMAC-SHA256, timestamped): tampered,
foreign-key, truncated and expired tokens are all refused the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

WALK_ID_BYTES = 12
COOKIE_PREFIX = "pathway_walk_"
MAX_TOKEN_CHARS = 16_000


class TokenProblem(Exception):
    """The walk's cookie is missing, tampered with, made with another key, or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # missing | invalid | expired


@dataclass
class Walk:
    id: str
    answers: dict[str, Any] = field(default_factory=dict)
    skipped_optional: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps({"v": 1, "w": self.id, "a": self.answers, "s": self.skipped_optional},
                          separators=(",", ":")).encode()


def new_walk_id() -> str:
    return secrets.token_urlsafe(WALK_ID_BYTES)


def valid_walk_id(walk_id: str) -> bool:
    return 10 <= len(walk_id) <= 24 and all(c.isalnum() or c in "-_" for c in walk_id)


def cookie_name(walk_id: str) -> str:
    return COOKIE_PREFIX + walk_id


class TokenCodec:
    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self.fernet = Fernet(key)
        self.ttl = ttl_seconds

    def encode(self, walk: Walk) -> str:
        return self.fernet.encrypt(walk.to_json()).decode()

    def decode(self, token: str | None, walk_id: str) -> Walk:
        if not token:
            raise TokenProblem("missing")
        if len(token) > MAX_TOKEN_CHARS:
            raise TokenProblem("invalid")
        try:
            data = json.loads(self.fernet.decrypt(token.encode(), ttl=self.ttl))
        except InvalidToken:
            raise TokenProblem(self._why(token)) from None
        except (ValueError, UnicodeError):
            raise TokenProblem("invalid") from None
        if not isinstance(data, dict) or data.get("v") != 1 or data.get("w") != walk_id:
            raise TokenProblem("invalid")
        answers = data.get("a")
        skipped = data.get("s")
        if not isinstance(answers, dict) or not isinstance(skipped, list):
            raise TokenProblem("invalid")
        return Walk(walk_id, answers, [s for s in skipped if isinstance(s, str)])

    def _why(self, token: str) -> str:
        """Expired if the token is authentic but too old; otherwise invalid."""
        try:
            self.fernet.decrypt(token.encode())
        except InvalidToken:
            return "invalid"
        return "expired"


def load_or_create_key(explicit: str | None, key_file: Path) -> bytes:
    """The Fernet key: PATHWAY_SECRET_KEY if set, else one kept in a file only its owner can read.

    Several workers starting together race safely: the file is created with O_EXCL, so exactly
    one writes it and the others read what it wrote.
    """
    if explicit:
        return _check_key(explicit.encode(), "PATHWAY_SECRET_KEY")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            data = key_file.read_bytes().strip()
            if data:
                return _check_key(data, str(key_file))
            time.sleep(0.02)
        raise ValueError(f"{key_file} is empty: delete it and start again") from None
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _check_key(key: bytes, where: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(key)) != 32:
            raise ValueError
    except (ValueError, binascii.Error):
        raise ValueError(f"{where} must be a Fernet key: 32 bytes, url-safe base64 "
                         "(make one with: python -c 'from cryptography.fernet import Fernet; "
                         "print(Fernet.generate_key().decode())')") from None
    return key
