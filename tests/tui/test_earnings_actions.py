"""The Earnings screen's two actions. Export (e) writes the same file `jiedan earnings export`
does (store.ledger_export) from the replica, offline; Withdraw (w) pays out through the REAL
server (uvicorn on loopback) with sync.payouts.withdraw, the CLI's own function, and asks for
the one-time code when 2FA is on. Nothing of ours is mocked."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select

from jiedan_cli.domain.money import format_yuan, parse_yuan
from jiedan_cli.store.db import open_db
from jiedan_cli.store.earnings import earnings_summary, ledger_entries
from jiedan_cli.store.ledger_export import export_text
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.earnings import Earnings
from jiedan_cli.tui.widgets.field_error import FieldError
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.cli.conftest import closed_port_url
from tests.sync.conftest import PASSWORD, LiveServer
from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import api, post_order, replica_of

pytestmark = pytest.mark.anyio


async def open_earnings(pilot: Pilot[Any]) -> Earnings:
    app = pilot.app
    await pilot.press("3")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, Earnings) and app.screen)
    await wait_for(pilot, lambda: screen.available_fen is not None, what="the figures")
    assert isinstance(screen, Earnings)
    return screen


async def open_form(pilot: Pilot[Any], key: str) -> FormModal:
    await pilot.press(key)
    form = await wait_for(
        pilot, lambda: isinstance(pilot.app.screen, FormModal) and pilot.app.screen
    )
    assert isinstance(form, FormModal)
    return form


def submit(form: FormModal) -> None:
    form.query_one("#form-submit", Button).press()


def field_error(form: FormModal, name: str) -> str:
    return form.query_one(f"#form-{name}-error", FieldError).message


def notes(app: JiedanApp, severity: str) -> list[str]:
    return [n.message for n in app._notifications if n.severity == severity]


def ledger_rows(screen: Earnings) -> list[tuple[str, str]]:
    """(kind, amount) of each ledger row as shown, newest first."""
    table = screen.query_one("#ledger-table")
    rows = [table.get_row_at(n) for n in range(table.row_count)]  # type: ignore[attr-defined]
    return [(str(row[1]), str(row[2])) for row in rows]


# ---- export ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format_", "since"), [("csv", None), ("ledger", None), ("csv", "2026-02-20")]
)
async def test_export_writes_what_the_cli_export_writes(
    market_db: Path, tmp_path: Path, format_: str, since: str | None
) -> None:
    target = tmp_path / "books" / f"out.{format_}"
    target.parent.mkdir()
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_earnings(pilot)
        form = await open_form(pilot, "e")
        path = form.query_one("#form-path", Input)
        assert path.value == "~/jiedan-ledger-2026-03-20.csv"  # the app's clock says today
        form.query_one("#form-format", Select).value = format_
        suffix = ".journal" if format_ == "ledger" else ".csv"
        await wait_for(pilot, lambda: path.value == f"~/jiedan-ledger-2026-03-20{suffix}")
        path.value = str(target)
        form.query_one("#form-since", Input).value = since or ""
        submit(form)
        await wait_for(pilot, lambda: notes(app, "information"), what="the export notice")

    conn = open_db(market_db)
    day = date.fromisoformat(since) if since else None
    entries, every = ledger_entries(conn, since=day), ledger_entries(conn)
    conn.close()
    assert target.read_text(encoding="utf-8") == export_text(entries, format_)
    assert notes(app, "information") == [f"wrote {len(entries)} ledger lines to {target}"]
    assert 0 < len(entries) < len(every) if since else entries == every


async def test_a_path_that_cannot_be_written_is_one_error_line(
    market_db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no-such-folder" / "ledger.csv"
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_earnings(pilot)
        form = await open_form(pilot, "e")
        form.query_one("#form-path", Input).value = str(target)
        submit(form)
        await wait_for(pilot, lambda: notes(app, "error"), what="the error")
        assert isinstance(app.screen, Earnings)  # the dialog closed; the screen is as it was
    [error] = notes(app, "error")
    assert error == f"path: cannot write {target}: No such file or directory"
    assert not target.exists()


async def test_a_bad_since_date_is_said_under_the_field(market_db: Path) -> None:
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_earnings(pilot)
        form = await open_form(pilot, "e")
        form.query_one("#form-since", Input).value = "last week"
        await wait_for(pilot, lambda: field_error(form, "since"))
        assert field_error(form, "since") == "since: 'last week' is not a date (YYYY-MM-DD)"
        submit(form)
        await pilot.pause(0.2)
        assert app.screen is form  # not sent


async def test_the_palette_opens_the_export_dialog_from_another_section(market_db: Path) -> None:
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"Export the ledger")
        await pilot.pause(0.3)
        await pilot.press("enter")
        form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
        assert form.form_title == "Export the ledger"
        assert app.current_mode == "earnings"


# ---- withdraw: refused before asking ------------------------------------------------------------


def available_in(db: Path) -> int:
    conn = open_db(db)
    try:
        return int(earnings_summary(conn)["available_fen"])
    finally:
        conn.close()


async def test_an_amount_above_the_available_balance_is_refused_in_the_form(
    market_db: Path,
) -> None:
    available = available_in(market_db)
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_earnings(pilot)
        assert screen.available_fen == available > 0
        form = await open_form(pilot, "w")
        amount = form.query_one("#form-amount", Input)
        amount.value = format_yuan(available + 1)
        await wait_for(pilot, lambda: field_error(form, "amount"))
        # the server's own words (domain.money.check_withdrawal)
        assert field_error(form, "amount") == (
            f"you can withdraw at most ¥{format_yuan(available)} (available now)"
        )
        submit(form)
        await pilot.pause(0.2)
        assert app.screen is form and not app._notifications  # nothing was sent
        amount.value = "12.345"
        await wait_for(pilot, lambda: "not an amount" in field_error(form, "amount"))


async def test_withdrawing_without_the_network_is_one_error_line_and_changes_nothing(
    market_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable, available = closed_port_url(), available_in(market_db)
    monkeypatch.setenv("JIEDAN_TOKEN", "a-token")
    app = offline_app(market_db, server=unreachable)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_earnings(pilot)
        before = ledger_rows(screen)
        form = await open_form(pilot, "w")
        form.query_one("#form-amount", Input).value = "100"
        submit(form)
        await wait_for(pilot, lambda: notes(app, "error"), what="the error")
        await app.workers.wait_for_complete()
        [error] = notes(app, "error")
        assert error.startswith(
            f"Withdrawals need the network: cannot reach the server at {unreachable}"
        )
        assert "\n" not in error
        assert ledger_rows(screen) == before and screen.available_fen == available
        assert isinstance(app.screen, Earnings)
    assert available_in(market_db) == available


# ---- withdraw against the real server ----------------------------------------------------------


def earned(server: LiveServer, amount_fen: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A client and a freelancer whose first order (fee-free) paid `amount_fen`."""
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "店铺小程序开发")
    path = f"/v1/orders/{order['id']}"
    bid = api(server, freelancer, "POST", f"{path}/bids", amount_fen=amount_fen, days=7)
    api(server, client, "POST", f"{path}/award", bid_id=bid["id"])
    api(server, client, "POST", f"{path}/fund")
    api(server, freelancer, "POST", f"{path}/deliveries", note="小程序源码与说明")
    assert api(server, client, "POST", f"{path}/accept")["status"] == "completed"
    assert api(server, freelancer, "GET", "/v1/earnings/summary")["available_fen"] == amount_fen
    return client, freelancer


