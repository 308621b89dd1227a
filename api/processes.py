"""Start the assistant's services as child processes and wait until they answer.

    >>> from api.processes import Services, rasa_actions
    >>> with Services() as services:
    ...     services.start(*rasa_actions())
    ...     ...                                   # the action server answers on :5055

Used by the launcher (``make run``), the story tests and the dialogue evaluation. Each child's
output goes to ``var/log/<name>.log``; leaving the block stops every child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACTION_URL = "http://127.0.0.1:5055/webhook"


WARM_UP_QUESTION = "居住证要带什么材料"


def warm_up(api_url: str, seconds: float = 180.0) -> float:
    """Ask one item question until the whole stack answers it; the seconds it took.

    The action server opens the index, the offices and the vectors on its first action; a
    question asked meanwhile waits longer than the API waits for Rasa and gets the search
    fallback. Ready means answered, so the launcher and the checks ask first.
    """
    started = time.monotonic()
    body = json.dumps({"sender": "warm-up", "message": WARM_UP_QUESTION}).encode()
    while time.monotonic() - started < seconds:
        request = urllib.request.Request(f"{api_url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                replies = json.loads(response.read() or b"[]")
        except OSError:
            replies = []
        if replies and all((r.get("custom") or {}).get("response") != "search_fallback" for r in replies):
            return time.monotonic() - started
        time.sleep(1.0)
    raise ServiceFailed(f"the stack did not answer an item question within {seconds:.0f} s; see var/log/")


class ServiceFailed(RuntimeError):
    pass


def rasa_actions(port: int = 5055) -> tuple[str, list[str], str, float]:
    return ("actions", [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "-p", str(port)],
            f"http://127.0.0.1:{port}/health", 120)


def rasa_server(port: int = 5005, model: str = "models") -> tuple[str, list[str], str, float]:
    # bot.serve is `rasa` with bot/speedups.py applied (the per-action schema check built once).
    args = [
        sys.executable, "-m", "bot.serve", "run", "-m", model, "--enable-api", "-i", "127.0.0.1", "-p", str(port),
        "--credentials", "bot/credentials.yml", "--endpoints", "bot/endpoints.yml",
    ]
    return "rasa", args, f"http://127.0.0.1:{port}/status", 300


def api_server(host: str, port: int) -> tuple[str, list[str], str, float]:
    # --ws none: Rasa pins an old websockets that uvicorn's websocket support cannot import; no
    # page here uses websockets.
    args = [str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--ws", "none", "--host", host, "--port", str(port)]
    return "api", args, f"http://{host}:{port}/healthz", 120


class Services:
    def __init__(self, env: dict[str, str] | None = None):
        self.env = {**os.environ, "ACTION_ENDPOINT_URL": os.environ.get("ACTION_ENDPOINT_URL", ACTION_URL), **(env or {})}
        self.children: list[tuple[str, subprocess.Popen]] = []
        self._pending: list[tuple[str, subprocess.Popen, str, float]] = []
        self.logs = ROOT / "var" / "log"

    def start(self, name: str, args: list[str], health: str, seconds: float, *, wait: bool = True) -> subprocess.Popen:
        """Start one service; with ``wait=False`` return at once (see :meth:`wait_all`)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.children.append((name, proc))
        self._pending.append((name, proc, health, seconds))
        if wait:
            self.wait_all()
        return proc

    def start_all(self, *services: tuple[str, list[str], str, float]) -> None:
        """Start services side by side (they load independently) and wait until all answer."""
        for service in services:
            self.start(*service, wait=False)
        self.wait_all()

    def wait_all(self) -> None:
        pending, self._pending = self._pending, []
        for name, proc, health, seconds in pending:
            self._wait(name, proc, health, seconds)

    def _wait(self, name: str, proc: subprocess.Popen, url: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServiceFailed(f"{name} stopped while starting (exit {proc.returncode}); see var/log/{name}.log")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise ServiceFailed(f"{name} did not answer {url} within {seconds:.0f} s; see var/log/{name}.log")

    def restart(self, name: str, args: list[str], health: str, seconds: float) -> None:
        """Stop one service (as a crash would: SIGKILL) and start it again."""
        for index, (child, proc) in enumerate(self.children):
            if child == name:
                proc.kill()
                proc.wait()
                del self.children[index]
                break
        self.start(name, args, health, seconds)

    def first_exited(self) -> str | None:
        return next((name for name, proc in self.children if proc.poll() is not None), None)

    def stop(self) -> None:
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
        for _, proc in self.children:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.children.clear()

    def __enter__(self) -> "Services":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
