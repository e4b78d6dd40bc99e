"""The one key for secrets at rest (a connector's OAuth tokens, alert channel URLs):
``$LOADGUARD_TOKEN_KEY``, else a key file (``token.key`` in the user's config folder by
default) made with mode 0600 the first time something is sealed. A key file others can
read is refused. At the contract's level, so connectors and the store share it.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

if TYPE_CHECKING:  # cryptography loads when a key is used, not at every command's start
    from cryptography.fernet import Fernet

KEY_ENV = "LOADGUARD_TOKEN_KEY"


class KeyProblem(ValueError):
    """The key is missing, unreadable, exposed or no Fernet key; one line naming it."""


def default_key_file() -> Path:
    return Path(platformdirs.user_config_dir("loadguard")) / "token.key"


def fernet(key: bytes, named: str) -> Fernet:
    """The cipher of ``key`` (``named`` as messages name it: "$LOADGUARD_TOKEN_KEY")."""
    from cryptography.fernet import Fernet

    try:
        return Fernet(key)
    except ValueError:
        raise KeyProblem(
            f"{named} is not a Fernet key (32 url-safe base64 bytes, as"
            " `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`"
            " makes)"
        ) from None


def read_key(path: Path, *, create: bool) -> bytes:
    """The key in the file at ``path``; made there when there is none and ``create``
    (else a missing key is an error: what was sealed cannot be opened without it)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        if not create:
            raise KeyProblem(
                f"the key file {path} does not exist and ${KEY_ENV} is not set: restore the"
                " key the secrets were stored with"
            ) from None
        return _make(path)
    except OSError as exc:
        raise KeyProblem(f"cannot read the key file {path}: {exc.strerror}") from None
    if mode & 0o077:
        raise KeyProblem(
            f"the key file {path} can be read by others (mode {mode:04o}): chmod 600 {path}"
        )
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        raise KeyProblem(f"cannot read the key file {path}: {exc.strerror}") from None


def _make(path: Path) -> bytes:
    """A new key in a new 0600 file, written whole before it appears under its name (two
    processes making it at once: the second reads the first's)."""
    from cryptography.fernet import Fernet

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
            return read_key(path, create=False)
        finally:
            draft.unlink(missing_ok=True)
    except OSError as exc:
        raise KeyProblem(f"cannot write the key file {path}: {exc.strerror}") from None
    return key