async def withdraw(pilot: Pilot[Any], amount: str) -> None:
    form = await open_form(pilot, "w")
    form.query_one("#form-amount", Input).value = amount
    submit(form)


async def test_a_withdrawal_is_paid_and_shows_in_the_ledger(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a first order within the fee waiver (domain/fees.FIRST_ORDER_WAIVER_FEN): no fee
    _client, freelancer = earned(server, 200_000)
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)

    app = offline_app(db)  # no background sync: the withdrawal's own short sync brings it in
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_earnings(pilot)
        assert screen.available_fen == 200_000
        await withdraw(pilot, "600.50")
        await wait_for(
            pilot, lambda: screen.available_fen == 139_950, timeout=30, what="the new balance"
        )
        assert ledger_rows(screen)[0] == ("withdraw", "-¥600.50")
        await wait_for(pilot, lambda: "¥1,399.50" in screen_text(app), what="the figure, shown")
        assert notes(app, "information")[-1] == "Withdrew ¥600.50; ¥1,399.50 left to withdraw."
        assert not notes(app, "error")
    answer = api(server, freelancer, "GET", "/v1/earnings/summary")
    assert answer["available_fen"] == 200_000 - parse_yuan("600.50")


async def test_with_2fa_on_the_dialog_asks_for_the_code(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client, freelancer = earned(server, 80_000)
    secret = api(server, freelancer, "POST", "/v1/auth/2fa/enable", password=PASSWORD)["secret"]
    totp = pyotp.TOTP(secret)
    # confirmed with the previous step's code, so the current one is still unused
    api(server, freelancer, "POST", "/v1/auth/2fa/confirm", otp=totp.at(time.time() - 30))
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)

    app = offline_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_earnings(pilot)
        await withdraw(pilot, "100")  # no code
        asked = await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FormModal)
                and app.screen.fields["otp"].required
                and app.screen
            ),
            timeout=30,
            what="the dialog again, asking for the code",
        )
        asking = "this needs a one-time code from your authenticator"
        await wait_for(pilot, lambda: asking in screen_text(app), what="the reason, shown")
        assert notes(app, "warning") == [asking]
        assert asked.query_one("#form-amount", Input).value == "100.00"  # kept
        submit(asked)  # still no code: the form says so
        await wait_for(pilot, lambda: field_error(asked, "otp") == "one-time code: required")
        asked.query_one("#form-otp", Input).value = totp.now()
        asked.query_one("#form-otp", Input).focus()
        await pilot.press("enter")  # Enter in a field sends the form too
        await wait_for(pilot, lambda: screen.available_fen == 70_000, timeout=30)
        assert ledger_rows(screen)[0] == ("withdraw", "-¥100.00")
        assert not notes(app, "error")
    assert api(server, freelancer, "GET", "/v1/earnings/summary")["available_fen"] == 70_000
