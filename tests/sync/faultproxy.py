"""A fault-injecting TCP proxy between the client and the real server (sync.md, "What it must
survive"). Each new connection takes the next queued fault, or the standing one:

- `pass`      forward both ways;
- `refuse`    reset each connection at once, forwarding nothing (the network is down);
- `delay`     forward both ways, every chunk `delay` seconds late (a long, thin link);
- `reset`     forward the request; after `after_bytes` of the response, reset (RST) both sides;
- `truncate`  forward the request; after `after_bytes` of the response, close cleanly (FIN);
- `hang`      forward the request (the server does the work) and never answer;
- `http503`   answer every request on the connection with 503 + Retry-After, never forwarding.

Byte counts run over the whole connection, so with keep-alive a cut can land in the middle of
the third page of a pull. Threads only; `stop()` closes every socket it made."""

from __future__ import annotations

import contextlib
import queue
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass

MODES = ("pass", "refuse", "delay", "reset", "truncate", "hang", "http503")


@dataclass(frozen=True)
class Fault:
    mode: str = "pass"
    after_bytes: int = 0
    delay: float = 0.0
    retry_after: int = 0

    def __post_init__(self) -> None:
        assert self.mode in MODES, self.mode


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.standing = Fault()
        self.queued: deque[Fault] = deque()
        self.connections = 0
        self.answered_503 = 0
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True, name="faultproxy")

    # ---- control ------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        _close(self.listener)
        with self._lock:
            for sock in list(self._sockets):
                _close(sock)
        self._thread.join(timeout=5)

    def always(self, mode: str, **params: float) -> None:
        """Every new connection from now on gets this fault (`always("pass")` clears)."""
        self.queued.clear()
        self.standing = Fault(mode, **params)  # type: ignore[arg-type]

    def next(self, mode: str, times: int = 1, **params: float) -> None:
        """The next `times` new connections get this fault, then the standing one again."""
        self.queued.extend([Fault(mode, **params)] * times)  # type: ignore[arg-type]

    def drop_connections(self) -> None:
        """Close every open connection (a network change: the client must reconnect)."""
        with self._lock:
            for sock in list(self._sockets):
                _close(sock)

    # ---- the work -----------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                downstream, _addr = self.listener.accept()
            except OSError:
                return
            fault = self.queued.popleft() if self.queued else self.standing
            self.connections += 1
            self._track(downstream)
            threading.Thread(
                target=self._serve, args=(downstream, fault), daemon=True, name="faultproxy-conn"
            ).start()

    def _serve(self, downstream: socket.socket, fault: Fault) -> None:
        if fault.mode == "http503":
            self._answer_503(downstream, fault)
            return
        if fault.mode == "refuse":
            _reset(downstream)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(downstream)
            return
        upstream.settimeout(None)
        self._track(upstream)
        up = threading.Thread(
            target=self._pump_request, args=(downstream, upstream, fault), daemon=True
        )
        up.start()
        self._pump_response(upstream, downstream, fault)
        up.join(timeout=5)

    def _pump_request(self, src: socket.socket, dst: socket.socket, fault: Fault) -> None:
        for chunk in _chunks(src, fault.delay):
            try:
                dst.sendall(chunk)
            except OSError:
                break
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def _pump_response(self, src: socket.socket, dst: socket.socket, fault: Fault) -> None:
        sent = 0
        for chunk in _chunks(src, fault.delay):
            if fault.mode == "hang":
                continue  # the server answered; the client never hears it
            if fault.mode in ("reset", "truncate") and sent + len(chunk) >= fault.after_bytes:
                with contextlib.suppress(OSError):
                    dst.sendall(chunk[: fault.after_bytes - sent])
                if fault.mode == "reset":
                    _reset(dst)
                else:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_RDWR)
                    _close(dst)
                _close(src)
                return
            try:
                dst.sendall(chunk)
            except OSError:
                break
            sent += len(chunk)
        if fault.mode == "hang":
            self._stopped.wait()  # keep the client waiting until the test ends
        _close(dst)
        _close(src)

    def _answer_503(self, sock: socket.socket, fault: Fault) -> None:
        try:
            if not _read_one_request(sock):
                return
            body = (
                b'{"type":"about:blank","title":"Busy","status":503,'
                b'"detail":"the proxy says the server is busy","code":"temporarily_unavailable"}'
            )
            head = (
                "HTTP/1.1 503 Service Unavailable\r\n"
                "Content-Type: application/problem+json\r\n"
                f"Retry-After: {fault.retry_after}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            sock.sendall(head + body)
            self.answered_503 += 1
        except OSError:
            pass
        finally:
            _close(sock)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)


def _chunks(sock: socket.socket, delay: float):  # type: ignore[no-untyped-def]
    """The chunks read from `sock` until it closes; each `delay` seconds after it arrived
    (a delay line: chunks in flight overlap, so the delay does not add up per chunk)."""
    if delay <= 0:
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            yield chunk
    line: queue.Queue[tuple[float, bytes]] = queue.Queue()

    def read() -> None:
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            line.put((time.monotonic() + delay, chunk))
            if not chunk:
                return

    threading.Thread(target=read, daemon=True).start()
    while True:
        due, chunk = line.get()
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        if not chunk:
            return
        yield chunk


def _read_one_request(sock: socket.socket) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        rest += chunk
    return True


def _reset(sock: socket.socket) -> None:
    """Close with RST, not FIN: linger 0. SHUT_RD (which sends nothing) wakes the other pump
    blocked in recv on this socket."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    with contextlib.suppress(OSError):
        sock.close()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
