"""P1 and P2 of performance.md on the local replica alone, before the commands exist.

Builds a replica of N synthetic open orders with Chinese titles through the real pull path
(store.apply.apply_page, 1,000 changes a page), then times cold processes against the floor
measured in the same run, interleaved so drift hits all three alike:

    floor  python -c "import sqlite3"
    P1     open the replica, list_orders(limit=50), print it as JSON
    P2     open the replica, search_orders("网站"), print it as JSON

The real P1/P2 run `jiedan orders list/search`, which add the CLI's own imports on top.

    .venv/bin/python benchmarks/p1_p2.py [--orders 100000] [--runs 10] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PAGE = 1_000
TARGETS = {"P1": 6.0, "P2": 7.0}

CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "苏州"]
WORK = [
    ("企业官网网站建设", "web", ["网站", "PHP"]),
    ("响应式网站改版", "web", ["网站", "Vue"]),
    ("微信小程序开发", "web", ["小程序"]),
    ("电商APP开发", "web", ["APP", "Flutter"]),
    ("LOGO设计", "design", ["logo", "品牌"]),
    ("电商详情页设计", "design", ["电商"]),
    ("短视频剪辑", "video", ["抖音"]),
    ("宣传片拍摄", "video", ["拍摄"]),
    ("婚礼跟拍摄影", "photo", ["摄影"]),
    ("产品白底图拍摄", "photo", ["摄影"]),
    ("公众号文章代写", "writing", ["文案"]),
    ("英文合同翻译", "translation", ["英语"]),
    ("Python 数据分析", "data", ["Python"]),
    ("爬虫脚本编写", "data", ["Python"]),
    ("家电上门维修", "local", ["维修"]),
    ("室内设计效果图", "design", ["3D"]),
]
DETAILS = ["预算可谈", "要求一周内完成", "需要有相关经验", "长期合作优先", "请附上作品集"]


def synthetic_orders(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        title, category, tags = rng.choice(WORK)
        city = rng.choice(CITIES)
        low = rng.randrange(5, 500) * 10_000
        moment = (start + timedelta(seconds=n * 37)).isoformat().replace("+00:00", "Z")
        yield {
            "id": f"00000000-0000-7000-8000-{n:012d}",
            "title": f"{city}{title}",
            "description": f"{city}的客户需要{title}，{rng.choice(DETAILS)}。",
            "category": category,
            "tags": tags,
            "budget_min_fen": low,
            "budget_max_fen": low * 2,
            "currency": "CNY",
            "status": "open",
            "client_id": f"client-{n % 997}",
            "created_at": moment,
            "updated_at": moment,
            "deadline": None,
            "bid_count": 0,
            "awarded_bid_id": None,
            "freelancer_id": None,
            "location": None,
            "my_bid": None,
        }


def build_replica(path: Path, count: int) -> tuple[float, float]:
    """Fill a replica through the pull path; returns changes per second of wall-clock time
    and of this process's CPU time (the second is steadier on a shared machine)."""
    from jiedan_cli.store.apply import apply_page
    from jiedan_cli.store.db import open_db

    conn = open_db(path)
    conn.execute("UPDATE sync_state SET user_id = 'bench-user'")
    began, began_cpu = time.perf_counter(), time.process_time()
    changes: list[dict[str, Any]] = []
    for seq, order in enumerate(synthetic_orders(count), start=1):
        changes.append(
            {"seq": seq, "entity": "order", "id": order["id"], "op": "put", "data": order}
        )
        if len(changes) == PAGE or seq == count:
            page = {
                "changes": changes,
                "next_cursor": f"bench:{seq}",
                "has_more": seq < count,
                "last_seq": 0,
                "epoch": "bench",
                "reset": False,
            }
            apply_page(conn, page)
            changes = []
    rates = (count / (time.perf_counter() - began), count / (time.process_time() - began_cpu))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return rates


READ = """
import json, sys
from jiedan_cli.store.db import open_db
from jiedan_cli.store.queries import {name}
conn = open_db()
sys.stdout.write(json.dumps({call}, ensure_ascii=False))
"""
PROGRAMS = {
    "floor": "import sqlite3",
    "P1": READ.format(name="list_orders", call="list_orders(conn, limit=50)"),
    "P2": READ.format(name="search_orders", call='search_orders(conn, "网站", limit=50)'),
}


def time_cold(home: Path, runs: int) -> dict[str, list[float]]:
    env = {**os.environ, "JIEDAN_HOME": str(home)}
    times: dict[str, list[float]] = {name: [] for name in PROGRAMS}
    for _ in range(runs + 1):  # the first round only warms the OS cache
        for name, program in PROGRAMS.items():
            began = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True)
            elapsed = time.perf_counter() - began
            if done.returncode != 0:
                raise SystemExit(f"{name} failed:\n{done.stderr.decode()}")
            if name != "floor" and not json.loads(done.stdout):
                raise SystemExit(f"{name} printed no orders")
            times[name].append(elapsed)
    return {name: values[1:] for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jiedan-bench-") as tmp:
        home = Path(tmp)
        from jiedan_cli import locations

        os.environ["JIEDAN_HOME"] = str(home)
        rate, cpu_rate = build_replica(locations.data_dir() / "jiedan.db", args.orders)
        times = time_cold(home, args.runs)
    floor = statistics.median(times["floor"])
    results: dict[str, Any] = {
        "orders": args.orders,
        "runs": args.runs,
        "import_changes_per_s": round(rate),
        "import_changes_per_cpu_s": round(cpu_rate),
        "floor_ms": round(floor * 1000, 1),
    }
    rows = [("figure", "median ms", "floor ms", "ratio", "target")]
    for name in ("P1", "P2"):
        median = statistics.median(times[name])
        ratio = median / floor
        results[name] = {
            "median_ms": round(median * 1000, 1),
            "ratio": round(ratio, 2),
            "target": TARGETS[name],
            "ok": ratio <= TARGETS[name],
        }
        rows.append(
            (
                name,
                f"{median * 1000:.1f}",
                f"{floor * 1000:.1f}",
                f"{ratio:.2f}×",
                f"≤ {TARGETS[name]:g}×",
            )
        )
    for row in rows:
        print("  ".join(cell.ljust(10) for cell in row), file=sys.stderr)
    print(f"replica built at {rate:,.0f} changes/s ({cpu_rate:,.0f}/s of CPU)", file=sys.stderr)
    print(json.dumps(results, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
