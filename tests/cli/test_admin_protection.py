"""`jiedan admin protection` and `admin compensate` against the real server (#12, 保险机制):
a completed order feeds the protection fund; finance sees its balance and compensates the
freelancer of a disputed order from it; more than the fund holds is exit 4 with the balance
named; a bad `--to` or amount is exit 2 before anything is sent; support may not (exit 4)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import User, funded_order
from tests.cli.test_client_flow import complete_order
from tests.cli.test_verify import staff_user


def test_finance_compensates_from_the_fund(client: User, freelancer: User, tmp_path: Path) -> None:
    complete_order(client, freelancer, "1200")  # the waiver covers ¥2,000: complete a second
    complete_order(client, freelancer, "1200")
    finance = staff_user(freelancer, tmp_path, "finance")
    fund = finance.ok("admin", "protection", "--json").json()
    assert fund["account"] == "platform:protection" and fund["balance_fen"] > 0
    assert "platform:protection" in finance.ok("admin", "protection").stdout

    order = funded_order(client, freelancer)
    client.ok("dispute", "open", order["id"], "--reason", "对方失联")
    too_much = finance.run(
        *("admin", "compensate", order["id"], "--to", "freelancer"),
        *("--amount", "100000", "--reason", "买家欺诈"),
    )
    assert too_much.code == 4 and "protection fund holds" in too_much.stderr
    bad_to = finance.run(
        "admin", "compensate", order["id"], "--to", "bank", "--amount", "1", "--reason", "x"
    )
    assert bad_to.code == 2 and "--to" in bad_to.stderr
    bad_amount = finance.run(
        "admin", "compensate", order["id"], "--to", "client", "--amount", "一些", "--reason", "x"
    )
    assert bad_amount.code == 2 and "--amount" in bad_amount.stderr

    paid = finance.ok(
        *("admin", "compensate", order["id"], "--to", "freelancer"),
        *("--amount", "0.50", "--reason", "买家欺诈", "--json"),
    ).json()
    assert (paid["recipient_id"], paid["amount_fen"], paid["amount_yuan"]) == (
        freelancer.id,
        50,
        "0.50",
    )
    after = finance.ok("admin", "protection", "--json").json()
    assert after["balance_fen"] == fund["balance_fen"] - 50

    support = staff_user(freelancer, tmp_path, "support")
    refused = support.run(
        "admin", "compensate", order["id"], "--to", "client", "--amount", "1", "--reason", "x"
    )
    assert refused.code == 4 and "finance" in refused.stderr
