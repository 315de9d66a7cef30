"""Who may sign in to the chat, and who may change the library.

A JSON file of users, each with a salted Argon2id password hash and a role: ``reader``
(asks questions) or ``editor`` (also uploads and removes documents). No file, or no users
in it: the chat is open, as on a laptop serving only itself.

Example:
    >>> from pathlib import Path
    >>> from assistant.users import UserStore
    >>> users = UserStore(Path("/tmp/users-example.json"))
    >>> users.add("amira", "correct horse battery", "editor")  # doctest: +SKIP
    >>> users.verify("amira", "correct horse battery")  # doctest: +SKIP
    True
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from filelock import FileLock
from argon2.exceptions import InvalidHashError, VerificationError

Role = Literal["reader", "editor"]
ROLES: tuple[Role, ...] = ("reader", "editor")
MIN_PASSWORD_CHARS = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_hasher = PasswordHasher()


class UserError(ValueError):
    """A name, password or role that can't be used; ``str(error)`` says why."""


class UserStore:
    """Reads and writes the users file; the file is replaced atomically and kept private,
    and a change reads and writes it under a lock file beside it, so that two
    ``assistant users add`` at once both land."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path.with_name(f".{path.name}.lock")))

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Held while a change reads and writes the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            yield

    def _load(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            users = json.loads(self.path.read_text(encoding="utf-8")).get("users", {})
        except (ValueError, AttributeError) as error:
            raise UserError(f"{self.path} is not a users file ({error}); fix or delete it") from None
        return users if isinstance(users, dict) else {}

    def _save(self, users: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".users-")
        with os.fdopen(handle, "w", encoding="utf-8") as file:  # mkstemp makes it 0600
            json.dump({"users": users}, file, indent=2, sort_keys=True)
        os.replace(temporary, self.path)

    @property
    def enabled(self) -> bool:
        """Sign-in is required once at least one user exists."""
        return bool(self._load())

    def names(self) -> dict[str, Role]:
        return {name: user.get("role", "reader") for name, user in sorted(self._load().items())}

    def add(self, name: str, password: str, role: Role = "reader") -> bool:
        """Creates or replaces a user; ``True`` if the name was new."""
        if not _NAME.fullmatch(name):
            raise UserError("a user name is 1-64 letters, digits, '.', '_', '@' or '-', "
                            "starting with a letter or digit")
        if len(password) < MIN_PASSWORD_CHARS:
            raise UserError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
        if role not in ROLES:
            raise UserError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
        user = {"hash": _hasher.hash(password), "role": role}  # slow: before the lock
        with self._changing():
            users = self._load()
            new = name not in users
            users[name] = user
            self._save(users)
        return new

    def remove(self, name: str) -> bool:
        with self._changing():
            users = self._load()
            if users.pop(name, None) is None:
                return False
            self._save(users)
        return True

    def verify(self, name: str, password: str) -> bool:
        """Whether the password is right; unknown names cost as much time as known ones."""
        user = self._load().get(name)
        stored = user.get("hash", "") if isinstance(user, dict) else ""
        try:
            return _hasher.verify(stored or _DUMMY_HASH, password) and bool(stored)
        except (VerificationError, InvalidHashError):
            return False

    def role(self, name: str | None) -> Role | None:
        user = self._load().get(name or "")
        return user.get("role", "reader") if isinstance(user, dict) else None


_DUMMY_HASH = _hasher.hash("no such user: the same work as a real check")


def exposure_warning(host: str, users: UserStore) -> str | None:
    """What to tell whoever serves the chat beyond this machine with nobody required to sign in."""
    if users.enabled or host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:  # a host name: assume others can reach it
        pass
    return (f"serving on {host} with no users: anyone who can reach this address can use the "
            "chat and change the library. Add users with: assistant users add NAME --role editor")
