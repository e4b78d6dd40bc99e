"""Secrets at rest: sealed with Fernet under the key the Strava connector keeps its tokens
with, so one key serves both.

The key is ``$LOADGUARD_TOKEN_KEY`` or, failing that, the key file ``token.key`` in the
user's config folder (the Strava connector's default), created with mode 0600 the first
time something is sealed; a key file others can read is refused. Each sealing of the same
text differs (a random IV), so a keyed digest (HMAC-SHA256 under a key derived from the
Fernet key) names a sealed text where equal ones must be found: a copy of the store
without the key shows neither the text nor a hash to guess it from.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from cryptography.fernet import Fernet, InvalidToken

from loadguard.store.db import StoreError

KEY_ENV = "LOADGUARD_TOKEN_KEY"
_DIGEST_LABEL = b"loadguard: keyed digest of a sealed secret, v1"


class SecretKeyError(StoreError):
    """The key for secrets at rest is missing, refused or not the one they were sealed
    with; the message names the key and why, in one line."""


def key_file() -> Path:
    """Where the key is kept when ``$LOADGUARD_TOKEN_KEY`` is not set."""
    return Path(platformdirs.user_config_dir("loadguard")) / "token.key"


def key_location() -> str:
    """Where the key in force is: ``$LOADGUARD_TOKEN_KEY`` or the key file's path."""
    return f"${KEY_ENV}" if os.environ.get(KEY_ENV) else str(key_file())


@dataclass(frozen=True)
class SecretBox:
    fernet: Fernet
    digest_key: bytes
    named: str  # "$LOADGUARD_TOKEN_KEY" or "the key file <path>"

    def seal(self, text: str) -> str:
        return self.fernet.encrypt(text.encode()).decode("ascii")

    def open(self, sealed: str, what: str) -> str:
        """The text sealed in ``sealed``; SecretKeyError (naming ``what`` and the key) when
        this key did not seal it."""
        try:
            return self.fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise SecretKeyError(
                f"{what} cannot be decrypted with {self.named} (was the key changed?):"
                " set the key they were stored with"
            ) from None

    def digest(self, *parts: str) -> str:
        """A keyed digest of ``parts``: the same for the same parts under the same key."""
        message = "\n".join(parts).encode()
        return hmac.new(self.digest_key, message, hashlib.sha256).hexdigest()


def box(*, create: bool) -> SecretBox:
    """The box of the key in force. ``create``: make the key file when there is none (to
    seal the first secret); else a missing key is an error: what was sealed cannot be
    opened without it."""
    value = os.environ.get(KEY_ENV)
    if value:
        return _box(value.encode(), f"${KEY_ENV}")
    path = key_file()
    return _box(_read_or_make(path, create), f"the key file {path}")


def _box(key: bytes, named: str) -> SecretBox:
    try:
        fernet = Fernet(key)
    except ValueError:
        raise SecretKeyError(
            f"{named} is not a Fernet key (32 url-safe base64 bytes, as"
            " `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`"
            " makes)"
        ) from None
    raw = base64.urlsafe_b64decode(key)
    return SecretBox(fernet, hmac.new(raw, _DIGEST_LABEL, hashlib.sha256).digest(), named)


def _read_or_make(path: Path, create: bool) -> bytes:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        if not create:
            raise SecretKeyError(
                f"the key file {path} does not exist and ${KEY_ENV} is not set: restore the"
                " key the secrets were stored with"
            ) from None
        return _make(path)
    except OSError as exc:
        raise SecretKeyError(f"cannot read the key file {path}: {exc.strerror}") from None
    if mode & 0o077:
        raise SecretKeyError(
            f"the key file {path} can be read by others (mode {mode:04o}): chmod 600 {path}"
        )
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        raise SecretKeyError(f"cannot read the key file {path}: {exc.strerror}") from None


def _make(path: Path) -> bytes:
    """A new key in a new 0600 file, written whole before it appears under its name (two
    processes making it at once: the second reads the first's)."""
    key = Fernet.generate_key()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(draft, path)
        except FileExistsError:
            return _read_or_make(path, create=False)
        finally:
            draft.unlink(missing_ok=True)
    except OSError as exc:
        raise SecretKeyError(f"cannot write the key file {path}: {exc.strerror}") from None
    return key
