"""The operations a client queues offline and pushes (sync.md): their names, once. The
outbox stores them, the overlay and the screens read them, the server's push runs them
(server/services/intents.py) — each through this enum, so a name cannot be misspelt in one
of them. A StrEnum: a member is its name, as stored in the outbox and sent on the wire."""

from __future__ import annotations

from enum import StrEnum


class Intent(StrEnum):
    POST_ORDER = "post_order"
    EDIT_ORDER = "edit_order"
    CANCEL_ORDER = "cancel_order"
    PLACE_BID = "place_bid"
    UPDATE_BID = "update_bid"
    WITHDRAW_BID = "withdraw_bid"
    AWARD_BID = "award_bid"
    SEND_MESSAGE = "send_message"
    WRITE_REVIEW = "write_review"
    CHECK_IN = "check_in"
    REDEEM_POINTS = "redeem_points"
    DELIVER = "deliver"
    FUND_ORDER = "fund_order"
    REQUEST_REVISION = "request_revision"
    ACCEPT_ORDER = "accept_order"
    REQUEST_REFUND = "request_refund"
    APPROVE_REFUND = "approve_refund"
    OPEN_DISPUTE = "open_dispute"
