"""Reading py-spy's raw stacks (`py-spy record --gil --format raw`: one `frame;frame;… count`
a line, the root first): the share of the server's samples by the library running at the
leaf, by our own functions anywhere on the stack, and by leaf function (start-up and set-up
stacks left out).

`python -m benchmarks.pyspy_summary FILE [--top N]` prints it for a file of `--py-spy`."""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
# The library a file belongs to, by the first of these found in its path.
_AREAS = (
    ("jiedan_cli/server/db", "jiedan: db"),
    ("jiedan_cli/server/services", "jiedan: services"),
    ("jiedan_cli/server/api", "jiedan: api"),
    ("jiedan_cli/", "jiedan: other"),
    ("sqlalchemy/", "sqlalchemy"),
    ("psycopg", "psycopg"),
    ("pydantic", "pydantic"),
    ("fastapi/", "fastapi"),
    ("starlette/", "starlette"),
    ("uvicorn/", "uvicorn"),
    ("h11/", "h11"),
    ("anyio/", "anyio"),
    ("asyncio/", "asyncio"),
    ("logging/", "logging"),
    ("json/", "json"),
    ("threading.py", "threads"),
    ("concurrent/", "threads"),
    ("selectors.py", "asyncio"),
)


def _parse(frame: str) -> tuple[str, str]:
    found = _FRAME.match(frame.strip())
    if found is None:
        return frame.strip(), ""
    return found.group("function"), found.group("file")


def area(file: str) -> str:
    for needle, name in _AREAS:
        if needle in file:
            return name
    return "python/other" if file else "native/process"


def _short(file: str) -> str:
    for cut in ("site-packages/", "/work/main/", "/lib/python3.11/"):
        if cut in file:
            return file.split(cut, 1)[1]
    return file


# Stacks of start-up and of the benchmark's own set-up (registering its users: Argon2),
# left out: the figures are about the requests measured.
SETUP = ("app_from_env", "_find_and_load", "hash_password", "register (jiedan_cli")


def summarise(path: Path, top: int = 15) -> dict[str, Any]:
    by_area: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if any(marker in stack for marker in SETUP):
            continue
        frames = [_parse(f) for f in stack.split(";")]
        frames = [(fn, file) for fn, file in frames if file]  # py-spy's process/thread labels
        if not frames:
            continue
        total += count
        function, file = frames[-1]
        by_area[area(file)] += count
        leaves[f"{function} ({_short(file)})"] += count
        for name in {f"{fn} ({_short(fl)})" for fn, fl in frames if "jiedan_cli/" in fl}:
            ours[name] += count

    def shares(counter: Counter[str], n: int) -> dict[str, float]:
        return {k: round(100 * v / max(total, 1), 1) for k, v in counter.most_common(n)}

    return {
        "samples": total,
        "percent_by_area_at_leaf": shares(by_area, len(by_area)),
        "percent_inclusive_in_our_functions": shares(ours, top),
        "percent_by_leaf_function": shares(leaves, top),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pyspy_summary")
    parser.add_argument("raw", nargs="+", help="py-spy record --format raw files")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    for raw in args.raw:
        print(json.dumps({raw: summarise(Path(raw), args.top)}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
