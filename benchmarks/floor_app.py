"""The floor for the server benchmarks: a bare FastAPI app with one sync endpoint, served by
uvicorn exactly as `jiedan server run` serves the real app (one worker, same defaults)."""

from __future__ import annotations

import argparse

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # the same call as jiedan_cli/commands/server.py `run`
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
