"""The server's own app driven in this process, for the seed's live activity
(`seed_fraud.py`): every request goes through the real routes, services and risk engine,
from a network address and an install id of the seed's choosing, at a time of its choosing
(the app's clock is the seed's).

    market = LiveMarket(settings, start)
    market.at(moment)
    someone = market.register("a@seed.jiedan.dev", "林小满", "both", install=…, address=…)
    status, body = market.call(someone, "POST", "/v1/orders", title=…)"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from jiedan_cli.server.app import create_app
from jiedan_cli.server.clock import ManualClock
from jiedan_cli.server.config import Settings
from jiedan_cli.server.services.devices import INSTALL_HEADER

# What a request of the seed's may answer: done, created, held for review (202), refused by
# the risk engine (409 risk_blocked). Anything else is the seed's own mistake.
EXPECTED = (200, 201, 202, 409)


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    name: str
    token: str
    install: str
    address: str
    honest: bool


class SeedRequestFailed(RuntimeError):
    """A request of the seed's own was refused: a bug in the seed, not a hold."""


def live_settings(settings: Settings) -> Settings:
    """`settings` as the seed's app runs them: the risk engine on (assessed and enforced),
    no jobs, no write or registration limits (the seed registers a crowd from a few
    addresses in minutes of its clock), sessions long enough for its weeks of activity."""
    return replace(
        settings,
        risk_record=True,
        run_jobs=False,
        registrations_per_address_hour=0,
        rate_limit_storage="memory://",
        rate_limit_user_writes="1000000/minute",
        rate_limit_address_writes="1000000/minute",
        session_ttl_days=max(settings.session_ttl_days, 90),
    )


class LiveMarket:
    """The app on the seed's clock, one in-process HTTP client per network address."""

    def __init__(self, settings: Settings, start: datetime) -> None:
        with warnings.catch_warnings():  # starlette's note on its httpx transport
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient
        self._client_type = TestClient
        self.clock = ManualClock(start)
        self.app = create_app(live_settings(settings), clock=self.clock)
        self._clients: dict[str, Any] = {}

    @property
    def db(self) -> Any:
        return self.app.state.db

    def at(self, moment: datetime) -> None:
        self.clock.now = moment

    def _client(self, address: str) -> Any:
        if address not in self._clients:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._clients[address] = self._client_type(
                    self.app, raise_server_exceptions=True, client=(address, 40000)
                )
        return self._clients[address]

    def call(
        self, who: Account, method: str, path: str, *, tolerate: str = "", **body: Any
    ) -> tuple[int, dict[str, Any]]:
        """`method path` as `who`, from their install and address: (status, answer). A 409
        whose code is `tolerate` is answered too (what a person would meet and accept)."""
        return self.send(
            method, path, body, install=who.install, address=who.address, who=who, tolerate=tolerate
        )

    def send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        install: str,
        address: str,
        who: Account | None = None,
        tolerate: str = "",
    ) -> tuple[int, dict[str, Any]]:
        headers = {INSTALL_HEADER: install}
        if who is not None:
            headers["Authorization"] = f"Bearer {who.token}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            answer = self._client(address).request(method, path, json=body or None, headers=headers)
        if answer.status_code not in EXPECTED:
            raise SeedRequestFailed(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        found = answer.json() if answer.content else {}
        if answer.status_code == 409 and found.get("code") not in ("risk_blocked", tolerate):
            raise SeedRequestFailed(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.status_code, found

    def register(
        self,
        email: str,
        name: str,
        role: str,
        *,
        password: str,
        install: str,
        address: str,
        honest: bool,
    ) -> Account | None:
        """A new account through POST /v1/auth/register, signed in; None when the risk
        engine blocked the registration (the account is made closed)."""
        body = {"email": email, "name": name, "password": password, "role": role}
        status, answer = self.send(
            "POST", "/v1/auth/register", body, install=install, address=address
        )
        if status == 409:
            return None
        user = answer["user"]
        return Account(user["id"], email, name, answer["token"], install, address, honest)

    def staff(self, email: str, role: str, *, password: str, install: str, address: str) -> Account:
        """A staff account (`jiedan server create-staff`'s service), signed in through
        POST /v1/auth/login."""
        from jiedan_cli.server.services.accounts import create_staff

        with self.db.write() as conn:
            create_staff(
                conn, email=email, role=role, password=password, name=role, now=self.clock()
            )
        body = {"email": email, "password": password}
        _, answer = self.send("POST", "/v1/auth/login", body, install=install, address=address)
        user = answer["user"]
        return Account(user["id"], email, role, answer["token"], install, address, True)

    def close(self) -> None:
        """Stop what the app started in this process (SQLite's writer thread)."""
        from jiedan_cli.server.api.deps import end_write_turns

        end_write_turns(self.db)
