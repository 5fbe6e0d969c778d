"""`cxprogram serve` as a real process on 127.0.0.1, and the command line beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.integration.mailserver import free_port

ROOT = Path(__file__).resolve().parents[2]
CXPROGRAM = [sys.executable, "-c", "from cxprogram.cli import main; main()"]  # the script


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a command run against this database."""
    return {**os.environ, "CX_ENV": "test", "DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT), **extra}  # fmt: skip


def cli(database_url: str, *args: str, stdin: str = "") -> str:
    """Run a `cxprogram` command; its standard output (it must succeed)."""
    result = subprocess.run(
        [*CXPROGRAM, *args], env=cli_env(database_url), cwd=ROOT, input=stdin,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@dataclass
class Served:
    """A running `cxprogram serve`: its URL and process; its output once stopped."""

    url: str
    process: subprocess.Popen[bytes]
    output: tuple[tempfile._TemporaryFileWrapper[bytes], ...]

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    @property
    def stdout(self) -> str:
        """What it wrote to standard output so far (gunicorn's access log)."""
        return self._read(0)

    @property
    def stderr(self) -> str:
        """What it wrote to standard error so far (gunicorn's and the app's logs)."""
        return self._read(1)

    def _read(self, index: int) -> str:
        self.output[index].seek(0)
        return self.output[index].read().decode(errors="replace")


@contextmanager
def serving(database_url: str, **extra: str) -> Iterator[Served]:
    """`cxprogram serve --host 127.0.0.1 --port <free>` until the block ends."""
    port = free_port()
    command = [*CXPROGRAM, "serve", "--host", "127.0.0.1", "--port", str(port)]
    # files, not pipes: a full pipe would block the server's logging
    with tempfile.NamedTemporaryFile() as out, tempfile.NamedTemporaryFile() as err:
        process = subprocess.Popen(
            command, env=cli_env(database_url, **extra), cwd=ROOT, stdout=out, stderr=err
        )
        served = Served(f"http://127.0.0.1:{port}", process, (out, err))
        try:
            _wait_until_up(served)
            yield served
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def _wait_until_up(served: Served) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"cxprogram serve exited: {served.stderr}")
        try:
            if requests.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("cxprogram serve did not answer /healthz within 60 s")
