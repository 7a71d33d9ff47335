"""The answers of one walk, carried in an encrypted, authenticated, expiring cookie.

Nothing about a case is stored on the server. Each walk has a random id that appears in its
URLs (it reveals nothing) and a cookie scoped to that walk's path, so two tabs can hold two
cases. The cookie's value is a Fernet token (AES-CBC with HMAC-SHA256, timestamped): tampered,
foreign-key, truncated and expired tokens are all refused the same way.

When counting is on (``PATHWAY_COUNTS=on``, counting.py), the token also records what the walk
has added to the Network's counts, so that seeing the plan again moves its contribution instead
of adding another: ``Counted`` (key ``"c"``), the month first counted, the organisation type the
cells were crossed with and the cells' dimension and value as short codes ("a:nrm_referral"): 160 to 330
characters of JSON for the shipped scenarios' plans, which makes the token about a third longer
(typically 1.1 KB instead of 0.8 KB; at most about 1.5 KB with every referral ticked as done), far
below a browser's 4 KB per cookie.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from .errors import TokenProblem

WALK_ID_BYTES = 12
COOKIE_PREFIX = "pathway_walk_"
MAX_TOKEN_CHARS = 16_000
WALK_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{10,24}")


# A counted cell in the token: a dimension's code and a value (ids only: letters, digits, "_", "-").
_CELL = re.compile(r"[a-z][:][A-Za-z0-9_-]{1,64}")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Counted:
    """What a walk has added to the counts: the month first counted, the organisation type its cells
    were crossed with ("" when none) and its cells as "<dimension code>:<value>" (counting.py)."""

    month: str
    organisation: str
    cells: frozenset[str]

    def to_data(self) -> dict[str, str]:
        return {"m": self.month, "o": self.organisation, "k": " ".join(sorted(self.cells))}

    @staticmethod
    def from_data(data: object) -> Counted | None:
        """The record as the token holds it, or None for one that is absent or not well formed (only
        this module writes it, inside the authenticated token)."""
        if not isinstance(data, dict):
            return None
        month, organisation, cells = data.get("m"), data.get("o"), data.get("k")
        if not (isinstance(month, str) and isinstance(organisation, str) and isinstance(cells, str)):
            return None
        found = frozenset(cells.split())
        if (_MONTH.fullmatch(month) is None or len(organisation) > 64 or not all(map(_CELL.fullmatch, found))):
            return None
        return Counted(month, organisation, found)


@dataclass
class Walk:
    """One walk: its id, the answers given so far, the optional questions skipped and (when counting
    is on) what it has counted."""

    id: str
    answers: dict[str, Any] = field(default_factory=dict)
    skipped_optional: list[str] = field(default_factory=list)
    # When the token it came from was made (Unix seconds), so a page can say how long the answers
    # have left without renewing them (only a POST renews them). Not part of the token itself.
    issued_at: int | None = field(default=None, compare=False)
    counted: Counted | None = None
    # False to keep the token's time when it is saved: a GET that records what it counted (the plan)
    # must not renew the walk. Not part of the token itself.
    renew: bool = field(default=True, compare=False)

    def to_json(self) -> bytes:
        data: dict[str, Any] = {"v": 1, "w": self.id, "a": self.answers, "s": self.skipped_optional}
        if self.counted is not None:
            data["c"] = self.counted.to_data()
        return json.dumps(data, separators=(",", ":")).encode()


def new_walk_id() -> str:
    return secrets.token_urlsafe(WALK_ID_BYTES)


def valid_walk_id(walk_id: str) -> bool:
    """Shaped like an id new_walk_id makes: ASCII letters, digits, ``-`` and ``_`` only (str.isalnum
    would also pass ``é`` or ``١``, which no cookie name may hold)."""
    return WALK_ID_PATTERN.fullmatch(walk_id) is not None


def cookie_name(walk_id: str) -> str:
    return COOKIE_PREFIX + walk_id


class TokenCodec:
    """Turns a walk into a Fernet token and back: TokenProblem for a token that cannot be used."""

    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self.fernet = Fernet(key)
        self.ttl = ttl_seconds

    def encode(self, walk: Walk) -> str:
        if not walk.renew and walk.issued_at is not None:
            return self.fernet.encrypt_at_time(walk.to_json(), walk.issued_at).decode()
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
        issued_at = self.fernet.extract_timestamp(token.encode())
        return Walk(walk_id, answers, [s for s in skipped if isinstance(s, str)], issued_at,
                    Counted.from_data(data.get("c")))

    def seconds_left(self, walk: Walk) -> int:
        """How long the walk's answers have before they time out: the whole session for a new walk."""
        if walk.issued_at is None:
            return self.ttl
        return max(0, min(self.ttl, walk.issued_at + self.ttl - int(time.time())))

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
        if not explicit.isascii():
            raise KeyProblem("PATHWAY_SECRET_KEY", _NOT_A_KEY)
        return _check_key(explicit.encode(), "PATHWAY_SECRET_KEY")
    where = str(key_file)
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyProblem(where, f"cannot make the key file's folder: {exc.strerror or exc}") from None
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(key_file)
    except OSError as exc:
        raise KeyProblem(where, f"cannot create the key file: {exc.strerror or exc}") from None
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


class KeyProblem(ValueError):
    """The secret key cannot be used: where it comes from (the variable or the file) and why, never the key."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


_NOT_A_KEY = ("must be a Fernet key: 32 bytes, url-safe base64 (make one with: python -c "
              "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')")


def _read_key_file(key_file: Path) -> bytes:
    """An existing key file's key. Refuses a file other users may read, an unreadable, empty or corrupt one.

    An empty file is waited for briefly: another worker may have just created it and not yet written.
    """
    where = str(key_file)
    for _ in range(50):
        try:
            status = key_file.stat()
            if not stat.S_ISREG(status.st_mode):
                raise KeyProblem(where, "is not a file: remove it, or set PATHWAY_KEY_FILE to where the key is kept")
            mode = stat.S_IMODE(status.st_mode)
            if os.name != "nt" and mode & 0o077:
                raise KeyProblem(where, f"other users may read or change the key file (mode {mode:04o}); "
                                 f"make it private with: chmod 600 {key_file}")
            data = key_file.read_bytes().strip()
        except OSError as exc:
            raise KeyProblem(where, f"cannot read the key file: {exc.strerror or exc}") from None
        if data:
            try:
                return _check_key(data, where)
            except KeyProblem:
                raise KeyProblem(where, "the key file holds no valid key: restore it, or delete it and a new key "
                                 "is made at the next start (walks in progress are then lost)") from None
        time.sleep(0.02)
    raise KeyProblem(where, "the key file is empty: delete it, and a new key is made at the next start")


def _check_key(key: bytes, where: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(key)) != 32:
            raise ValueError
    except (ValueError, binascii.Error):
        raise KeyProblem(where, _NOT_A_KEY) from None
    return key
