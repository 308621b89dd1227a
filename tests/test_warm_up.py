"""Ready means answered: the warm-up waits for /readyz, then asks until the stack answers an
item question; and a port taken by another program fails the start instead of being talked to."""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from api.processes import Service, ServiceFailed, Services, Stack, free_port, port_taken, warm_up


def serve(replies: list[list[dict]], not_ready: int = 0):
    asked = {"readyz": 0, "turns": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked["readyz"] += 1
            ready = asked["readyz"] > not_ready
            body = json.dumps({"status": "ready" if ready else "not ready", "checks": {"rasa": "ok" if ready else "loading"}}).encode()
            self.send_response(200 if ready else 503)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            asked["turns"] += 1
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps(replies.pop(0) if len(replies) > 1 else replies[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)  # a free port, never a fixed one
    server.asked = asked
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_warm_up_waits_until_an_item_question_is_answered():
    fallback = [{"text": "助手暂时无法进行对话", "custom": {"response": "search_fallback"}}]
    answer = [{"text": "需要准备的材料", "custom": {"response": "utter_materials"}}]
    server = serve([fallback, fallback, answer])
    try:
        warm_up(f"http://127.0.0.1:{server.server_port}", seconds=20)
        assert server.asked["turns"] == 3  # two fallbacks, then the answer
    finally:
        server.shutdown()


def test_no_question_is_asked_before_the_stack_says_ready():
    answer = [{"text": "需要准备的材料", "custom": {"response": "utter_materials"}}]
    server = serve([answer], not_ready=3)
    try:
        warm_up(f"http://127.0.0.1:{server.server_port}", seconds=20)
        assert server.asked == {"readyz": 4, "turns": 1}
    finally:
        server.shutdown()


def test_a_taken_port_fails_the_start_and_nothing_talks_to_its_holder():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    holder.settimeout(0.5)
    port = holder.getsockname()[1]
    service = Service("rasa", [sys.executable, "-c", "import time; time.sleep(30)"], f"http://127.0.0.1:{port}/status",
                      5, port, "127.0.0.1", "GUIDE_RASA_PORT")
    try:
        assert port_taken("127.0.0.1", port)
        with Services() as services:
            with pytest.raises(ServiceFailed, match=f"port {port} is taken.*GUIDE_RASA_PORT"):
                services.start(service)
            assert services.children == []  # nothing was started
        with pytest.raises(socket.timeout):
            holder.accept()  # and nobody connected to the program holding the port
    finally:
        holder.close()
    assert not port_taken("127.0.0.1", port)


def test_checks_and_benches_use_free_ports_never_the_defaults():
    stack = Stack.on_free_ports()
    ports = {stack.api_port, stack.rasa_port, stack.actions_port}
    assert len(ports) == 3 and not ports & {5005, 5055, 8000}
    assert stack.env["GUIDE_API_RASA_URL"] == f"http://127.0.0.1:{stack.rasa_port}"
    assert [s.name for s in stack.services()] == ["rasa", "api"]  # the actions run inside Rasa
    assert [s.name for s in Stack(actions_module="").services()] == ["actions", "rasa", "api"]
    assert free_port() not in (0, 5005, 5055)


def test_a_stack_that_never_answers_fails_the_start():
    server = serve([[{"text": "…", "custom": {"response": "search_fallback"}}]])
    try:
        with pytest.raises(ServiceFailed):
            warm_up(f"http://127.0.0.1:{server.server_port}", seconds=2.5)
    finally:
        server.shutdown()


def test_stopping_a_service_stops_its_worker_processes_too():
    import time

    # a leader that starts a worker holding a port, as uvicorn --workers does
    code = ("import socket, subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import socket, time; s = socket.socket(); "
            "s.bind((\"127.0.0.1\", {port})); s.listen(); time.sleep(60)']); time.sleep(60)")
    port = free_port()
    service = Service("api", [sys.executable, "-c", code.format(port=port)], "http://127.0.0.1:1/", 1, None)
    with Services() as services:
        services.start(service, wait=False)
        deadline = time.monotonic() + 10
        while not port_taken("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert port_taken("127.0.0.1", port)
        services.kill("api")  # as a crash: SIGKILL to the whole group
        deadline = time.monotonic() + 5
        while port_taken("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not port_taken("127.0.0.1", port), "the worker outlived its leader and kept the port"
        services._pending.clear()
