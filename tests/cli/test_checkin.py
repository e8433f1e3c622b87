"""`jiedan points checkin` against the real server: synced at once and refused a second time
the same day (exit 4, nothing queued); offline it waits in the outbox and the next sync sends
it; a check-in from another device the same day adds nothing twice."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import User
from tests.sync.conftest import PASSWORD


def test_check_in_once_a_day(freelancer: User) -> None:
    done = freelancer.ok("points", "checkin", "--json").json()
    assert (done["amount"], done["streak"], done["sync_state"]) == (5, 1, "synced")
    again = freelancer.run("points", "checkin")
    assert again.code == 4 and again.stdout == ""
    assert again.stderr == f"error: you have checked in today ({done['day']}) already\n"
    assert freelancer.ok("points", "balance", "--json").json()["balance"] == 5
    [entry] = freelancer.ok("points", "history", "--json").json()
    assert (entry["kind"], entry["id"]) == ("checkin", done["id"])
    assert freelancer.ok("sync", "status", "--json").json()["pending"] == 0


def test_an_offline_check_in_is_sent_by_the_next_sync(freelancer: User) -> None:
    waiting = freelancer.unreachable("points", "checkin", "--json")
    assert waiting.code == 0, str(waiting)
    assert waiting.json()["sync_state"] == "pending"
    again = freelancer.unreachable("points", "checkin")  # today's is queued already
    assert again.code == 4 and "by the local copy" in again.stderr, str(again)
    assert freelancer.ok("sync", "--json").json()["pushed"] == 1
    assert freelancer.ok("points", "balance", "--json").json()["balance"] == 5


def test_two_devices_check_in_once(freelancer: User, tmp_path: Path) -> None:
    laptop = User(freelancer.server, tmp_path / "laptop", freelancer.email)
    laptop.ok("auth", "login", "--email", freelancer.email, "--password-stdin", input=PASSWORD)
    laptop.ok("points", "checkin")
    phone = freelancer.ok("points", "checkin", "--json").json()  # it had not pulled the first
    assert phone["sync_state"] == "synced" and phone["amount"] == 5
    assert laptop.ok("points", "balance", "--json").json()["balance"] == 5
