"""Bill each paid fee plan whose period has ended (services/fee_plans.py): renewed from the
freelancer's available earnings, or lapsed to commission when they cannot cover it. One
transaction a freelancer, so one refusal holds up no one else."""

from __future__ import annotations

from datetime import datetime

from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.services.fee_plans import RENEWAL_BATCH, due_renewals, renew_plan


def run(db: Database, settings: Settings, now: datetime) -> int:
    done = 0
    while True:
        with db.read() as conn:
            due = due_renewals(conn, now)
        for user_id in due:
            with db.write() as conn:
                if renew_plan(conn, user_id, now=now) != "none":
                    done += 1
        if len(due) < RENEWAL_BATCH:
            return done
