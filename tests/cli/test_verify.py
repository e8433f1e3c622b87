"""`jiedan verify submit|status` and `jiedan admin queue|verify|dispute` against the real
server: a freelancer submits (a bad ID number is exit 2 before anything is sent), a reviewer
made with `jiedan server create-staff` sees it queued and approves it, a freelancer may not
(exit 4); a support agent settles a dispute."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.cli.conftest import User, jiedan
from tests.cli.test_client_commands import awarded_and_funded
from tests.sync.conftest import PASSWORD

ID_NUMBER = "11010519491231002X"


def staff_user(freelancer: User, tmp_path: Path, role: str) -> User:
    email = f"{role}-{uuid.uuid4().hex[:6]}@staff.example.com"
    server = freelancer.server
    made = jiedan(
        *("server", "create-staff", "--email", email, "--role", role),
        *("--database-url", server.database_url, "--password-stdin"),
        home=tmp_path / "ops",
        server=server.url,
        input=PASSWORD,
    )
    assert made.code == 0, str(made)
    user = User(server, tmp_path / role, email)
    user.ok("auth", "login", "--email", email, "--password-stdin", input=PASSWORD)
    return user


def test_a_freelancer_is_verified_by_a_reviewer(freelancer: User, tmp_path: Path) -> None:
    bad = freelancer.run("verify", "submit", "--real-name", "林小满", "--id-number", "1" * 18)
    assert bad.code == 2 and bad.stderr.startswith("error: id number:")
    assert freelancer.ok("verify", "status", "--json").json() == {"status": "none"}

    certificate = tmp_path / "设计师证书.pdf"
    certificate.write_bytes(b"%PDF-1.4 certificate")
    submitted = freelancer.ok(
        *("verify", "submit", "--real-name", "林小满", "--id-number", ID_NUMBER.lower()),
        *("--certificate", str(certificate), "--json"),
    ).json()
    assert submitted["status"] == "pending" and submitted["id_number_masked"].endswith("002X")
    assert [c["name"] for c in submitted["certificates"]] == ["设计师证书.pdf"]
    assert ID_NUMBER not in freelancer.ok("verify", "status").stdout

    reviewer = staff_user(freelancer, tmp_path, "reviewer")
    [item] = reviewer.ok("admin", "queue", "--json").json()
    assert (item["kind"], item["user_id"]) == ("verification", freelancer.id)
    refused = freelancer.run("admin", "verify", "approve", freelancer.id)
    assert refused.code == 4 and "reviewer" in refused.stderr
    approved = reviewer.ok("admin", "verify", "approve", freelancer.id, "--json").json()
    assert approved["status"] == "approved"
    assert freelancer.ok("verify", "status", "--json").json()["status"] == "approved"
    assert reviewer.ok("admin", "queue", "--json").json() == []
    assert reviewer.run("admin", "verify", "reject", freelancer.id).code == 3  # nothing waits


def test_support_settles_a_dispute(client: User, freelancer: User, tmp_path: Path) -> None:
    order = awarded_and_funded(client, freelancer)
    client.ok("dispute", "open", order["id"], "--reason", "交付不完整")
    support = staff_user(freelancer, tmp_path, "support")
    assert (
        support.run("admin", "dispute", "resolve", order["id"], "--to-freelancer", "101").code == 2
    )
    settled = support.ok(
        "admin", "dispute", "resolve", order["id"], "--to-freelancer", "50", "--json"
    ).json()
    assert settled["status"] == "completed"
