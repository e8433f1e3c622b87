"""`jiedan demo [--no-tui]`: the whole product on one machine, nothing to set up.

Starts the bundled server on a free 127.0.0.1 port with a throw-away SQLite database and
the demo marketplace (server/seed.py), signs in the demo freelancer in a throw-away
JIEDAN_HOME and syncs; then opens the dashboard (stdout a terminal, `jiedan tui` present),
or prints a walkthrough of the whole flow, with a second throw-away home for the demo client.
Each step runs the core calls the commands run (store/actions.py through
commands/common.perform, the sync engine, the API for online-only reads) and prints the
command a user would type. Nothing touches the user's own files, token or keyring."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from jiedan_cli.domain.money import format_yuan

app = typer.Typer(help="Try jiedan against a throw-away local server.", add_completion=False)

ENV_KEYS = ("JIEDAN_HOME", "JIEDAN_SERVER", "JIEDAN_TOKEN", "PYTHON_KEYRING_BACKEND")


@app.command()
def demo(
    no_tui: Annotated[
        bool, typer.Option("--no-tui", help="Print a walkthrough instead of the dashboard.")
    ] = False,
) -> None:
    """Start a demo server with sample data, sign in as the demo freelancer, and show around."""
    from jiedan_cli.server.demo import DemoServer

    scratch = Path(tempfile.mkdtemp(prefix="jiedan-demo-"))
    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    try:
        _isolate()
        note("starting a demo server (throw-away SQLite database, sample marketplace)…")
        with DemoServer(scratch / "server.db") as server:
            if server.seeded:
                note(f"demo marketplace: {server.seeded}")
            os.environ["JIEDAN_SERVER"] = server.url
            note(f"server on {server.url}  (API docs: {server.url}/docs)")
            tour = Walkthrough(scratch)
            dashboard = sys.stdout.isatty() and not no_tui
            if not dashboard:
                print("jiedan demo — a whole order, from post to payout, on a local server")
            tour.sign_in(tour.freelancer)
            if dashboard:
                _open_dashboard(tour)
                return
            tour.run()
    finally:
        _restore(saved)
        shutil.rmtree(scratch, ignore_errors=True)


def _isolate() -> None:
    """No token from the environment; tokens go to the throw-away homes (the file fallback),
    never to the user's keyring."""
    os.environ.pop("JIEDAN_TOKEN", None)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _open_dashboard(tour: Walkthrough) -> None:
    """Run `jiedan tui` in this process, as the demo freelancer (its command, not the root's:
    a command group imports no `cli.py`)."""
    from jiedan_cli.commands.tui import tui

    tour.become(tour.freelancer)
    note("opening the dashboard…")
    tui()


# ---- the walkthrough -------------------------------------------------------------------------


class Role:
    def __init__(self, name: str, email: str, home: Path) -> None:
        self.name, self.email, self.home = name, email, home
        self.user_id: str | None = None


