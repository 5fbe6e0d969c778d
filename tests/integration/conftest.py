"""Fixtures shared by the integration tests: a real SMTP server on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.integration.mailserver import Inbox, free_port


@pytest.fixture
def smtp_server(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Inbox]]:
    """Start an SMTP server on 127.0.0.1 with the given aiosmtpd parameters and point the
    application at it."""
    controllers: list[Controller] = []

    def start(**parameters: Any) -> Inbox:
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **parameters)
        controller.start()
        controllers.append(controller)
        monkeypatch.setitem(app.config, "CX_SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "CX_SMTP_PORT", port)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp(smtp_server: Callable[..., Inbox]) -> Inbox:
    """A plain SMTP server on 127.0.0.1 that the application sends to."""
    return smtp_server()
