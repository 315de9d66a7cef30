"""The ingestion locks: one holder at a time, a named holder on timeout, lapsed leases."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from assistant.harness import REPO_ROOT
from assistant.settings import Settings
from ingest.locks import LeaseLost, LocalLock, LockTimeout, SharedLock


@pytest.fixture
def db_url(records_url) -> str:
    """The shared records database (SQLite, then PostgreSQL) as SQLAlchemy opens it."""
    return Settings(records_url=records_url, _env_file=None).records_db_url


@pytest.fixture(params=["local", "shared"])
def make_lock(request, tmp_path, db_url):
    if request.param == "local":
        return lambda **_: LocalLock(tmp_path / "ingest.lock")
    return lambda **kwargs: SharedLock(create_engine(db_url), **kwargs)


def test_a_second_holder_waits_then_times_out_naming_the_lock(make_lock):
    first, second = make_lock(), make_lock()
    with first.hold(timeout_s=1):
        with pytest.raises(LockTimeout, match="another ingest holds"):
            with second.hold(timeout_s=0.3):
                pytest.fail("two holders at once")
    with second.hold(timeout_s=1):
        pass


def test_a_waiting_holder_gets_the_lock_once_it_is_released(make_lock):
    first, second = make_lock(), make_lock()
    order = []

    def hold_briefly():
        with first.hold(timeout_s=1):
            order.append("first in")
            time.sleep(0.5)
            order.append("first out")

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    while not order:
        time.sleep(0.01)
    with second.hold(timeout_s=10):
        order.append("second in")
    holder.join()
    assert order == ["first in", "first out", "second in"]


def test_the_shared_lock_names_its_holder_and_is_renewed_while_held(db_url):
    first, second = (SharedLock(create_engine(db_url), lease_s=0.6) for _ in range(2))
    with first.hold(timeout_s=1):
        time.sleep(1.5)  # more than two leases: only renewal keeps it
        with pytest.raises(LockTimeout, match=r"pid \d+"):
            with second.hold(timeout_s=0.3):
                pass
    assert first.holder() is None


def test_a_shared_lock_whose_holder_was_killed_lapses(db_url):
    script = (
        "import os, signal\n"
        "from sqlalchemy import create_engine\n"
        "from ingest.locks import SharedLock\n"
        f"with SharedLock(create_engine({db_url!r}), lease_s=2).hold(timeout_s=5):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, timeout=120)
    assert killed.returncode == -9
    lock = SharedLock(create_engine(db_url))
    assert lock.holder() is not None  # the dead holder's lease is still there…
    started = time.monotonic()
    with lock.hold(timeout_s=30):  # …until it lapses
        assert time.monotonic() - started < 10


def test_replicas_sharing_records_take_turns(settings, tmp_path, db_url):
    from assistant.wiring import Parts
    from ingest.indexer import IngestLocked

    replica = lambda name: Parts(settings.model_copy(update={  # noqa: E731
        "data_dir": tmp_path / name, "records_url": db_url, "lock_timeout_s": 0.3})).indexer
    one, two = replica("one"), replica("two")
    with one.locked():
        with pytest.raises(IngestLocked, match="shared lock"):
            two.ingest([])
    assert two.ingest([]).files == []


def _lapse_and_take(db_url: str) -> None:
    """What a stalled holder's lease comes to: it lapsed and another replica took it (one
    update, so the holder's renewal can't slip in between)."""
    with create_engine(db_url).begin() as connection:
        connection.execute(text("UPDATE assistant_locks SET holder = :other, expires_at = :until"),
                           {"other": OTHER, "until": time.time() + 60})


OTHER = "replica-2 pid 1 (test)"


def test_a_holder_whose_lease_lapsed_and_was_taken_finds_out_before_its_next_write(db_url):
    lock = SharedLock(create_engine(db_url), lease_s=0.6)
    with pytest.raises(LeaseLost, match="no longer"):
        with lock.hold(timeout_s=1) as lease:
            lease.check()  # held: writing is fine
            _lapse_and_take(db_url)
            time.sleep(0.5)  # the holder's next renewal finds its row gone
            with pytest.raises(LeaseLost, match="lease lapsed"):
                lease.check()
    assert lock.holder() == OTHER  # leaving, the old holder kept off the new lease


def test_an_ingest_that_loses_its_lease_stops_and_keeps_what_it_stored(settings, tmp_path, db_url):
    from assistant.wiring import Parts
    from ingest.indexer import IngestLocked

    for name in ("a", "b", "c"):
        (tmp_path / "docs").mkdir(exist_ok=True)
        (tmp_path / "docs" / f"{name}.md").write_text(
            f"# Note {name}\n\nThe {name} service opens at nine on weekdays.\n")
    parts = Parts(settings.model_copy(update={"records_url": db_url, "lock_lease_s": 0.6}))
    stored = []
    split = parts.indexer.splitter.split

    def split_then_stall(document):
        # The lock is held from here to the catalog row: the lease lapses while the second
        # file is being written, and another replica takes it.
        if document.metadata["doc_id"] == "b":
            _lapse_and_take(db_url)
            time.sleep(0.5)
        return split(document)

    parts.indexer.splitter.split = split_then_stall
    with pytest.raises(IngestLocked, match="lost the shared lock.*again"):
        parts.indexer.ingest([tmp_path / "docs"], on_file=lambda r: stored.append(r.doc_id))
    assert [r.doc_id for r in parts.catalog.all()] == stored == ["a"]
