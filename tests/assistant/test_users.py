"""The users file: salted Argon2id hashes, roles, and the warning for an open chat."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from assistant.harness import REPO_ROOT, run_assistant
from assistant.users import UserError, UserStore, exposure_warning


@pytest.fixture
def users(tmp_path) -> UserStore:
    return UserStore(tmp_path / "users.json")


def test_no_file_means_no_sign_in(users):
    assert not users.enabled and users.names() == {}
    assert not users.verify("anyone", "anything at all")


def test_a_user_signs_in_with_the_right_password_only(users):
    assert users.add("amira", "correct horse battery", "editor") is True
    assert users.enabled
    assert users.verify("amira", "correct horse battery")
    assert not users.verify("amira", "correct horse batterY")
    assert not users.verify("nobody", "correct horse battery")
    assert users.role("amira") == "editor" and users.role("nobody") is None


def test_the_file_holds_salted_hashes_and_is_private(users):
    users.add("amira", "correct horse battery")
    users.add("bob", "correct horse battery")
    text = users.path.read_text()
    assert "correct horse battery" not in text and text.count("$argon2id$") == 2
    hashes = [line for line in text.splitlines() if "$argon2id$" in line]
    assert hashes[0] != hashes[1]  # same password, different salt
    assert stat.S_IMODE(os.stat(users.path).st_mode) == 0o600


def test_replacing_and_removing_a_user(users):
    users.add("amira", "first password!", "reader")
    assert users.add("amira", "second password!", "editor") is False
    assert users.verify("amira", "second password!") and not users.verify("amira", "first password!")
    assert users.role("amira") == "editor"
    assert users.remove("amira") and not users.remove("amira") and not users.enabled


@pytest.mark.parametrize(("name", "password", "role", "reason"), [
    ("", "long enough pass", "reader", "user name"),
    ("../etc", "long enough pass", "reader", "user name"),
    ("amira", "short", "reader", "at least 10"),
    ("amira", "long enough pass", "admin", "role"),
])
def test_unusable_users_are_refused_with_the_reason(users, name, password, role, reason):
    with pytest.raises(UserError, match=reason):
        users.add(name, password, role)
    assert not users.path.exists()


def test_a_damaged_users_file_is_named(users):
    users.path.write_text("{not json")
    with pytest.raises(UserError, match="not a users file"):
        users.verify("amira", "whatever it is")


@pytest.mark.parametrize(("host", "warned"), [
    ("127.0.0.1", False), ("localhost", False), ("::1", False), ("127.0.0.2", False),
    ("0.0.0.0", True), ("10.1.2.3", True), ("chat.nhs.example", True),
])
def test_an_open_chat_beyond_this_machine_is_warned_about(users, host, warned):
    assert (exposure_warning(host, users) is not None) is warned
    users.add("amira", "correct horse battery")
    assert exposure_warning(host, users) is None


def test_cli_users_add_list_remove(tmp_path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data")}

    def users_cli(*args: str, password: str = ""):
        return run_assistant(env, "users", *args, check=False, stdin=password)

    added = users_cli("add", "eddie", "--role", "editor", "--password-stdin",
                      password="editor-pass-456\n")
    assert added.returncode == 0 and "Added editor 'eddie'" in added.stdout
    refused = users_cli("add", "rita", "--password-stdin", password="short\n")
    assert refused.returncode == 2 and "at least 10 characters" in refused.stderr
    assert '"eddie": "editor"' in run_assistant(env, "users", "list", "--json").stdout
    assert UserStore(tmp_path / "data" / "users.json").verify("eddie", "editor-pass-456")
    assert users_cli("remove", "rita").returncode == 1
    assert users_cli("remove", "eddie").returncode == 0


def test_two_processes_adding_users_at_once_lose_none(tmp_path):
    path = tmp_path / "users.json"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from assistant.users import UserStore\n"
        "store = UserStore(Path(sys.argv[1]))\n"
        "for n in range(12):\n"
        "    store.add(f'{sys.argv[2]}{n}', 'a long enough password', 'reader')\n"
    )
    adders = [subprocess.Popen([sys.executable, "-c", script, str(path), prefix], cwd=REPO_ROOT)
              for prefix in ("ann", "bob")]
    assert [adder.wait(timeout=120) for adder in adders] == [0, 0]
    assert sorted(UserStore(path).names()) == sorted(
        f"{prefix}{n}" for prefix in ("ann", "bob") for n in range(12))
