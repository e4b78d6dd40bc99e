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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loadguard import keys
from loadguard.keys import KEY_ENV, KeyProblem
from loadguard.store.db import StoreError

if TYPE_CHECKING:  # cryptography loads when a secret is sealed or opened, not at start-up
    from cryptography.fernet import Fernet

_DIGEST_LABEL = b"loadguard: keyed digest of a sealed secret, v1"


class SecretKeyError(StoreError):
    """The key for secrets at rest is missing, refused or not the one they were sealed
    with; the message names the key and why, in one line."""


def key_file() -> Path:
    """Where the key is kept when ``$LOADGUARD_TOKEN_KEY`` is not set."""
    return keys.default_key_file()


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
        from cryptography.fernet import InvalidToken

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
    try:
        if value:
            key, named = value.encode(), f"${KEY_ENV}"
        else:
            key, named = keys.read_key(key_file(), create=create), f"the key file {key_file()}"
        fernet = keys.fernet(key, named)
    except KeyProblem as exc:
        raise SecretKeyError(str(exc)) from None
    raw = base64.urlsafe_b64decode(key)
    return SecretBox(fernet, hmac.new(raw, _DIGEST_LABEL, hashlib.sha256).digest(), named)
