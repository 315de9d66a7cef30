"""The ingestion lock: one writer at a time, on one machine or across app replicas.

- :class:`LocalLock`: a file in the data dir (``filelock``), enough when the store and the
  records live on this machine.
- :class:`SharedLock`: a lease row in the shared records database, for replicas on
  different machines that share ``ASSISTANT_RECORDS_URL``. The holder renews the lease while
  it works; a holder killed with ``kill -9`` stops renewing, and the lease lapses after
  ``lease_s`` seconds instead of blocking everyone for ever.

Both: ``with lock.hold(timeout_s): ...`` waits up to ``timeout_s`` and raises
:class:`LockTimeout` naming the holder. Neither is re-entrant.

Example:
    >>> from sqlalchemy import create_engine
    >>> lock = SharedLock(create_engine("sqlite://"))
    >>> with lock.hold(timeout_s=1):
    ...     pass
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout
from sqlalchemy import Column, Engine, Float, MetaData, String, Table, delete, select, update
from sqlalchemy.exc import IntegrityError

_metadata = MetaData()
_leases = Table(
    "assistant_locks",
    _metadata,
    Column("name", String, primary_key=True),
    Column("holder", String, nullable=False),
    Column("expires_at", Float, nullable=False),
)


class IngestionLock(Protocol):
    """What the indexer needs of a lock: hold it for a while, and say whose it is."""

    description: str

    def hold(self, timeout_s: float) -> AbstractContextManager[None]: ...


class LockTimeout(TimeoutError):
    """Waited ``timeout_s`` and someone else still holds the lock; ``str()`` names them."""


class LocalLock:
    """A lock file in the data dir."""

    def __init__(self, path: Path) -> None:
        self._lock = FileLock(str(path))
        self.description = str(path)

    @contextmanager
    def hold(self, timeout_s: float) -> Iterator[None]:
        try:
            self._lock.acquire(timeout=timeout_s)
        except Timeout:
            raise LockTimeout(f"another ingest holds {self.description}") from None
        try:
            yield
        finally:
            self._lock.release()


class SharedLock:
    """A renewed lease in the shared records database (any SQL database SQLAlchemy reaches)."""

    def __init__(self, engine: Engine, name: str = "ingest", lease_s: float = 60.0) -> None:
        self._engine = engine
        _metadata.create_all(engine)
        self._name = name
        self._lease_s = lease_s
        self.description = f"the shared lock '{name}' in the records database"

    def _try_take(self, holder: str) -> bool:
        now = time.time()
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(_leases).where(
                    _leases.c.name == self._name, _leases.c.expires_at < now))
                connection.execute(_leases.insert().values(
                    name=self._name, holder=holder, expires_at=now + self._lease_s))
            return True
        except IntegrityError:
            return False

    def holder(self) -> str | None:
        with self._engine.connect() as connection:
            return connection.execute(
                select(_leases.c.holder).where(_leases.c.name == self._name)).scalar()

    def _renew(self, holder: str, stop: threading.Event) -> None:
        while not stop.wait(self._lease_s / 3):
            with self._engine.begin() as connection:
                connection.execute(update(_leases).where(
                    _leases.c.name == self._name, _leases.c.holder == holder,
                ).values(expires_at=time.time() + self._lease_s))

    @contextmanager
    def hold(self, timeout_s: float) -> Iterator[None]:
        holder = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"
        deadline = time.monotonic() + timeout_s
        while not self._try_take(holder):
            if time.monotonic() >= deadline:
                raise LockTimeout(f"another ingest holds {self.description}: {self.holder()}")
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(holder, stop), daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            with self._engine.begin() as connection:
                connection.execute(delete(_leases).where(
                    _leases.c.name == self._name, _leases.c.holder == holder))
