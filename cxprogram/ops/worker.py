"""A gunicorn worker that slow clients cannot stall.

gunicorn's threaded worker (gthread) hands a connection to a thread as soon as its first
byte arrives; the thread then blocks reading the rest of the request head. A client that
sends one header line every few seconds holds a thread for as long as it likes, so a few
such clients per worker stop the site. This worker reads the request head in the worker's
event loop instead, without blocking, and gives the connection to a thread only once the
head is complete (or too long: the parser then refuses it). A head that does not arrive
within the header timeout is dropped. Requests themselves still run in real threads, so
SQLite's busy wait and psycopg need no cooperative patching.

It relies on gthread's internals (TConn, the poller, enqueue_req), hence gunicorn is pinned
in requirements.lock and tests/integration/test_serve.py drips headers at a real server.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

from config import server_from_env

END_OF_HEAD = b"\r\n\r\n"
RECV_BYTES = 65536


class HeadBufferingWorker(ThreadWorker):  # type: ignore[misc]
    """gthread whose threads only ever see connections with a complete request head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = float(server_from_env().header_timeout)  # WEB_HEADER_TIMEOUT
        self.reading: deque[TConn] = deque()  # ordered by deadline: all get the same delay
        fields = self.cfg.limit_request_fields * max(self.cfg.limit_request_field_size, 8190)
        self.max_head = self.cfg.limit_request_line + fields + 4096

    def accept(self, listener: socket.socket) -> None:
        """A new connection: read its head in the event loop."""
        if self.cfg.is_ssl:  # TLS ends at the proxy; never configured by cxprogram serve
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_head(TConn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        """A kept-alive connection sends its next request: read that head in the loop too."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_head(conn)

    def _read_head(self, conn: TConn) -> None:
        conn.sock.setblocking(False)
        conn.cx_head = bytearray()
        conn.timeout = time.monotonic() + self.header_timeout
        self.reading.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_head_bytes, conn))

    def _on_head_bytes(self, conn: TConn, client: socket.socket) -> None:
        """Bytes of a request head arrived: keep them until the head is complete."""
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        conn.cx_head += data
        if data and END_OF_HEAD not in conn.cx_head and len(conn.cx_head) <= self.max_head:
            return
        self.poller.unregister(client)
        self.reading.remove(conn)
        if not data:  # the client went away before finishing its head
            self.nr_conns -= 1
            conn.close()
            return
        conn.data_ready = True
        self.enqueue_req(conn)

    def handle(self, conn: TConn) -> Any:
        """In a thread: give the parser the head read so far, then serve as gthread does."""
        head = getattr(conn, "cx_head", None)
        if head:
            conn.cx_head = None
            conn.sock.setblocking(True)
            conn.init()  # creates the parser on a new connection; no-op on a kept-alive one
            conn.parser.unreader.unread(bytes(head))
        return super().handle(conn)

    def murder_pending(self) -> None:
        """Drop heads that took too long (all of them once the worker is stopping: none of
        those is a request in flight)."""
        super().murder_pending()
        now = time.monotonic()
        while self.reading and (not self.alive or self.reading[0].timeout <= now):
            conn = self.reading.popleft()
            with contextlib.suppress(OSError, KeyError, ValueError):
                self.poller.unregister(conn.sock)
            self.nr_conns -= 1
            conn.close()
