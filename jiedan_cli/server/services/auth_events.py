"""Other processes' sign-in writes, heard: on PostgreSQL every transaction that changes
`users` or `sessions` sends `NOTIFY jiedan_auth` (services/actors.py); this listener — one
thread and one connection per process — empties the token cache when one arrives, so a
logout, a role change or a closed account on one process is refused by every other within
milliseconds. While the listener is not connected (start-up, a lost connection) the cache is
not trusted at all, so a missed notification can never keep a revoked token working."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import URL

from jiedan_cli.server.services.actors import AUTH_CHANNEL, forget_cached_actors

log = logging.getLogger("jiedan.auth_events")

RECONNECT_SECONDS = 1.0
POLL_SECONDS = 0.5  # how often the thread looks up from the socket to see if it must stop


class AuthEventListener:
    def __init__(self, url: URL) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listening = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def listening(self) -> bool:
        return self._listening.is_set()

    def start(self, wait: float = 5.0) -> None:
        """Start the thread and wait (a little) until it listens."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="jiedan-auth-events", daemon=True
            )
            self._thread.start()
        self._listening.wait(wait)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {AUTH_CHANNEL}")
                    forget_cached_actors()  # whatever was written while we were not listening
                    self._listening.set()
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=POLL_SECONDS):
                            forget_cached_actors()
            except Exception as exc:  # the database went away: distrust, then reconnect
                if self._listening.is_set():
                    log.warning("auth events: listener lost its connection (%s)", exc)
            finally:
                self._listening.clear()
                forget_cached_actors()
            self._stop.wait(RECONNECT_SECONDS)
