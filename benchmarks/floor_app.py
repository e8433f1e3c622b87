"""The floor for the server benchmarks: a bare FastAPI app with one sync endpoint, served by
uvicorn exactly as `jiedan server run` serves the real app (the same uvicorn options, the
same number of workers, the app named by an import string)."""

from __future__ import annotations

import argparse

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    from jiedan_cli.server.config import Settings
    from jiedan_cli.server.serving import serve, uvicorn_options

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # the same call as jiedan_cli/server/cli.py `run`, with the default settings
    options = uvicorn_options(Settings.from_env(secrets=False))
    serve("127.0.0.1", args.port, args.workers, options, app="benchmarks.floor_app:app")


if __name__ == "__main__":
    main()
