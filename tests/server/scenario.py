"""A small marketplace built through the real HTTP routes, for the cross-cutting security
tests: a client, two freelancers, an unrelated user, one staff account of each role, and
orders in every interesting state with their bids, milestones, deliveries, messages, a
dispute, a review-ready order, earnings, a portfolio item and a sync client.

`World` also makes fresh objects on demand (`new_*`), so a test that changes state can act
on an object of its own and leave the shared ones as they were."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from jiedan_cli.domain.errors import Held
from jiedan_cli.domain.ledger import PLATFORM_PROTECTION
from jiedan_cli.server.services import accounts, holds, reauth, totp
from jiedan_cli.server.services.devices import INSTALL_HEADER
from jiedan_cli.server.services.ledger import balance
from jiedan_cli.server.services.reauth import PasswordProof
from tests.server.conftest import Server
from tests.server.escrow_flow import act, actor_of, deliver, ok
from tests.server.escrow_flow import staff as signed_in_staff
from tests.server.market import award, place_bid, post_order

User = dict[str, Any]
STAFF_ROLES = ("support", "finance", "reviewer", "admin")
PASSWORD = "correct horse 42"
_serial = count(1)


VERIFICATION = {"real_name": "林小满", "id_number": "11010519491231002X"}


@dataclass
class World:
    server: Server
    client: User  # posts every order below
    freelancer: User  # awarded on the working, delivered, disputed and completed orders
    bidder: User  # bids on the open order
    other: User  # signed in, both roles, related to nothing here
    staff: dict[str, User]
    open_order: dict[str, Any] = field(default_factory=dict)
    open_bid: dict[str, Any] = field(default_factory=dict)
    working: dict[str, Any] = field(default_factory=dict)  # funded, in_progress
    milestone: dict[str, Any] = field(default_factory=dict)  # the working order's
    delivered: dict[str, Any] = field(default_factory=dict)
    delivery: dict[str, Any] = field(default_factory=dict)
    disputed: dict[str, Any] = field(default_factory=dict)
    completed: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    portfolio_item: dict[str, Any] = field(default_factory=dict)
    sync_client_id: str = ""

    # ---- people -------------------------------------------------------------------------

    def new_user(self, role: str = "both") -> User:
        return self.server.register(role)

    def new_staff(self, role: str) -> User:
        """A staff account signed in without a password round trip (cheaper than login)."""
        email = f"{role}-{next(_serial)}-{uuid.uuid4().hex[:6]}@staff.example.com"
        now = self.server.clock.now
        with self.server.db.write() as conn:
            user = accounts.create_staff(
                conn, email=email, role=role, password=PASSWORD, name=role, now=now
            )
            token = accounts.open_session(conn, user["id"], now=now, ttl_days=30)
        return {**user, "token": token}

    def new_session(self, user: User) -> User:
        """The same account with a session of its own (to sign out without harm)."""
        with self.server.db.write() as conn:
            token = accounts.open_session(conn, user["id"], now=self.server.clock.now, ttl_days=30)
        return {**user, "token": token}

    def pending_2fa_user(self) -> tuple[User, str]:
        """A fresh user who started 2FA; (user, a valid code for the next step)."""
        user = self.new_user()
        now, proof = self.server.clock.now, self.proof(user)
        with self.server.db.write() as conn:
            secret = totp.enable_2fa(conn, actor_of(user), proof, now=now)["secret"]
        return user, self.code(secret, ahead=0)

    def twofa_user(self) -> tuple[User, str]:
        """A fresh user with 2FA on; (user, a valid, unused code)."""
        user = self.new_user()
        now, proof = self.server.clock.now, self.proof(user)
        with self.server.db.write() as conn:
            secret = totp.enable_2fa(conn, actor_of(user), proof, now=now)["secret"]
            totp.confirm_2fa(conn, actor_of(user), self.code(secret, ahead=-1), now=now)
        return user, self.code(secret, ahead=1)

    def proof(self, user: User) -> PasswordProof:
        """The user's password shown again (`PASSWORD`, every account's here)."""
        now = self.server.clock.now
        return reauth.prove_password(
            self.server.db, actor_of(user), PASSWORD, now=now, address="testclient"
        )

    def code(self, secret: str, *, ahead: int) -> str:
        step = totp.step_at(self.server.clock.now) + ahead
        return totp.code_for_step(secret, step)

    # ---- orders in each state -----------------------------------------------------------

    def new_open_order(self) -> dict[str, Any]:
        return post_order(self.server, self.client)

    def new_bid(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(open order, the bidder's submitted bid on it)."""
        order = self.new_open_order()
        return order, place_bid(self.server, self.bidder, order["id"])

    def new_awarded(self) -> dict[str, Any]:
        order = self.new_open_order()
        bid = place_bid(self.server, self.freelancer, order["id"])
        return award(self.server, self.client, order["id"], bid["id"])

    def new_funded(self) -> dict[str, Any]:
        order = self.new_awarded()
        return dict(ok(act(self.server, self.client, order["id"], "fund"))["order"])

    def new_delivered(self) -> dict[str, Any]:
        order = self.new_funded()
        deliver(self.server, self.freelancer, order["id"])
        return order

    def new_refund_requested(self) -> dict[str, Any]:
        order = self.new_funded()
        return ok(act(self.server, self.client, order["id"], "refund-request", reason="不做了"))

    def new_disputed(self) -> dict[str, Any]:
        order = self.new_funded()
        return ok(act(self.server, self.client, order["id"], "dispute", reason="质量有争议"))

    def new_completed(self) -> dict[str, Any]:
        order = self.new_delivered()
        return ok(act(self.server, self.client, order["id"], "accept"))

    def new_held_review(self) -> dict[str, Any]:
        """A review held for integrity review: its author and subject, new accounts, complete
        an order, then sign in on one install before the review (linked before the award,
        the risk engine would hold the award itself)."""
        client, freelancer = self.new_user("client"), self.new_user("freelancer")
        order = post_order(self.server, client)
        bid = place_bid(self.server, freelancer, order["id"])
        award(self.server, client, order["id"], bid["id"])
        ok(act(self.server, client, order["id"], "fund"))
        deliver(self.server, freelancer, order["id"])
        ok(act(self.server, client, order["id"], "accept"))
        shared = {INSTALL_HEADER: f"shared-{uuid.uuid4().hex[:12]}"}
        for user in (client, freelancer):
            body = {"email": user["email"], "password": PASSWORD}
            ok(self.server.client.post("/v1/auth/login", json=body, headers=shared))
        written = self.server.request(
            "POST", f"/v1/orders/{order['id']}/reviews", client["token"], json={"stars": 5}
        )
        return ok(written, 201)

    def new_compensable(self) -> dict[str, Any]:
        """A disputed order, with at least a fen in the protection fund to compensate from
        (the world's freelancer completes orders until a fee has fed it)."""
        for _ in range(3):
            with self.server.db.read() as conn:
                if balance(conn, PLATFORM_PROTECTION) > 0:
                    break
            self.new_completed()
        return self.new_disputed()

    def new_pending_intent(self) -> dict[str, Any]:
        """A payment intent whose provider notification has not arrived yet."""
        from jiedan_cli.server.services import escrow

        order = self.new_awarded()
        with self.server.db.write() as conn:
            started = escrow.fund_order(
                conn, actor_of(self.client), order_id=order["id"], now=self.server.clock.now
            )
        return dict(started["payment_intent"])

    def new_pending_verification(self) -> User:
        """A new freelancer whose real-name verification waits for review."""
        user = self.new_user("freelancer")
        response = self.server.request(
            "POST", "/v1/me/verification", user["token"], json=VERIFICATION
        )
        ok(response, 201)
        return user

    def new_portfolio_item(self) -> dict[str, Any]:
        body = {"title": "咖啡店品牌设计", "description": "logo 与包装"}
        response = self.server.request(
            "POST", "/v1/me/portfolio", self.freelancer["token"], json=body
        )
        return ok(response, 201)

    def message(self, sender: User, order_id: str, text: str, to: str | None = None) -> Any:
        body = {"text": text, **({"to": to} if to else {})}
        response = self.server.request(
            "POST", f"/v1/orders/{order_id}/messages", sender["token"], json=body
        )
        return ok(response, 201)

    def new_hold(self) -> dict[str, Any]:
        """A bid by the bidder on a fresh open order, held for review as the risk engine
        holds one (services/holds.record_hold), without turning the engine on for the
        whole world."""
        order = self.new_open_order()
        args = {"order_id": order["id"], "amount_fen": 90_000, "days": 5, "id": str(uuid.uuid4())}
        stop = Held(
            "20 or more quotes in a minute",
            action="bid",
            score=50,
            fired=[{"name": "bid_velocity", "weight": 50, "reason": "20 or more quotes"}],
            facts={"bids_in_window": 20},
            object_id=args["id"],
        )
        with self.server.db.write() as conn:
            row = holds.record_hold(
                conn,
                actor_of(self.bidder),
                stop,
                intent="place_bid",
                args=args,
                now=self.server.clock.now,
            )
        return {"id": row.id, "order_id": order["id"], "bid_id": args["id"]}

    def new_sync_client(self, user: User) -> str:
        """A sync client id bound to `user` (one operation pushed as seq 1)."""
        client_id = f"dev-{uuid.uuid4().hex[:12]}"
        op = {"seq": 1, "op_id": str(uuid.uuid4()), "intent": "noop", "args": {}}
        response = self.server.request(
            "POST", "/v1/sync/push", user["token"], json={"client_id": client_id, "ops": [op]}
        )
        assert ok(response)["last_seq"] == 1
        return client_id


def build_world(server: Server) -> World:
    world = World(
        server,
        client=server.register("client"),
        freelancer=server.register("freelancer"),
        bidder=server.register("freelancer"),
        other=server.register("both"),
        staff={role: signed_in_staff(server, role) for role in STAFF_ROLES},
    )
    world.open_order, world.open_bid = world.new_bid()
    world.working = world.new_funded()
    listed = server.request(
        "GET", f"/v1/orders/{world.working['id']}/milestones", world.client["token"]
    )
    world.milestone = listed.json()[0]
    world.delivered = world.new_funded()
    world.delivery = deliver(server, world.freelancer, world.delivered["id"])
    world.disputed = world.new_disputed()
    world.completed = world.new_completed()
    world.messages = [
        world.message(
            world.client, world.open_order["id"], "你好，能三天交吗？", to=world.bidder["id"]
        ),
        world.message(world.bidder, world.open_order["id"], "可以"),
        world.message(world.freelancer, world.working["id"], "初稿今晚发"),
    ]
    world.portfolio_item = world.new_portfolio_item()
    world.sync_client_id = world.new_sync_client(world.client)
    return world
