"""Load generation against a local server: `wrk` when it is installed (it costs the server
least CPU on a shared 2-core machine), else an asyncio httpx client that runs anywhere.
Both report requests per second, p50 and p99 latency, and errors (non-2xx or transport).

A plan is one list of requests per connection; each connection cycles through its own list,
so a benchmark can give every connection its own user and its own targets."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str | None = None
    body: str | None = None  # JSON text


Plan = list[list[Request]]


@dataclass
class LoadResult:
    tool: str
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: dict[str, int] = field(default_factory=dict)
    server_cpu_ms: float | None = None  # the server's CPU time per request, when known
    extra: dict[str, Any] = field(default_factory=dict)  # what one figure adds (P10: flows)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def measure(
    base_url: str, plan: Plan, *, duration: float, loader: str = "auto", threads: int = 2
) -> LoadResult:
    """Drive `plan` (one request list per connection) against `base_url` for `duration` s."""
    if loader == "auto":
        loader = "wrk" if have_wrk() else "python"
    if loader == "wrk":
        return wrk_load(base_url, plan, duration=duration, threads=threads)
    return python_load(base_url, plan, duration=duration)


# ---- the Python load generator -------------------------------------------------------------


def _headers(request: Request) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if request.token:
        headers["Authorization"] = f"Bearer {request.token}"
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    return headers


async def _connection(
    base_url: str,
    requests: list[Request],
    stop_at: float,
    latencies: list[float],
    statuses: Counter[str],
) -> None:
    import httpx

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        turn = 0
        while time.perf_counter() < stop_at:
            request = requests[turn % len(requests)]
            turn += 1
            started = time.perf_counter()
            try:
                response = await client.request(
                    request.method, request.path, headers=_headers(request), content=request.body
                )
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1


def python_load(base_url: str, plan: Plan, *, duration: float) -> LoadResult:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    async def run() -> float:
        started = time.perf_counter()
        stop_at = started + duration
        await asyncio.gather(
            *(_connection(base_url, reqs, stop_at, latencies, statuses) for reqs in plan)
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(run())
    latencies.sort()
    count = len(latencies)

    def pct(q: float) -> float:
        return latencies[min(count - 1, int(q * count))] * 1000 if count else float("nan")

    errors = sum(n for status, n in statuses.items() if not status.startswith("2"))
    return LoadResult(
        "python-httpx",
        elapsed,
        count,
        count / elapsed,
        pct(0.50),
        pct(0.99),
        errors,
        dict(statuses),
    )


# ---- wrk -----------------------------------------------------------------------------------

# Each wrk thread reads its own file of pre-built requests and cycles through it.
_LUA = r"""
local counter = 0
function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
end

local requests = {}
local count = 0
local turn = 0

function init(args)
   for line in io.lines(args[1] .. "/requests-" .. id .. ".tsv") do
      local method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = { ["Accept"] = "application/json" }
      if token ~= "" then headers["Authorization"] = "Bearer " .. token end
      if body == "" then body = nil else headers["Content-Type"] = "application/json" end
      count = count + 1
      requests[count] = wrk.format(method, path, headers, body)
   end
end

function request()
   turn = turn % count + 1
   return requests[turn]
end
"""


def _thread_files(plan: Plan, threads: int, folder: Path) -> None:
    """Thread t gets connections t, t+threads, …, interleaved request by request."""
    for thread in range(threads):
        lists = plan[thread::threads]
        longest = max(len(reqs) for reqs in lists)
        lines = []
        for turn in range(longest):
            for reqs in lists:
                r = reqs[turn % len(reqs)]
                lines.append(f"{r.method}\t{r.path}\t{r.token or ''}\t{r.body or ''}")
        (folder / f"requests-{thread}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str, seconds: float) -> LoadResult:
    def grab(pattern: str) -> str | None:
        found = re.search(pattern, output, re.MULTILINE)
        return found.group(1) if found else None

    requests = int(grab(r"^\s*(\d+) requests in") or 0)
    non_2xx = int(grab(r"Non-2xx or 3xx responses:\s*(\d+)") or 0)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    transport = sum(int(n) for n in socket.groups()) if socket else 0
    statuses = {"non_2xx": non_2xx, "socket_errors": transport}
    return LoadResult(
        "wrk",
        seconds,
        requests,
        float(grab(r"Requests/sec:\s*([\d.]+)") or 0.0),
        _ms(grab(r"^\s*50%\s+(\S+)") or "nanms"),
        _ms(grab(r"^\s*99%\s+(\S+)") or "nanms"),
        non_2xx + transport,
        statuses,
    )


def wrk_load(base_url: str, plan: Plan, *, duration: float, threads: int = 2) -> LoadResult:
    connections = len(plan)
    threads = max(1, min(threads, connections))
    seconds = max(1, round(duration))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    with tempfile.TemporaryDirectory(prefix="jiedan-wrk-") as folder:
        _thread_files(plan, threads, Path(folder))
        script = Path(folder) / "plan.lua"
        script.write_text(_LUA, encoding="utf-8")
        command += ["-s", str(script), base_url, "--", folder]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or "requests in" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout, float(seconds))
