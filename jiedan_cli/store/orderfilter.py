"""The filters of `orders list`, twice: as SQL over the server copy (using its indexes) and
as a predicate over a shown order (for orders the outbox changes or creates). The two must
agree; tests/store/test_queries.py checks them on the same data."""

from __future__ import annotations

import sqlite3

from jiedan_cli.domain.states import ANY_STATUS, check_status_filter

TYPE_CHECKING = False  # not `from typing import …`: importing typing costs a cold start ≈3 ms

if TYPE_CHECKING:
    from typing import Any

DEFAULT_RADIUS_KM = 50.0


def _distance_or_none(lat: Any, lon: Any, lat0: float, lon0: float) -> float | None:
    # domain.geo is imported here, not at the top: it costs a cold read of the orders board
    # ≈15 ms (dataclasses → inspect), and only a --near query needs it.
    from jiedan_cli.domain.geo import haversine_km

    if lat is None or lon is None:
        return None
    return haversine_km(float(lat), float(lon), lat0, lon0)


class OrderFilter:
    """One combination of filters; `status` None means any status."""

    def __init__(
        self,
        *,
        status: str | None = "open",
        category: str | None = None,
        tag: str | None = None,
        budget_min_fen: int | None = None,
        budget_max_fen: int | None = None,
        near: tuple[float, float] | None = None,
        radius_km: float = DEFAULT_RADIUS_KM,
        mine_user_id: str | None = None,
        queued_bid_orders: list[str] | None = None,
    ) -> None:
        self.status, self.category, self.tag = status, category, tag
        self.budget_min_fen, self.budget_max_fen = budget_min_fen, budget_max_fen
        self.near, self.radius_km = near, radius_km
        self.mine_user_id = mine_user_id
        self.queued_bid_orders = queued_bid_orders or []

    @classmethod
    def of(
        cls,
        *,
        status: str | None = None,
        mine_user_id: str | None = None,
        radius_km: float | None = None,
        **rest: Any,
    ) -> OrderFilter:
        """Status "open" unless given; "all" for any status (as GET /v1/orders). A status or
        category a person typed is checked (exit 2 naming the choices, never an empty list)
        and a category's label or synonym ('设计', 'Design', '网站建设') read as its slug."""
        status = check_status_filter(status) if status is not None else None
        if rest.get("category") is not None:
            from jiedan_cli.domain.categories import check_category

            rest["category"] = check_category(rest["category"])
        chosen = None if status == ANY_STATUS else (status or "open")
        radius = DEFAULT_RADIUS_KM if radius_km is None else float(radius_km)
        return cls(status=chosen, mine_user_id=mine_user_id, radius_km=radius, **rest)

    def where(self, conn: sqlite3.Connection, table: str = "orders") -> tuple[str, list[Any]]:
        """A WHERE clause (over `table`) and its parameters."""
        t = table
        clauses: list[str] = []
        params: list[Any] = []
        if self.status is not None:
            clauses.append(f"{t}.status = ?")
            params.append(self.status)
        if self.category is not None:
            clauses.append(f"{t}.category = ?")
            params.append(self.category)
        if self.tag is not None:
            clauses.append(f"{t}.num IN (SELECT order_num FROM order_tags WHERE tag = ?)")
            params.append(self.tag.casefold())
        if self.budget_min_fen is not None:
            clauses.append(f"{t}.budget_max_fen >= ?")
            params.append(self.budget_min_fen)
        if self.budget_max_fen is not None:
            clauses.append(f"{t}.budget_min_fen <= ?")
            params.append(self.budget_max_fen)
        if self.near is not None:
            clauses.append(self._near_sql(conn, t, params))
        if self.mine_user_id is not None:
            me = self.mine_user_id
            queued = ", ".join("?" * len(self.queued_bid_orders))
            clauses.append(
                f"({t}.client_id = ? OR {t}.freelancer_id = ?"
                f" OR {t}.id IN (SELECT order_id FROM bids WHERE freelancer_id = ?)"
                f" OR {t}.id IN ({queued}))"
            )
            params += [me, me, me, *self.queued_bid_orders]
        return " AND ".join(clauses) or "1", params

    def _near_sql(self, conn: sqlite3.Connection, t: str, params: list[Any]) -> str:
        from jiedan_cli.domain.geo import bounding_box

        lat0, lon0 = self.near or (0.0, 0.0)
        conn.create_function("jiedan_distance_km", 4, _distance_or_none, deterministic=True)
        # The bounding box first (cheap comparisons), the exact distance for what is inside.
        box = bounding_box(lat0, lon0, self.radius_km)
        clause = f"{t}.lat BETWEEN ? AND ?"
        params += [box.min_lat, box.max_lat]
        if box.min_lon is not None and box.max_lon is not None:
            clause += f" AND {t}.lon BETWEEN ? AND ?"
            params += [box.min_lon, box.max_lon]
        params += [lat0, lon0, self.radius_km]
        return f"{clause} AND jiedan_distance_km({t}.lat, {t}.lon, ?, ?) <= ?"

    def accepts(self, order: dict[str, Any]) -> bool:
        """The same filters over a shown order (with `my_bid` attached for mine)."""
        if self.status is not None and order.get("status") != self.status:
            return False
        if self.category is not None and order.get("category") != self.category:
            return False
        tags = {str(tag).casefold() for tag in order.get("tags") or []}
        if self.tag is not None and self.tag.casefold() not in tags:
            return False
        if not self._budget_accepts(order):
            return False
        return self._near_accepts(order) and self._mine_accepts(order)

    def _budget_accepts(self, order: dict[str, Any]) -> bool:
        top, bottom = order.get("budget_max_fen"), order.get("budget_min_fen")
        if self.budget_min_fen is not None and (top is None or top < self.budget_min_fen):
            return False
        return not (
            self.budget_max_fen is not None and (bottom is None or bottom > self.budget_max_fen)
        )

    def distance_km(self, order: dict[str, Any]) -> float | None:
        """How far the order is from `near` (None: no location, or no `near`)."""
        location = order.get("location") or {}
        if self.near is None:
            return None
        return _distance_or_none(location.get("lat"), location.get("lon"), *self.near)

    def _near_accepts(self, order: dict[str, Any]) -> bool:
        if self.near is None:
            return True
        away = self.distance_km(order)
        return away is not None and away <= self.radius_km

    def _mine_accepts(self, order: dict[str, Any]) -> bool:
        me = self.mine_user_id
        if me is None:
            return True
        return (
            me in (order.get("client_id"), order.get("freelancer_id"))
            or order.get("my_bid") is not None
            or order["id"] in self.queued_bid_orders
        )
