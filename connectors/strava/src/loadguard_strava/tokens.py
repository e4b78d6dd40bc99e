"""OAuth tokens at rest: encrypted (Fernet) with a key from the environment or a 0600 file.

The key is ``$LOADGUARD_TOKEN_KEY`` or, failing that, a key file created on
first use with mode 0600; a key file others can read is refused.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from .config import ConfigError, StravaConfig


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: int
    scope: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
        }


def _key_from_file(path: Path) -> bytes:
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"token key file {path} can be read by others (mode {mode:04o}): chmod 600 {path}"
            )
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class TokenBox:
    def __init__(self, config: StravaConfig) -> None:
        key = (
            config.token_key.encode() if config.token_key else _key_from_file(config.token_key_file)
        )
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise ConfigError(
                "the token encryption key is not a Fernet key (32 url-safe base64 bytes)"
            ) from None

    def seal(self, tokens: Tokens) -> bytes:
        return self._fernet.encrypt(json.dumps(tokens.as_dict()).encode())

    def open(self, sealed: bytes) -> Tokens:
        try:
            data = json.loads(self._fernet.decrypt(sealed))
        except InvalidToken:
            raise ConfigError(
                "stored Strava tokens cannot be decrypted with this key (was the key changed?):"
                " run `loadguard strava connect` again"
            ) from None
        return Tokens(
            str(data["access_token"]),
            str(data["refresh_token"]),
            int(data["expires_at"]),
            str(data.get("scope", "")),
        )
