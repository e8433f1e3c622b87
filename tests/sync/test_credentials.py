"""Token storage (cli.md "auth", security.md "The client side"): JIEDAN_TOKEN first, the OS
keyring when one works, else a 0600 file announced once; logout removes the token; the local
database never holds it."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.sync import config, credentials

SERVER = "http://127.0.0.1:8700"


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps secrets in a dict (what a desktop's Secret Service does)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_a_working_keyring_holds_the_token_under_the_server_and_email(
    memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    where = credentials.store_token(SERVER + "/", "mei@example.com", "tok-1")

    assert where == "keyring"
    assert memory_keyring.secrets == {("jiedan:http://127.0.0.1:8700", "mei@example.com"): "tok-1"}
    assert credentials.load_token(SERVER) == "tok-1"
    assert credentials.signed_in_email(SERVER) == "mei@example.com"
    assert not credentials.credentials_path().exists()
    assert "tok-1" not in config.config_path().read_text()
    assert capsys.readouterr().err == ""


def test_without_a_usable_keyring_the_token_goes_to_a_0600_file_announced_once(
    no_keyring: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert credentials.store_token(SERVER, "mei@example.com", "tok-1") == "file"
    first = capsys.readouterr().err
    credentials.store_token(SERVER, "mei@example.com", "tok-2")
    credentials.store_token("http://other:8700", "li@example.com", "tok-3")

    assert first.count("warning:") == 1 and str(credentials.credentials_path()) in first
    assert capsys.readouterr().err == ""  # never again
    path = credentials.credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert credentials.load_token(SERVER) == "tok-2"
    assert credentials.load_token("http://other:8700") == "tok-3"
    assert "tok-2" in path.read_text()


def test_logout_removes_the_token_from_wherever_it_was(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials.store_token(SERVER, "mei@example.com", "tok-1")
    assert credentials.forget_token(SERVER) is True
    assert memory_keyring.secrets == {}
    assert credentials.load_token(SERVER) is None
    assert credentials.signed_in_email(SERVER) is None
    assert credentials.forget_token(SERVER) is False

    keyring.set_keyring(fail.Keyring())
    credentials.store_token(SERVER, "mei@example.com", "tok-2")
    assert credentials.forget_token(SERVER) is True
    assert "tok-2" not in credentials.credentials_path().read_text()
    with pytest.raises(Unauthenticated, match="auth login"):
        credentials.require_token(SERVER)


def test_jiedan_token_wins_over_stored_credentials(
    no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials.store_token(SERVER, "mei@example.com", "stored")
    monkeypatch.setenv("JIEDAN_TOKEN", "from-env")
    assert credentials.load_token(SERVER) == "from-env"


def test_signing_in_again_moves_the_token_to_the_keyring_once_one_works(
    no_keyring: None, memory_keyring: MemoryKeyring
) -> None:
    keyring.set_keyring(fail.Keyring())
    credentials.store_token(SERVER, "mei@example.com", "old")
    keyring.set_keyring(memory_keyring)
    assert credentials.store_token(SERVER, "mei@example.com", "new") == "keyring"
    assert "old" not in credentials.credentials_path().read_text()
    assert credentials.load_token(SERVER) == "new"


def test_a_hung_keyring_does_not_hang_the_command(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    release = threading.Event()

    def hang(*_args: Any) -> None:
        release.wait(30)

    monkeypatch.setattr(credentials, "KEYRING_TIMEOUT", 0.2)
    monkeypatch.setattr(memory_keyring, "set_password", hang)
    monkeypatch.setattr(memory_keyring, "get_password", hang)
    try:
        assert credentials.store_token(SERVER, "mei@example.com", "tok") == "file"
        assert credentials.load_token(SERVER) == "tok"
    finally:
        release.set()


def test_the_server_comes_from_jiedan_server_then_the_config_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert config.server_url() == "http://127.0.0.1:8700"
    config.set_server("https://jiedan.example.com/")
    assert config.server_url() == "https://jiedan.example.com"
    monkeypatch.setenv("JIEDAN_SERVER", "http://10.0.0.5:8700")
    assert config.server_url() == "http://10.0.0.5:8700"
