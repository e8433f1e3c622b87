"""HTTP routers, one module per resource. Thin: validate, open a transaction, call a service."""

from __future__ import annotations

from fastapi import APIRouter

from jiedan_cli.server.api import (
    auth,
    bids,
    campaigns,
    delivery_files,
    fee_plans,
    health,
    holds,
    messages,
    metrics,
    money,
    orders,
    payments,
    profiles,
    protection,
    reviews,
    sessions,
    staff,
    staff_reviews,
    sync,
    verification,
    work,
)

ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        health,
        auth,
        sessions,
        profiles,
        orders,
        bids,
        work,
        delivery_files,
        messages,
        reviews,
        money,
        fee_plans,
        payments,
        sync,
        staff,
        staff_reviews,
        protection,
        holds,
        campaigns,
        verification,
        metrics,
    )
)
