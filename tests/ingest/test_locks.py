"""The ingestion locks: one holder at a time, a named holder on timeout, lapsed leases."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine

from assistant.harness import REPO_ROOT
from ingest.locks import LocalLock, LockTimeout, SharedLock


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'records.sqlite'}"


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
    first, second = SharedLock(create_engine(db_url), lease_s=0.6), SharedLock(create_engine(db_url), lease_s=0.6)
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
