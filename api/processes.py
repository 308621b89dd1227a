"""Start the assistant's services as child processes and wait until they answer.

    >>> from api.processes import Services, Stack
    >>> stack = Stack.on_free_ports()
    >>> with Services(stack.env) as services:
    ...     services.start_all(*stack.services())   # Rasa (with the actions inside) and the API
    ...     ...                                      # the API answers on stack.api_url

Used by the launcher (``make run``), the story tests and the dialogue evaluation. Each child's
output goes to ``var/log/<name>.log``; leaving the block stops every child.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


WARM_UP_QUESTION = "居住证要带什么材料"


def wait_ready(api_url: str, seconds: float = 180.0) -> dict:
    """Poll the API's /readyz until it says ready; its checks. Raises :class:`ServiceFailed`."""
    deadline = time.monotonic() + seconds
    checks: dict = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api_url}/readyz", timeout=5) as response:
                return json.loads(response.read())["checks"]
        except urllib.error.HTTPError as exc:  # 503 while something is still loading
            checks = json.loads(exc.read() or b"{}").get("checks", {})
        except OSError:
            pass
        time.sleep(0.2)
    raise ServiceFailed(f"the stack was not ready within {seconds:.0f} s: {checks}; see var/log/")


def warm_up(api_url: str, seconds: float = 180.0) -> float:
    """Wait for /readyz, then ask one item question until it is answered; the seconds it took.

    Ready means answered: the launcher prints "ready" and the checks start only after this.
    """
    started = time.monotonic()
    wait_ready(api_url, seconds)
    ask_until_answered(api_url, seconds - (time.monotonic() - started))
    return time.monotonic() - started


def ask_until_answered(url: str, seconds: float = 180.0, *, sender: str = "warm-up") -> None:
    """Ask ``url``'s REST channel one item question until the answer is a real one (not [] nor
    the search fallback). Raises :class:`ServiceFailed` after ``seconds``."""
    deadline = time.monotonic() + seconds
    body = json.dumps({"sender": sender, "message": WARM_UP_QUESTION}).encode()
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                replies = json.loads(response.read() or b"[]")
        except (OSError, ValueError):
            replies = []
        if replies and all((r.get("custom") or {}).get("response") != "search_fallback" for r in replies):
            return
        time.sleep(0.2)
    raise ServiceFailed(f"the stack did not answer an item question within {seconds:.0f} s; see var/log/")


class ServiceFailed(RuntimeError):
    pass


