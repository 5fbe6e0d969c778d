"""`cxprogram serve`: the production server, against slow clients and SIGTERM.

A real `cxprogram serve` process on 127.0.0.1 over a fresh SQLite file made by `cxprogram
db upgrade` (the server is the subject here, not the database)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.serveprocess import Served, cli, serving

DRIPPERS = 100
DRIP_EVERY = 2.0  # seconds between two header lines of one slow client


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    cli(url, "db", "upgrade")
    # two workers of four threads: without the fix, eight slow clients would stall it
    with serving(url, WEB_CONCURRENCY="2", WEB_THREADS="4", WEB_HEADER_TIMEOUT="60") as server:
        yield server


def _drip(url: str, stop: threading.Event) -> list[socket.socket]:
    """Open the slow clients: a request line, then one header line every DRIP_EVERY s."""
    port = int(url.rsplit(":", 1)[1])
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(DRIPPERS)]
    for number, sock in enumerate(sockets):
        sock.sendall(f"GET /sign-in?slow={number} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())

    def keep_dripping() -> None:
        line = 0
        while not stop.wait(DRIP_EVERY):
            line += 1
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(f"X-Drip-{line}: {line}\r\n".encode())

    threading.Thread(target=keep_dripping, daemon=True).start()
    return sockets


def test_slow_clients_do_not_stall_a_normal_page(served: Served) -> None:
    stop = threading.Event()
    sockets = _drip(served.url, stop)
    try:
        time.sleep(2 * DRIP_EVERY + 0.5)  # every slow client has sent lines more than once
        timings = []
        for _ in range(5):
            started = time.monotonic()
            response = requests.get(f"{served.url}/sign-in", timeout=30)
            timings.append(time.monotonic() - started)
            assert response.status_code == 200
            assert "csrf_token" in response.text
        assert max(timings) < 2.0, f"a normal page took {max(timings):.2f} s: {timings}"
        assert all(sock.fileno() != -1 for sock in sockets)
        # SIGTERM with the slow clients still connected: a clean, prompt exit
        started = time.monotonic()
        assert served.stop(timeout=15) == 0, served.stderr
        assert time.monotonic() - started < 10
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
    assert "Handling signal: term" in served.stderr
    assert "HeadBufferingWorker" in served.stderr
    # the access log (stdout) names each request's id
    assert served.stdout.count('"GET /sign-in HTTP/1.1" 200') == 5
    assert "rid=" in served.stdout and "rid=-" not in served.stdout


def test_a_head_that_never_ends_is_dropped(tmp_path: Path) -> None:
    """A client that keeps dripping past WEB_HEADER_TIMEOUT loses its connection."""
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    cli(url, "db", "upgrade")
    with serving(url, WEB_CONCURRENCY="1", WEB_HEADER_TIMEOUT="2") as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 8 and not closed:
                try:
                    sock.sendall(b"X-Drip: 1\r\n")
                    sock.settimeout(0.5)
                    closed = sock.recv(1) == b""
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
            assert closed, "the slow client was never dropped"
            assert time.monotonic() - started < 6
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
        assert server.stop() == 0
