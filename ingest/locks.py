"""The ingestion lock: one writer at a time, on one machine or across app replicas.

- :class:`LocalLock`: a file in the data dir (``filelock``), enough when the store and the
  records live on this machine.
- :class:`SharedLock`: a lease row in the shared records database, for replicas on
  different machines that share ``ASSISTANT_RECORDS_URL``. The holder renews the lease while
  it works; a holder killed with ``kill -9`` stops renewing, and the lease lapses after
  ``lease_s`` seconds instead of blocking everyone for ever.

Both: ``with lock.hold(timeout_s) as lease: ...`` waits up to ``timeout_s`` and raises
:class:`LockTimeout` naming the holder. Neither is re-entrant. A holder calls
``lease.check()`` before each write: a shared lease that could not be renewed in time (the
database did not answer, or the process stalled past the lease) may already be someone
else's, and the check raises :class:`LeaseLost` instead of letting two writers interleave.

Example:
    >>> from sqlalchemy import create_engine
    >>> lock = SharedLock(create_engine("sqlite://"))
    >>> with lock.hold(timeout_s=1) as lease:
    ...     lease.check()
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
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

_metadata = MetaData()
_leases = Table(
    "assistant_locks",
    _metadata,
    Column("name", String, primary_key=True),
    Column("holder", String, nullable=False),
    Column("expires_at", Float, nullable=False),
)


class LockTimeout(TimeoutError):
    """Waited ``timeout_s`` and someone else still holds the lock; ``str()`` names them."""


class LeaseLost(RuntimeError):
    """The holder's lease lapsed while it held the lock; ``str()`` says why."""


class Lease:
    """A holder's hold on the lock, as its renewal last found it."""

    def __init__(self) -> None:
        self._lost = threading.Event()
        self._why = ""

    def lose(self, why: str) -> None:
        self._why = why
        self._lost.set()

    def check(self) -> None:
        """Raises :class:`LeaseLost` if the lock may no longer be this holder's."""
        if self._lost.is_set():
            raise LeaseLost(self._why)


class IngestionLock(Protocol):
    """What the indexer needs of a lock: hold it for a while, and say whose it is."""

    description: str

    def hold(self, timeout_s: float) -> AbstractContextManager[Lease]: ...


class LocalLock:
    """A lock file in the data dir."""

    def __init__(self, path: Path) -> None:
        self._lock = FileLock(str(path))
        self.description = str(path)

    @contextmanager
    def hold(self, timeout_s: float) -> Iterator[Lease]:
        try:
            self._lock.acquire(timeout=timeout_s)
        except Timeout:
            raise LockTimeout(f"another ingest holds {self.description}") from None
        try:
            yield Lease()  # the operating system holds a lock file until the process ends
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

    def _renew(self, holder: str, stop: threading.Event, lease: Lease) -> None:
        while not stop.wait(self._lease_s / 3):
            try:
                with self._engine.begin() as connection:
                    renewed = connection.execute(update(_leases).where(
                        _leases.c.name == self._name, _leases.c.holder == holder,
                    ).values(expires_at=time.time() + self._lease_s)).rowcount
            except SQLAlchemyError as error:
                lease.lose(f"the records database did not renew the lease ({type(error).__name__})")
                return
            if not renewed:
                # It lapsed and was taken (or cleared): someone else may be writing now.
                lease.lose(f"its lease lapsed and is no longer {holder}'s")
                return

    @contextmanager
    def hold(self, timeout_s: float) -> Iterator[Lease]:
        holder = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"
        deadline = time.monotonic() + timeout_s
        while not self._try_take(holder):
            if time.monotonic() >= deadline:
                raise LockTimeout(f"another ingest holds {self.description}: {self.holder()}")
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        stop, lease = threading.Event(), Lease()
        renewer = threading.Thread(target=self._renew, args=(holder, stop, lease), daemon=True)
        renewer.start()
        try:
            yield lease
            lease.check()  # what was written after the lease lapsed is not vouched for
        finally:
            stop.set()
            renewer.join()
            with self._engine.begin() as connection:
                connection.execute(delete(_leases).where(
                    _leases.c.name == self._name, _leases.c.holder == holder))