class Service(NamedTuple):
    """One child process: its command, the URL that answers 200 once it serves, and its port."""

    name: str
    args: list[str]
    health: str
    seconds: float
    port: int | None = None
    host: str = "127.0.0.1"
    setting: str = ""  # the variable that moves it to another port, for the error message


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the kernel's choice), for checks and benches."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports, in increasing order."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def _reachable(host: str) -> str:
    """The address to ask a server listening on ``host`` (every interface: loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def port_taken(host: str, port: int) -> bool:
    """Whether another program holds ``port``: we must not start beside it, nor talk to it."""
    bind_host = "" if host in ("0.0.0.0", "::") else host
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # as the servers bind: connections of a stopped server in TIME_WAIT do not count, a
        # listener does
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((bind_host, port))
        except OSError:
            return True
    return False


def rasa_actions(port: int = 5055) -> Service:
    return Service("actions", [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "-p", str(port)],
                   f"http://127.0.0.1:{port}/health", 120, port, "0.0.0.0", "GUIDE_ACTIONS_PORT")


def rasa_server(port: int = 5005, model: str = "models", name: str = "rasa") -> Service:
    # bot.serve is `rasa` with bot/speedups.py and bot/inprocess.py applied.
    args = [
        sys.executable, "-m", "bot.serve", "run", "-m", model, "--enable-api", "-i", "127.0.0.1", "-p", str(port),
        "--credentials", "bot/credentials.yml", "--endpoints", "bot/endpoints.yml",
    ]
    return Service(name, args, f"http://127.0.0.1:{port}/status", 300, port, "127.0.0.1", "GUIDE_RASA_PORT")


def api_server(host: str, port: int, workers: int = 1) -> Service:
    # --ws none: Rasa pins an old websockets that uvicorn's websocket support cannot import; no
    # page here uses websockets. --timeout-keep-alive 30: uvicorn's 5 s equals the idle expiry of
    # httpx's pool (and is shorter than browsers'), so a client reusing a connection the server
    # was just closing got a ReadError under load (seen twice in 50 × 60 s, make test).
    args = [str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--ws", "none", "--timeout-keep-alive", "30",
            "--host", host, "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    return Service("api", args, f"http://{_reachable(host)}:{port}/healthz", 120, port, host, "PORT")


@dataclass
class Stack:
    """Where the whole stack listens, how many Rasa workers, and whether the actions run inside Rasa.

    >>> stack = Stack.on_free_ports(rasa_workers=2)    # checks and benches: never 5005/5055
    >>> with Services(stack.env) as services:
    ...     services.start_all(*stack.services())

    Each Rasa worker is a process of its own on its own port; the API sends every turn of one
    conversation to the same worker (api/rasa_workers.py), so turns stay in order without a lock
    store, and the workers share the tracker store.
    """

    api_port: int = 8000
    rasa_port: int = 5005  # the first worker's; the others listen on the next ports
    actions_port: int = 5055
    rasa_workers: int = 1
    rasa_ports: list[int] = field(default_factory=list)  # set: these, not rasa_port onwards
    api_workers: int = 1
    # "actions": run in the Rasa process (bot/inprocess.py); "": the separate action server.
    actions_module: str = "actions"
    host: str = "127.0.0.1"
    model: str = "models"

    def __post_init__(self):
        if not self.rasa_ports:
            self.rasa_ports = [self.rasa_port + n for n in range(max(1, self.rasa_workers))]
        self.rasa_port, self.rasa_workers = self.rasa_ports[0], len(self.rasa_ports)

    @classmethod
    def on_free_ports(cls, rasa_workers: int = 1, **options) -> "Stack":
        api, actions, *rasa = free_ports(rasa_workers + 2)
        return cls(api_port=api, actions_port=actions, rasa_ports=rasa, **options)

    @property
    def api_url(self) -> str:
        return f"http://{_reachable(self.host)}:{self.api_port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "GUIDE_API_RASA_URL": ",".join(f"http://127.0.0.1:{port}" for port in self.rasa_ports),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "GUIDE_ACTIONS_MODULE": self.actions_module,
            # One BLAS thread a process: the workers are the parallelism. OpenBLAS's threads spin
            # while they wait, and with two Rasa workers on two cores they doubled the CPU a turn
            # costs (measured with python -m bot.bench; README, Speed).
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        }

    def rasa(self, worker: int = 0) -> Service:
        return rasa_server(self.rasa_ports[worker], self.model, "rasa" if worker == 0 else f"rasa-{worker + 1}")

    def rasas(self) -> list[Service]:
        return [self.rasa(worker) for worker in range(self.rasa_workers)]

    def actions(self) -> Service:
        return rasa_actions(self.actions_port)

    def api(self) -> Service:
        return api_server(self.host, self.api_port, self.api_workers)

    def services(self) -> list[Service]:
        return ([] if self.actions_module else [self.actions()]) + self.rasas() + [self.api()]


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:  # already gone, with its group
        pass


class Services:
    def __init__(self, env: dict[str, str] | None = None):
        # the default stack's settings, unless the environment or the caller says otherwise
        self.env = {**Stack().env, **os.environ, **(env or {})}
        self.children: list[tuple[str, subprocess.Popen]] = []
        self._pending: list[tuple[str, subprocess.Popen, str, float]] = []
        self._ports: dict[str, tuple[str, int | None]] = {}
        self.logs = ROOT / "var" / "log"

    def start(self, service: Service, *, wait: bool = True) -> subprocess.Popen:
        """Start one service; with ``wait=False`` return at once (see :meth:`wait_all`).

        A port already taken fails the start: the health check would otherwise be answered by
        whatever holds it, and turns would go to someone else's server.
        """
        name, args, health, seconds = service.name, service.args, service.health, service.seconds
        if service.port and port_taken(service.host, service.port):
            hint = f" (set {service.setting} to use another)" if service.setting else ""
            raise ServiceFailed(f"{name} cannot start: port {service.port} is taken by another program{hint}")
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{name}.log", "ab")
        # a process group of its own: stopping a service stops its workers too (uvicorn --workers)
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append((name, proc))
        self._ports[name] = (service.host, service.port)
        self._pending.append((name, proc, health, seconds))
        if wait:
            self.wait_all()
        return proc

    def start_all(self, *services: Service) -> None:
        """Start services side by side (they load independently) and wait until all answer."""
        for service in services:
            self.start(service, wait=False)
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

    def kill(self, name: str) -> None:
        """Stop one service as a crash would (SIGKILL)."""
        for index, (child, proc) in enumerate(self.children):
            if child == name:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
                del self.children[index]
                break
        # the group's other members (uvicorn's workers) go a moment after the leader
        host, port = self._ports.get(name, ("", None))
        deadline = time.monotonic() + 10
        while port and port_taken(host, port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self, service: Service) -> None:
        """Stop one service as a crash would and start it again."""
        self.kill(service.name)
        self.start(service)

    def first_exited(self) -> str | None:
        return next((name for name, proc in self.children if proc.poll() is not None), None)

    def stop(self) -> None:
        for _, proc in reversed(self.children):
            _signal_group(proc, signal.SIGTERM)  # even when the leader is gone: its workers may not be
        for _, proc in self.children:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
        self.children.clear()

    def __enter__(self) -> "Services":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
