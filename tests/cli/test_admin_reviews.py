"""`jiedan admin reviews` and `admin clear-review` against the real server (#12, review
integrity): a client and a freelancer complete an order, then use one install (the client's
install id, copied into the freelancer's data dir, as one person running two accounts on one
machine); the client's review is held; a reviewer lists and clears it; a non-staff caller is
exit 4; a second clearing is exit 4 with the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.conftest import User
from tests.cli.test_client_flow import complete_order
from tests.cli.test_verify import staff_user
from tests.sync.conftest import PASSWORD


def same_install(source: User, target: User) -> None:
    """`target` signs in again from `source`'s install (the sign-in records the link)."""
    shutil.copy(source.home / "data" / "install-id", target.home / "data" / "install-id")
    target.ok("auth", "login", "--email", target.email, "--password-stdin", input=PASSWORD)


def test_a_reviewer_clears_a_review_between_linked_accounts(
    client: User, freelancer: User, tmp_path: Path
) -> None:
    order = complete_order(client, freelancer, "800")
    same_install(client, freelancer)  # before the award, the award itself would be held
    written = client.api("POST", f"/v1/orders/{order['id']}/reviews", stars=5, text="很好")

    reviewer = staff_user(freelancer, tmp_path, "reviewer")
    [held] = reviewer.ok("admin", "reviews", "--json").json()
    assert (held["id"], held["author_id"], held["shared_installs"]) == (
        written["id"],
        client.id,
        1,
    )
    assert written["id"] in reviewer.ok("admin", "reviews").stdout  # the table
    refused = client.run("admin", "reviews")
    assert refused.code == 4 and "reviewer" in refused.stderr

    cleared = reviewer.ok("admin", "clear-review", written["id"], "--json").json()
    assert (cleared["id"], cleared["stars"]) == (written["id"], 5)
    assert reviewer.ok("admin", "reviews", "--json").json() == []
    again = reviewer.run("admin", "clear-review", written["id"])
    assert again.code == 4 and "not held" in again.stderr
    assert reviewer.run("admin", "clear-review", "not an id").code == 2
