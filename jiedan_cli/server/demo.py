"""The server `jiedan demo` runs: the app with a throw-away SQLite database and the demo
marketplace (seed_demo.py), served by uvicorn in a daemon thread on a free 127.0.0.1 port.
The demo accounts the command signs in as are named here too."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from jiedan_cli.server.seed import DEMO_PASSWORD
from jiedan_cli.server.seed_demo import DEMO_CLIENT, DEMO_FREELANCER

__all__ = ["DEMO_CLIENT", "DEMO_FREELANCER", "DEMO_PASSWORD", "DemoServer"]


class DemoServer:
    """create_app + the demo marketplace, served by uvicorn in a daemon thread."""

    def __init__(self, database: Path) -> None:
        import secrets

        from jiedan_cli.server.app import create_app
        from jiedan_cli.server.config import Settings
        from jiedan_cli.server.seed_demo import seed_demo

        settings = Settings(
            database_url=f"sqlite:///{database}",
            secret_key=secrets.token_urlsafe(32),
            sandbox_webhook_secret=secrets.token_urlsafe(32),
        )
        self.app = create_app(settings)
        self.seeded = seed_demo(self.app.state.db)  # what was seeded, said by the command
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> DemoServer:
        import uvicorn

        config = uvicorn.Config(self.app, log_level="error", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        give_up = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > give_up:
                raise RuntimeError("the demo server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
