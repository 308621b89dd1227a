"""Ready means answered: the warm-up asks until the stack answers an item question."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from api.processes import ServiceFailed, warm_up


def serve(replies: list[list[dict]]):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps(replies.pop(0) if len(replies) > 1 else replies[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)  # a free port, never a fixed one
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_warm_up_waits_until_an_item_question_is_answered():
    fallback = [{"text": "助手暂时无法进行对话", "custom": {"response": "search_fallback"}}]
    answer = [{"text": "需要准备的材料", "custom": {"response": "utter_materials"}}]
    server = serve([fallback, fallback, answer])
    try:
        assert warm_up(f"http://127.0.0.1:{server.server_port}", seconds=20) >= 2.0  # two fallbacks, a second apart
    finally:
        server.shutdown()


def test_a_stack_that_never_answers_fails_the_start():
    server = serve([[{"text": "…", "custom": {"response": "search_fallback"}}]])
    try:
        with pytest.raises(ServiceFailed):
            warm_up(f"http://127.0.0.1:{server.server_port}", seconds=2.5)
    finally:
        server.shutdown()
