"""Who may call what (security.md, Authorization; OWASP API1/API3/API5): a table with a row
for every route in the OpenAPI document, each called as every kind of caller — anonymous,
the object's owner (or party), another signed-in user unrelated to the object, and each staff
role — asserting the status each gets. A route missing from the table fails the test.

Another user's private object is a 404, never a 403 (a 403 would confirm it exists). Rows
that change state act on fresh objects: every caller expected to succeed gets an object of
its own, the others share one, and the owner calls last. Rows on the caller's own account
(2FA, sign-out) give each caller a fresh identity or session, so no row disturbs another."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.server.db.tables import sessions
from jiedan_cli.server.payments.sandbox import notification_for
from jiedan_cli.server.services.actors import hash_token
from tests.server.conftest import make_server
from tests.server.escrow_flow import SHA, act
from tests.server.scenario import (
    PASSWORD,
    STAFF_ROLES,
    VERIFICATION,
    User,
    World,
    build_world,
)

pytestmark = pytest.mark.xdist_group("authorization")

OK = "2xx"
CALLERS = ("anonymous", "other", *STAFF_ROLES, "owner")  # the owner last: it may change state
Expected = int | str


@dataclass
class Call:
    """One request of a row. `owner_*` replace the body/headers for the owner only (a
    valid one-time code, a provider's signature); `hidden` are strings (private ids) that
    must not appear in a successful answer to anyone but the owner."""

    path: dict[str, str]
    owner: User | None
    json: Any = None
    params: dict[str, Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    owner_json: Any = None
    owner_headers: dict[str, str] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    build: Callable[[World], Call]
    expect: dict[str, Expected]
    fresh: bool = True  # a state-changing row: a fresh object per successful caller
    identities: str = "shared"  # or "session" (own session each), "fresh" (new accounts)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.label}]" if self.label else "")


def expect(
    *,
    anonymous: Expected = 401,
    owner: Expected = OK,
    other: Expected = 404,
    staff: Expected | None = None,
    **per_role: Expected,
) -> dict[str, Expected]:
    """Expected statuses by caller; staff roles default to `staff`, else to `other`."""
    result = {"anonymous": anonymous, "owner": owner, "other": other}
    for role in STAFF_ROLES:
        result[role] = per_role.get(role, other if staff is None else staff)
    return result


EVERYONE = expect(anonymous=OK, other=OK, staff=OK)
SIGNED_IN = expect(other=OK, staff=OK)
PARTIES_ONLY = expect()  # 401 anonymous, 404 for anyone but the owner
A_TOKEN_ALONE = expect(owner=422, other=422, staff=422)  # the password is missing
NEW_PASSWORD = {"current_password": PASSWORD, "new_password": "another horse 43"}


def oid(order: dict[str, Any]) -> dict[str, str]:
    return {"order_id": order["id"]}


def get(path: str, build: Callable[[World], Call], exp: dict[str, Expected], **kw: Any) -> Row:
    return Row("GET", path, build, exp, fresh=False, **kw)


def post(path: str, build: Callable[[World], Call], exp: dict[str, Expected], **kw: Any) -> Row:
    return Row("POST", path, build, exp, **kw)


# ---- builders for the rows that need more than a lambda -----------------------------------


def fresh_email_registration(_w: World) -> Call:
    email = f"new-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "name": "新用户", "password": PASSWORD, "role": "both"}
    return Call({}, None, json=body)


def login_as_new_user(w: World) -> Call:
    user = w.new_user()
    return Call({}, user, json={"email": user["email"], "password": PASSWORD})


def confirm_pending_2fa(w: World) -> Call:
    user, code = w.pending_2fa_user()
    return Call({}, user, json={"otp": "000000"}, owner_json={"otp": code})


def disable_2fa(w: World) -> Call:
    user, code = w.twofa_user()
    return Call({}, user, json={"otp": "000000"}, owner_json={"otp": code})


def revoke_own_session(w: World) -> Call:
    """Another session of the client's, to be revoked by the client (and by nobody else)."""
    extra = w.new_session(w.client)
    with w.server.db.read() as conn:
        session_id = conn.scalar(
            select(sessions.c.id).where(sessions.c.token_hash == hash_token(extra["token"]))
        )
    return Call({"session_id": session_id}, w.client)


def award_fresh_bid(w: World) -> Call:
    order, bid = w.new_bid()
    return Call(oid(order), w.client, json={"bid_id": bid["id"]})


def fresh_bid(body: Any = None) -> Callable[[World], Call]:
    def build(w: World) -> Call:
        _order, bid = w.new_bid()
        return Call({"bid_id": bid["id"]}, w.bidder, json=body)

    return build


def sandbox_notification(w: World) -> Call:
    intent = w.new_pending_intent()
    body, signature = notification_for(
        w.server.settings.sandbox_webhook_secret,
        intent_id=intent["id"],
        amount_fen=intent["amount_fen"],
        now=w.server.clock.now,
    )
    return Call(
        {},
        None,
        content=body,
        headers={"content-type": "application/json"},
        owner_headers=signature,
    )


def push_to_own_client(w: World) -> Call:
    client_id = w.new_sync_client(w.client)
    op = {"seq": 2, "op_id": str(uuid.uuid4()), "intent": "noop", "args": {}}
    return Call({}, w.client, json={"client_id": client_id, "ops": [op]})


FILE_CONTENT = b"the delivered file's bytes"


def delivered_file(w: World, *, uploaded: bool) -> dict[str, str]:
    """The path of file 0 of a fresh delivery by w.freelancer with real content (sent)."""
    order = w.new_funded()
    digest = sha256(FILE_CONTENT).hexdigest()
    item = {"name": "终稿.psd", "size": len(FILE_CONTENT), "sha256": digest}
    answer = act(w.server, w.freelancer, order["id"], "deliveries", note="终稿", files=[item])
    path = {"delivery_id": answer.json()["id"], "index": "0", "order_id": order["id"]}
    if uploaded:
        sent = w.server.request(
            "PATCH",
            f"/v1/deliveries/{path['delivery_id']}/files/0/upload",
            w.freelancer["token"],
            content=FILE_CONTENT,
            headers={"Upload-Offset": "0"},
        )
        assert sent.json()["complete"] is True, sent.text
    return path


def upload_chunk(w: World) -> Call:
    return Call(
        delivered_file(w, uploaded=False),
        w.freelancer,
        content=FILE_CONTENT,
        headers={"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )


def disputed_file(w: World) -> Call:
    path = delivered_file(w, uploaded=True)
    act(w.server, w.client, path["order_id"], "dispute", reason="交付质量有争议")
    return Call(path, w.client)


METRICS_TOKEN = "metrics-scraper-token"


def metrics_scraper(_w: World) -> Call:
    return Call({}, None, owner_headers={"Authorization": f"Bearer {METRICS_TOKEN}"})


def private_changes(w: World) -> tuple[str, ...]:
    """Ids only the parties may see (bids, messages, milestones, deliveries)."""
    ids = [w.open_bid["id"], w.milestone["id"], w.delivery["id"]]
    return (*ids, *(m["id"] for m in w.messages))


DELIVERY = {"note": "初稿", "files": [{"name": "logo.ai", "size": 2048, "sha256": SHA}]}
ORDER = {
    "title": "小程序开发",
    "description": "一个点单小程序",
    "category": "development",
    "budget_min_fen": 100_000,
    "budget_max_fen": 300_000,
}
ADMIN_ONLY = expect(owner=403, other=403, admin=OK, staff=403)
CAMPAIGN = {
    "name": "积分翻倍",
    "kind": "points_multiplier",
    "multiplier": 2,
    "starts_at": "2027-01-01T00:00:00Z",
    "ends_at": "2027-01-02T00:00:00Z",
}


def new_campaign(w: World) -> str:
    made = w.server.request("POST", "/v1/staff/campaigns", w.staff["admin"]["token"], json=CAMPAIGN)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


RESOLVE = expect(owner=403, other=403, support=OK, admin=OK, staff=403)
REVIEW = expect(owner=403, other=403, reviewer=OK, admin=OK, staff=403)
FINANCE = expect(owner=403, other=403, finance=OK, admin=OK, staff=403)

ROWS: list[Row] = [
    get("/healthz", lambda w: Call({}, w.client), EVERYONE),
    get("/readyz", lambda w: Call({}, w.client), EVERYONE),
    # The scraper holding the metrics token is the "owner"; no session token opens it.
    get("/metrics", metrics_scraper, expect(other=401, staff=401)),
    # ---- accounts and sessions
    post("/v1/auth/register", fresh_email_registration, expect(anonymous=OK, other=OK, staff=OK)),
    post("/v1/auth/login", login_as_new_user, EVERYONE, fresh=False),
    post(
        "/v1/auth/logout",
        lambda w: Call({}, w.client),
        SIGNED_IN,
        fresh=False,
        identities="session",
    ),
    get("/v1/me", lambda w: Call({}, w.client), SIGNED_IN),
    post(
        "/v1/me/delete",
        lambda w: Call({}, w.new_user(), json={"password": PASSWORD}),
        SIGNED_IN,
        fresh=False,
        identities="fresh",
    ),
    post(
        "/v1/me/delete",
        lambda w: Call({}, w.new_user(), json={}),
        A_TOKEN_ALONE,
        fresh=False,
        identities="fresh",
        label="a token alone",
    ),
    post(
        "/v1/auth/2fa/enable",
        lambda w: Call({}, w.new_user(), json={"password": PASSWORD}),
        SIGNED_IN,
        fresh=False,
        identities="fresh",
    ),
    post(
        "/v1/auth/2fa/enable",
        lambda w: Call({}, w.new_user(), json={"password": "not the password"}),
        expect(owner=401, other=401, staff=401),
        fresh=False,
        identities="fresh",
        label="a wrong password",
    ),
    post(
        "/v1/auth/password",
        lambda w: Call({}, w.new_user(), json=NEW_PASSWORD),
        SIGNED_IN,
        fresh=False,
        identities="fresh",
    ),
    post(
        "/v1/auth/password",
        lambda w: Call({}, w.new_user(), json={**NEW_PASSWORD, "current_password": "guess 1234"}),
        expect(owner=401, other=401, staff=401),
        fresh=False,
        identities="fresh",
        label="a wrong password",
    ),
    get("/v1/auth/sessions", lambda w: Call({}, w.client), SIGNED_IN),
    Row("DELETE", "/v1/auth/sessions/{session_id}", revoke_own_session, PARTIES_ONLY),
    post(
        "/v1/auth/sessions/revoke-others",
        lambda w: Call({}, w.new_user()),
        SIGNED_IN,
        fresh=False,
        identities="fresh",
    ),
    post(
        "/v1/auth/2fa/confirm",
        confirm_pending_2fa,
        expect(other=409, staff=409),
        fresh=False,
        identities="fresh",
    ),
    post(
        "/v1/auth/2fa/disable",
        disable_2fa,
        expect(other=409, staff=409),
        fresh=False,
        identities="fresh",
    ),
    # ---- profiles and portfolios
    get(
        "/v1/profiles/{user_id}",
        lambda w: Call({"user_id": w.freelancer["id"]}, w.freelancer),
        EVERYONE,
    ),
    Row(
        "PATCH",
        "/v1/me/profile",
        lambda w: Call({}, w.freelancer, json={"bio": "十年经验"}),
        SIGNED_IN,
        fresh=False,
    ),
    get(
        "/v1/me/portfolio",
        lambda w: Call({}, w.freelancer, hidden=(w.portfolio_item["id"],)),
        SIGNED_IN,
    ),
    post(
        "/v1/me/portfolio",
        lambda w: Call({}, w.freelancer, json={"title": "作品"}),
        SIGNED_IN,
        fresh=False,
    ),
    Row(
        "DELETE",
        "/v1/me/portfolio/{item_id}",
        lambda w: Call({"item_id": w.new_portfolio_item()["id"]}, w.freelancer),
        PARTIES_ONLY,
    ),
    # ---- orders
    get(
        "/v1/orders",
        lambda w: Call({}, w.client, params={"status": "all"}, hidden=(w.working["id"],)),
        EVERYONE,
    ),
    post("/v1/orders", lambda w: Call({}, w.client, json=ORDER), expect(other=OK, staff=403)),
    get("/v1/orders/{order_id}", lambda w: Call(oid(w.working), w.client), expect(anonymous=404)),
    get(
        "/v1/orders/{order_id}",
        lambda w: Call(oid(w.open_order), w.client),
        EVERYONE,
        label="open order",
    ),
    Row(
        "PATCH",
        "/v1/orders/{order_id}",
        lambda w: Call(oid(w.new_open_order()), w.client, json={"title": "改个标题"}),
        PARTIES_ONLY,
    ),
    post(
        "/v1/orders/{order_id}/cancel",
        lambda w: Call(oid(w.new_open_order()), w.client, json={"note": "不需要了"}),
        PARTIES_ONLY,
    ),
    post("/v1/orders/{order_id}/award", award_fresh_bid, PARTIES_ONLY),
    # ---- bids
    post(
        "/v1/orders/{order_id}/bids",
        lambda w: Call(oid(w.new_open_order()), w.bidder, json={"amount_fen": 90_000, "days": 5}),
        expect(other=OK, staff=403),
    ),
    post(
        "/v1/orders/{order_id}/bids",
        lambda w: Call(oid(w.working), w.freelancer, json={"amount_fen": 90_000, "days": 5}),
        expect(owner=409, staff=403),
        label="private order",
    ),
    get(
        "/v1/orders/{order_id}/bids",
        lambda w: Call(oid(w.open_order), w.client, hidden=(w.open_bid["id"],)),
        SIGNED_IN,
    ),
    get(
        "/v1/orders/{order_id}/bids",
        lambda w: Call(oid(w.working), w.client),
        PARTIES_ONLY,
        label="private order",
    ),
    get("/v1/bids", lambda w: Call({}, w.bidder, hidden=(w.open_bid["id"],)), SIGNED_IN),
    get(
        "/v1/orders/{order_id}/bid-suggestion",
        lambda w: Call(oid(w.open_order), w.bidder),
        SIGNED_IN,
    ),
    get(
        "/v1/orders/{order_id}/bid-suggestion",
        lambda w: Call(oid(w.working), w.freelancer),
        expect(),
        label="an order not open: its parties only",
    ),
    Row("PATCH", "/v1/bids/{bid_id}", fresh_bid({"amount_fen": 70_000}), PARTIES_ONLY),
    post("/v1/bids/{bid_id}/withdraw", fresh_bid(), PARTIES_ONLY),
    # ---- work and escrow
    get(
        "/v1/orders/{order_id}/milestones",
        lambda w: Call(oid(w.working), w.client),
        PARTIES_ONLY,
    ),
    post(
        "/v1/orders/{order_id}/milestones",
        lambda w: Call(
            oid(w.new_awarded()), w.client, json={"title": "二期", "amount_fen": 10_000}
        ),
        PARTIES_ONLY,
    ),
    post(
        "/v1/orders/{order_id}/fund", lambda w: Call(oid(w.new_awarded()), w.client), PARTIES_ONLY
    ),
    post(
        "/v1/orders/{order_id}/deliveries",
        lambda w: Call(oid(w.new_funded()), w.freelancer, json=DELIVERY),
        PARTIES_ONLY,
    ),
    get(
        "/v1/orders/{order_id}/deliveries",
        lambda w: Call(oid(w.delivered), w.client),
        PARTIES_ONLY,
    ),
    # ---- delivered files' content (the owner of an upload is the delivering freelancer)
    Row(
        "HEAD",
        "/v1/deliveries/{delivery_id}/files/{index}/upload",
        lambda w: Call(delivered_file(w, uploaded=False), w.freelancer),
        PARTIES_ONLY,
        fresh=False,
    ),
    Row("PATCH", "/v1/deliveries/{delivery_id}/files/{index}/upload", upload_chunk, PARTIES_ONLY),
    get(
        "/v1/deliveries/{delivery_id}/files/{index}",
        lambda w: Call(delivered_file(w, uploaded=True), w.client),
        PARTIES_ONLY,
    ),
    get(
        "/v1/deliveries/{delivery_id}/files/{index}",
        disputed_file,
        expect(support=OK, admin=OK),
        label="a disputed order: the staff who settle it",
    ),
    post(
        "/v1/orders/{order_id}/revise",
        lambda w: Call(oid(w.new_delivered()), w.client, json={"note": "颜色再调一下"}),
        PARTIES_ONLY,
    ),
    post(
        "/v1/orders/{order_id}/accept",
        lambda w: Call(oid(w.new_delivered()), w.client),
        PARTIES_ONLY,
    ),
    post(
        "/v1/orders/{order_id}/refund-request",
        lambda w: Call(oid(w.new_funded()), w.client, json={"reason": "计划有变"}),
        PARTIES_ONLY,
    ),
    post(
        "/v1/orders/{order_id}/refund-approve",
        lambda w: Call(oid(w.new_refund_requested()), w.freelancer),
        PARTIES_ONLY,
    ),
    post(
        "/v1/orders/{order_id}/dispute",
        lambda w: Call(oid(w.new_funded()), w.client, json={"reason": "质量问题"}),
        PARTIES_ONLY,
    ),
    # ---- messages and reviews
    post(
        "/v1/orders/{order_id}/messages",
        lambda w: Call(oid(w.open_order), w.client, json={"text": "在吗", "to": w.bidder["id"]}),
        # "other" (a freelancer too) may ask about an open order (咨询), but only its client:
        # writing to a bidder is refused for what it asks, not for who asks
        expect(other=422, staff=404),
        fresh=False,
    ),
    post(
        "/v1/orders/{order_id}/messages",
        lambda w: Call(oid(w.new_funded()), w.client, json={"text": "在吗"}),
        PARTIES_ONLY,  # an order no longer open: no questions, a party's thread only
        label="not open",
    ),
    get(
        "/v1/orders/{order_id}/messages",
        lambda w: Call(oid(w.open_order), w.client),
        PARTIES_ONLY,
    ),
    post(
        "/v1/orders/{order_id}/reviews",
        lambda w: Call(oid(w.new_completed()), w.client, json={"stars": 5, "text": "很专业"}),
        PARTIES_ONLY,
    ),
    get(
        "/v1/users/{user_id}/reviews",
        lambda w: Call({"user_id": w.freelancer["id"]}, w.freelancer),
        EVERYONE,
    ),
    # ---- money (the caller's own; the owner is the paid freelancer)
    get("/v1/earnings/summary", lambda w: Call({}, w.freelancer), SIGNED_IN),
    get(
        "/v1/earnings/ledger",
        lambda w: Call({}, w.freelancer, hidden=(w.completed["id"],)),
        SIGNED_IN,
    ),
    post(
        "/v1/earnings/withdraw",
        lambda w: Call({}, w.freelancer, json={"amount_fen": 100}),
        expect(other=409, staff=409),
        fresh=False,
    ),
    get("/v1/points", lambda w: Call({}, w.freelancer), SIGNED_IN),
    get(
        "/v1/me/export",
        lambda w: Call({}, w.freelancer, hidden=(w.freelancer["email"], w.completed["id"])),
        SIGNED_IN,
    ),
    post("/v1/points/checkin", lambda w: Call({}, w.freelancer), SIGNED_IN, fresh=False),
    get(
        "/v1/points/history",
        lambda w: Call({}, w.freelancer, hidden=(w.completed["id"],)),
        SIGNED_IN,
    ),
    # ---- the payment provider's webhook: its signature is the only credential
    post(
        "/v1/payments/sandbox/notify",
        sandbox_notification,
        expect(other=401, staff=401),
        fresh=False,
    ),
    # ---- sync
    post("/v1/sync/push", push_to_own_client, PARTIES_ONLY),
    get(
        "/v1/sync/pull",
        lambda w: Call({}, w.client, params={"client_id": w.sync_client_id}),
        PARTIES_ONLY,
    ),
    get(
        "/v1/sync/pull",
        lambda w: Call({}, w.client, hidden=private_changes(w)),
        SIGNED_IN,
        label="own changes only",
    ),
    # ---- real-name verification
    post(
        "/v1/me/verification",
        lambda w: Call({}, w.new_user("freelancer"), json=VERIFICATION),
        expect(other=OK, staff=403),
        fresh=False,
        identities="fresh",
    ),
    get("/v1/me/verification", lambda w: Call({}, w.freelancer), SIGNED_IN),
    # ---- redeeming points: the caller's own (a user without points is refused: 409)
    post(
        "/v1/points/redeem",
        # more points than anyone here has (the table's flows earn some): refused for each
        lambda w: Call({}, w.freelancer, json={"kind": "coupon", "points": 1_000_000}),
        expect(owner=409, other=409, staff=409),
    ),
    # ---- fee plans: the caller's own (choosing the plan one has moves nothing)
    get("/v1/fees/plan", lambda w: Call({}, w.freelancer), SIGNED_IN),
    post("/v1/fees/plan", lambda w: Call({}, w.freelancer, json={"plan": "commission"}), SIGNED_IN),
    # ---- referrals: the caller's own code and invitations (made on first ask)
    get("/v1/me/referral", lambda w: Call({}, w.freelancer), SIGNED_IN),
    # ---- the first-order coupon: the caller's own standing (reads only)
    get("/v1/me/first-order-coupon", lambda w: Call({}, w.client), SIGNED_IN),
    get("/v1/staff/verifications", lambda w: Call({}, w.client), REVIEW),
    post(
        "/v1/staff/verifications/{user_id}/approve",
        lambda w: Call({"user_id": w.new_pending_verification()["id"]}, w.client),
        REVIEW,
    ),
    post(
        "/v1/staff/verifications/{user_id}/reject",
        lambda w: Call({"user_id": w.new_pending_verification()["id"]}, w.client),
        REVIEW,
    ),
    # ---- staff
    post(
        "/v1/staff/disputes/{order_id}/resolve",
        lambda w: Call(oid(w.new_disputed()), w.client, json={"to_freelancer_pct": 50}),
        RESOLVE,
    ),
    get("/v1/staff/reviews", lambda w: Call({}, w.client), REVIEW),
    post(
        "/v1/staff/reviews/{review_id}/clear",
        lambda w: Call({"review_id": w.new_held_review()["id"]}, w.client),
        REVIEW,
    ),
    get("/v1/staff/protection", lambda w: Call({}, w.client), FINANCE),
    post(
        "/v1/staff/disputes/{order_id}/compensate",
        lambda w: Call(
            oid(w.new_compensable()),
            w.client,
            json={"id": str(uuid.uuid4()), "to": "freelancer", "amount_fen": 1, "reason": "欺诈"},
        ),
        FINANCE,
    ),
    get(
        "/v1/staff/audit",
        lambda w: Call({}, w.client),
        expect(owner=403, other=403, admin=OK, staff=403),
    ),
    # ---- held actions (reviewers and admins; the owner is the held user: no staff role)
    get("/v1/staff/holds", lambda w: Call({}, w.bidder), REVIEW),
    post(
        "/v1/staff/holds/{hold_id}/release",
        lambda w: Call({"hold_id": w.new_hold()["id"]}, w.bidder),
        REVIEW,
    ),
    post(
        "/v1/staff/holds/{hold_id}/block",
        lambda w: Call({"hold_id": w.new_hold()["id"]}, w.bidder, json={"reason": "刷单"}),
        REVIEW,
    ),
    # ---- campaigns: admins only (everyone else reads them from sync pull)
    post("/v1/staff/campaigns", lambda w: Call({}, w.client, json=CAMPAIGN), ADMIN_ONLY),
    get("/v1/staff/campaigns", lambda w: Call({}, w.client), ADMIN_ONLY),
    post(
        "/v1/staff/campaigns/{campaign_id}/end",
        lambda w: Call({"campaign_id": new_campaign(w)}, w.client),
        ADMIN_ONLY,
    ),
]


# ---- running a row ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("authorization") / "server.db"
    # The risk engine assesses and records every action here but holds none: the world's one
    # client posts a dozen orders in a minute, which it rightly holds (post_velocity), and this
    # table is about who may call what. Holds are this table's rows too (`w.new_hold`), and
    # the engine's decisions are test_holds.py's.
    server = make_server(
        f"sqlite:///{path}",
        unverified_bids_per_day=1_000_000,
        metrics_token=METRICS_TOKEN,
        risk_review_at=10_000,
        risk_block_at=10_000,
    )
    with server.client:
        yield build_world(server)


@pytest.fixture(scope="module")
def documented(world: World) -> dict[tuple[str, str], set[int]]:
    """The statuses each route declares in /openapi.json."""
    paths = world.server.client.get("/openapi.json").json()["paths"]
    return {
        (method.upper(), path): {int(status) for status in op["responses"]}
        for path, ops in paths.items()
        for method, op in ops.items()
    }


def caller_identity(w: World, row: Row, caller: str, call: Call) -> User | None:
    if caller == "anonymous":
        return None
    fresh = row.identities == "fresh"
    if caller == "owner":
        user = call.owner
    elif caller == "other":
        user = w.new_user() if fresh else w.other
    else:
        user = w.new_staff(caller) if fresh else w.staff[caller]
    if user is not None and row.identities == "session":
        user = w.new_session(user)
    return user


def send(w: World, row: Row, caller: str, call: Call) -> Any:
    user = caller_identity(w, row, caller, call)
    is_owner = caller == "owner"
    body = call.owner_json if is_owner and call.owner_json is not None else call.json
    headers = {**call.headers, **(call.owner_headers if is_owner else {})}
    kwargs: dict[str, Any] = {"headers": headers, "params": call.params}
    if call.content is not None:
        kwargs["content"] = call.content
    elif body is not None:
        kwargs["json"] = body
    path = row.path.format(**call.path)
    return w.server.request(row.method, path, user["token"] if user else None, **kwargs)


def meets(status: int, want: Expected) -> bool:
    return 200 <= status < 300 if want == OK else status == want


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_each_caller_gets_the_status_the_table_gives(
    world: World, documented: dict[tuple[str, str], set[int]], row: Row
) -> None:
    declared = documented.get((row.method, row.path), set())
    shared: Call | None = None
    wrong: list[str] = []
    for caller in CALLERS:
        want = row.expect[caller]
        if row.fresh and want == OK:
            call = row.build(world)
        else:
            shared = shared or row.build(world)
            call = shared
        response = send(world, row, caller, call)
        if not meets(response.status_code, want):
            wrong.append(
                f"{caller}: got {response.status_code}, want {want}: {response.text[:200]}"
            )
            continue
        if response.status_code not in declared:
            wrong.append(f"{caller}: {response.status_code} is not declared in /openapi.json")
        if caller != "owner" and response.status_code < 300:
            leaked = [s for s in call.hidden if s in response.text]
            if leaked:
                wrong.append(f"{caller}: the answer shows private ids {leaked}")
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
    assert not wrong, f"{row.id}:\n" + "\n".join(wrong)


def test_every_route_in_the_openapi_document_has_a_row(
    documented: dict[tuple[str, str], set[int]],
) -> None:
    routes = set(documented)
    tabled = {(row.method, row.path) for row in ROWS}
    assert routes - tabled == set(), "routes without a row in the authorization table"
    assert tabled - routes == set(), "rows for routes the app no longer has"


def test_every_row_names_every_caller() -> None:
    for row in ROWS:
        assert set(row.expect) == set(CALLERS), row.id
