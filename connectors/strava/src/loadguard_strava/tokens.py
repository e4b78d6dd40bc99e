"""OAuth tokens at rest: encrypted (Fernet) with the key of :mod:`loadguard.keys`
(``$LOADGUARD_TOKEN_KEY``, else a 0600 key file made on first use), the same key the
store seals alert channel URLs with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken

from loadguard import keys

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


class TokenBox:
    def __init__(self, config: StravaConfig) -> None:
        try:
            if config.token_key:
                self._fernet = keys.fernet(config.token_key.encode(), f"${keys.KEY_ENV}")
            else:
                path = config.token_key_file
                self._fernet = keys.fernet(keys.read_key(path, create=True), str(path))
        except keys.KeyProblem as exc:
            raise ConfigError(f"the token encryption key: {exc}") from None

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
