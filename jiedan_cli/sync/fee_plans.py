"""Fee plans (收费方案): online only, the server keeps the plan and bills it. `jiedan fees
plan [choose NAME]` and the dashboard's Points section (`f`) both call these."""

from __future__ import annotations

from typing import Any

from jiedan_cli.domain.fees import fee_plan
from jiedan_cli.sync.http import api_call

PATH = "/v1/fees/plan"


def my_fee_plan(*, server: str | None = None, timeout: float | None = None) -> dict[str, Any]:
    """The caller's plan, when it is paid until (or lapsed from) and the plans on offer."""
    found: dict[str, Any] = api_call("GET", PATH, server=server, timeout=timeout)
    return found


def choose_fee_plan(name: str, *, server: str | None = None) -> dict[str, Any]:
    """Switch to the plan `name`; a paid one bills its first period from the available
    earnings. An unknown name is InvalidInput before any network; the server refuses a paid
    plan the earnings cannot cover (Conflict `insufficient_funds`), changing nothing."""
    fee_plan(name)
    chosen: dict[str, Any] = api_call("POST", PATH, json={"plan": name}, server=server)
    return chosen
