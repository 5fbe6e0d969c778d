"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, keeping what it receives."""

from __future__ import annotations

import socket
from typing import Any

from aiosmtpd.handlers import Message


class Inbox(Message):
    """Keeps every message the SMTP server receives; refuses the recipients in `refused`."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []
        self.refused: set[str] = set()

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