class Walkthrough:
    """client posts → freelancer bids offline → sync → client awards → funds (escrow) →
    freelancer delivers → client accepts → earnings and points."""

    def __init__(self, scratch: Path) -> None:
        from jiedan_cli.server.demo import DEMO_CLIENT, DEMO_FREELANCER

        self.scratch = scratch
        self.freelancer = Role("freelancer", DEMO_FREELANCER, scratch / "freelancer")
        self.client = Role("client", DEMO_CLIENT, scratch / "client")
        self.step = 0

    # -- plumbing

    def become(self, role: Role) -> None:
        os.environ["JIEDAN_HOME"] = str(role.home)

    @contextmanager
    def as_role(self, role: Role) -> Iterator[Any]:
        from jiedan_cli.commands.common import replica

        self.become(role)
        with replica() as conn:
            yield conn

    def sign_in(self, role: Role) -> None:
        from jiedan_cli.commands.auth import sign_in
        from jiedan_cli.server.demo import DEMO_PASSWORD
        from jiedan_cli.sync import config
        from jiedan_cli.sync.http import api_call

        self.become(role)
        config.update(plaintext_credentials_announced=True)  # a throw-away home: no warning
        self.say(role, f"jiedan auth login --email {role.email}", "(password: jiedan-demo)")
        body = {"email": role.email, "password": DEMO_PASSWORD}
        session = api_call("POST", "/v1/auth/login", json=body, authenticated=False)
        role.user_id = session["user"]["id"]
        sign_in(config.server_url(), session)

    def heading(self, text: str) -> None:
        self.step += 1
        print(f"\n{self.step}. {text}", flush=True)

    def say(self, role: Role, command: str, comment: str = "") -> None:
        print(f"   [{role.name}] $ {command}" + (f"   # {comment}" if comment else ""), flush=True)

    def show(self, text: str) -> None:
        print(f"     {text}", flush=True)

    def act(
        self,
        role: Role,
        command: str,
        call: Callable[[Any], dict[str, Any]],
        *,
        kind: str,
        offline: bool = False,
    ) -> dict[str, Any]:
        from jiedan_cli.commands.common import perform

        self.say(role, command)
        with self.as_role(role) as conn:
            shown = perform(conn, lambda: call(conn), kind=kind, offline=offline)
        if shown.get("sync_state") == "rejected":
            raise RuntimeError(f"the demo step was refused: {shown.get('reject_reason')}")
        return shown

    def sync(self, role: Role) -> None:
        from jiedan_cli.commands.sync_cmd import sync_now

        self.say(role, "jiedan sync")
        with self.as_role(role) as conn:
            report = sync_now(conn).as_dict()
        self.show(", ".join(f"{key} {value}" for key, value in report.items()))

    # -- the story

    def run(self) -> None:
        self.sign_in(self.client)
        order = self.post_order()
        bid = self.bid_offline(order)
        self.award_and_fund(order, bid)
        self.deliver(order)
        self.accept(order)
        self.earnings()
        print(
            "\nDone. The demo server and its data are gone; `jiedan server run --demo` keeps "
            "one running."
        )

    def post_order(self) -> dict[str, Any]:
        from jiedan_cli.store import actions

        self.heading("The client posts an order")
        order = self.act(
            self.client,
            'jiedan client post --title "企业官网首页改版" --description-file 需求.md '
            "--category design --tag 网站,UI设计 --budget-min 2000 --budget-max 4000",
            lambda conn: actions.post_order(
                conn,
                title="企业官网首页改版",
                description="把公司官网首页改成响应式设计，需要设计稿和切图，两轮修改。",
                category="design",
                tags=["网站", "UI设计"],
                budget_min_fen=200_000,
                budget_max_fen=400_000,
            ),
            kind="order",
        )
        self.show(
            f"order {order['id']}  {order['title']}  status {order['status']}, "
            f"sync_state {order['sync_state']}"
        )
        return order

    def bid_offline(self, order: dict[str, Any]) -> dict[str, Any]:
        from jiedan_cli.store import actions
        from jiedan_cli.store.queries import list_orders
        from jiedan_cli.store.verdicts import reread

        self.heading("The freelancer finds it and bids — offline, on a train")
        self.sync(self.freelancer)
        with self.as_role(self.freelancer) as conn:
            found = list_orders(conn, category="design", limit=5)
        self.say(self.freelancer, "jiedan orders list --category design --limit 5")
        for item in found:
            self.show(
                f"{item['id'][:8]}…  {item['title']}  "
                f"¥{format_yuan(item['budget_min_fen'])}–{format_yuan(item['budget_max_fen'])}"
            )
        bid = self.act(
            self.freelancer,
            f"jiedan bid create {order['id']} --amount 3200 --days 10 --offline",
            lambda conn: actions.place_bid(
                conn,
                order_id=order["id"],
                amount_fen=320_000,
                days=10,
                message="做过多个企业官网改版，10天交付设计稿和切图。",
            ),
            kind="bid",
            offline=True,
        )
        self.show(
            f"bid {bid['id']}  ¥{format_yuan(bid['amount_fen'])}  "
            f"status {bid['status']}, sync_state {bid['sync_state']}  (queued locally)"
        )
        self.heading("Back online: one sync sends the queued bid")
        self.sync(self.freelancer)
        with self.as_role(self.freelancer) as conn:
            bid = reread(conn, "bid", bid)
        self.say(self.freelancer, "jiedan bid list")
        self.show(f"bid {bid['id']}  status {bid['status']}, sync_state {bid['sync_state']}")
        return bid

    def award_and_fund(self, order: dict[str, Any], bid: dict[str, Any]) -> None:
        from jiedan_cli.store import actions

        self.heading("The client awards the bid and pays into escrow")
        self.sync(self.client)
        awarded = self.act(
            self.client,
            f"jiedan client award {order['id']} {bid['id']}",
            lambda conn: actions.award(conn, order_id=order["id"], bid_id=bid["id"]),
            kind="order",
        )
        self.show(f"order status {awarded.get('status')}")
        funded = self.act(
            self.client,
            f"jiedan client fund {order['id']}",
            lambda conn: actions.fund(conn, order_id=order["id"]),
            kind="order",
        )
        self.show(
            f"order status {str(funded.get('status')).replace('_', ' ')}"
            f"  (¥{format_yuan(bid['amount_fen'])} "
            "held in escrow by the sandbox payment provider)"
        )

    def deliver(self, order: dict[str, Any]) -> None:
        from jiedan_cli.commands.deliver import describe_file
        from jiedan_cli.store import actions

        self.heading("The freelancer delivers")
        self.sync(self.freelancer)
        artwork = self.scratch / "homepage-v1.fig"
        artwork.write_bytes("首页设计稿 v1\n".encode() * 200)
        files = [describe_file(artwork)]
        delivery = self.act(
            self.freelancer,
            f'jiedan deliver {order["id"]} --note "设计稿和切图" --file homepage-v1.fig',
            lambda conn: actions.deliver(
                conn, order_id=order["id"], note="设计稿和切图，见附件。", files=files
            ),
            kind="delivery",
        )
        self.show(
            f"delivered {files[0]['name']} ({files[0]['size']} bytes, sha256 "
            f"{files[0]['sha256'][:12]}…), sync_state {delivery['sync_state']}"
        )

    def accept(self, order: dict[str, Any]) -> None:
        from jiedan_cli.store import actions

        self.heading("The client accepts: escrow is released to the freelancer")
        self.sync(self.client)
        accepted = self.act(
            self.client,
            f"jiedan client accept {order['id']}",
            lambda conn: actions.accept(conn, order_id=order["id"]),
            kind="order",
        )
        self.show(f"order status {accepted.get('status')}")

    def earnings(self) -> None:
        from jiedan_cli.sync.http import api_call

        self.heading("The freelancer's earnings and points")
        self.sync(self.freelancer)
        self.become(self.freelancer)
        self.say(self.freelancer, "jiedan earnings summary")
        summary = api_call("GET", "/v1/earnings/summary")
        self.show(
            "  ".join(
                f"{key.removesuffix('_fen')} ¥{format_yuan(value)}"
                for key, value in summary.items()
                if key.endswith("_fen")
            )
        )
        self.say(self.freelancer, "jiedan points balance")
        points = api_call("GET", "/v1/points")
        self.show(f"{points.get('balance')} points, tier {points.get('tier')}")
