"""kill -9 of the API while drafts are being written loses nothing that was acknowledged.

A real API process (uvicorn) talks to a fake Rasa on loopback whose every reply asks for a draft.
Clients keep applying; every 200 with an /apply link is an acknowledgement. The API is killed with
SIGKILL in the middle, started again on the same data directory, and every acknowledged link must
open with the pre-filled applicant.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from index.backends.embedded import EmbeddedBackend

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeRasa(BaseHTTPRequestHandler):
    code = ""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        n = body["message"]
        reply = [
            {"recipient_id": body["sender"], "text": "已为您生成申请草稿"},
            {"recipient_id": body["sender"], "custom": {"response": "utter_apply_ready", "apply": {
                "item_code": self.code, "situation": None,
                "applicant": {"name": f"申请人{n}", "mobile": "13800138000", "id_number": "11010519491231002X"}}}},
        ]
        data = json.dumps(reply, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def start_api(data_dir: Path, port: int, rasa_port: int) -> subprocess.Popen:
    env = {**os.environ, "GUIDE_DATA_DIR": str(data_dir), "GUIDE_API_RASA_URL": f"http://127.0.0.1:{rasa_port}",
           "GUIDE_API_RATE_LIMIT_PER_MINUTE": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--ws", "none", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode()[-2000:])


def test_kill_9_during_draft_writes_loses_nothing_acknowledged(tmp_path, mini_corpus):
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    FakeRasa.code = mini_corpus[0]["实施编码"]
    rasa = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    port = free_port()
    api = start_api(tmp_path, port, rasa.server_address[1])
    acknowledged: list[tuple[str, str]] = []
    stop = threading.Event()

    def apply_forever(worker: int):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = client.post("/webhooks/rest/webhook", json={"sender": f"w{worker}", "message": f"{worker}-{n}"})
                except httpx.HTTPError:
                    continue  # the server died under us: not acknowledged
                if response.status_code == 200:
                    url = response.json()[0]["custom"]["apply"]["url"]
                    acknowledged.append((url, f"申请人{worker}-{n}"))

    workers = [threading.Thread(target=apply_forever, args=(w,)) for w in range(4)]
    try:
        for worker in workers:
            worker.start()
        time.sleep(3)
        api.send_signal(signal.SIGKILL)
        api.wait()
        stop.set()
        for worker in workers:
            worker.join()
        assert len(acknowledged) > 20, "too few drafts were written to make the test meaningful"
        api = start_api(tmp_path, port, rasa.server_address[1])
        with httpx.Client(timeout=10) as client:
            lost = [(url, name) for url, name in acknowledged if f'value="{name}"' not in client.get(url).text]
        assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged drafts were lost"
        print(f"{len(acknowledged)} acknowledged drafts, all present after kill -9")
    finally:
        stop.set()
        api.kill()
        rasa.shutdown()
