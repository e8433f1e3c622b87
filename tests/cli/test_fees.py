"""`jiedan fees simulate`: the contract's shape (one JSON array; rows on a pipe), the usage
errors, and no network needed (it runs with the server unreachable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run, closed_port_url, jiedan


def _fees(tmp_path: Path, *args: str) -> Run:
    return jiedan("fees", "simulate", *args, home=tmp_path, server=closed_port_url())


def test_every_structure_is_priced_for_the_month(tmp_path: Path) -> None:
    done = _fees(tmp_path, "--monthly-volume", "8000", "--orders", "4", "--json")
    assert done.code == 0, str(done)
    rows = done.json()
    assert [r["structure"] for r in rows] == ["commission", "membership", "hybrid", "promoted"]
    assert [r["monthly_cost_fen"] for r in rows] == [80_000, 29_900, 49_900, 73_900]
    assert [r["cheapest"] for r in rows] == [False, True, False, False]
    assert rows[3]["package_fen"] == 49_900 and rows[3]["warning"] == ""  # cheaper than 10%
    assert rows[0]["per_order_fen"] == 20_000 and rows[1]["kept_fen"] == 770_100


def test_on_a_pipe_one_row_a_structure_in_yuan(tmp_path: Path) -> None:
    done = _fees(tmp_path, "--monthly-volume", "1000")
    assert done.code == 0, str(done)
    lines = done.stdout.splitlines()
    assert lines[0].split("\t")[:4] == ["commission", "10.00", "0.00", "100.00"]
    assert len(lines) == 4 and lines[0].split("\t")[7] == "✓"  # a small month: commission
    # the seed's warning: 3% looks cheaper, but the forced package costs ¥429 more than 10%
    assert lines[3].split("\t")[:2] == ["promoted", "3.00"]
    assert lines[3].endswith("forced promotion package costs 429.00 yuan more a month")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--monthly-volume", "0"), "--monthly-volume"),
        (("--monthly-volume", "12.345"), "--monthly-volume"),
        (("--monthly-volume", "100", "--orders", "0"), "orders: a whole number from 1 to"),
    ],
)
def test_bad_numbers_are_usage_errors(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    done = _fees(tmp_path, *args)
    assert done.code == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: {said}")
