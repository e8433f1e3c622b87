"""The interface every payment provider implements (money.md): money comes in through a
payment intent that the provider later confirms with a signed notification, and goes out
through a payout. The server never sees card or bank data: only ids and amounts."""

from __future__ import annotations

from typing import Protocol


class PaymentProvider(Protocol):
    """A payment service (the bundled sandbox; Alipay or WeChat Pay in production)."""

    name: str

    def create_intent(self, amount_fen: int, reference: str) -> str:
        """Ask the payer for `amount_fen`; returns the provider's intent id. The money is
        credited only when the provider's signed notification arrives."""
        ...

    def payout(self, user_id: str, amount_fen: int, reference: str) -> str:
        """Send `amount_fen` to the user's payout account; returns the provider's payout id."""
        ...


def provider_named(name: str) -> PaymentProvider:
    """The provider configured under `name` (only the sandbox is bundled)."""
    from jiedan_cli.server.payments.sandbox import SandboxProvider

    if name != SandboxProvider.name:
        raise LookupError(f"no payment provider {name!r}")
    return SandboxProvider()
