"""Whole conversations through the running stack: API → Rasa (actions inside) → index, and back.

    python -m bot.check_conversations      # part of `make test`, after training; exit 1 on failure

Starts Rasa and the API on free loopback ports (as `make run` does, on other ports) over the index
in GUIDE_DATA_DIR, then plays scripted conversations and checks, by response name and by what
reached the store, the flows that only the whole stack shows: a second start on ports in use
refused, the application hand-off (consent, form, validation, draft, the apply page), the hand-off
to a person (queue, agent reply, back to the assistant), Rasa killed and restarted, the production
layout with a separate action server (killed and back), and 50 conversations of load.
"""

from __future__ import annotations

import json
import os
import sys
import uuid

import httpx

from api.processes import ServiceFailed, Services, Stack, warm_up
from api.rasa_workers import worker_of
from api.settings import ApiSettings


class Failed(AssertionError):
    pass


class Citizen:
    def __init__(self, client: httpx.Client):
        self.client = client
        self.sender = f"check-{uuid.uuid4().hex}"

    def say(self, text: str) -> list[dict]:
        response = self.client.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": text})
        if response.status_code != 200:
            raise Failed(f"{text!r}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()

    def expect(self, text: str, *responses: str) -> list[dict]:
        replies = self.say(text)
        said = [(r.get("custom") or {}).get("response") for r in replies]
        if [s for s in said if s] != list(responses):
            raise Failed(f"{text!r}: expected {list(responses)}, got {said} — {[r.get('text') for r in replies]}")
        print(f"  ✓ {text} → {', '.join(responses)}")
        return replies


def check_application(client: httpx.Client) -> None:
    print("application hand-off:")
    citizen = Citizen(client)
    citizen.expect("我想申请补办身份证，南海区的", "utter_apply_consent")
    replies = citizen.say("同意")
    said = [(r.get("custom") or {}).get("response") for r in replies]
    if said == ["utter_ask_applicant_situation"]:
        citizen.expect("1", "utter_ask_applicant_name")
    elif said != ["utter_ask_applicant_name"]:
        raise Failed(f"同意: expected the form to ask, got {said}")
    citizen.expect("我叫张三", "utter_ask_applicant_mobile")
    citizen.expect("12345", "utter_invalid_mobile", "utter_ask_applicant_mobile")
    citizen.expect("137 1234 5678", "utter_ask_applicant_id_number")
    citizen.expect("110105194912310021", "utter_invalid_id_number", "utter_ask_applicant_id_number")
    [ready] = citizen.expect("11010519491231002X", "utter_apply_ready")
    url = ready["custom"]["apply"]["url"]
    page = client.get(url)
    if page.status_code != 200 or 'value="张三"' not in page.text or "11010519491231002X" not in page.text:
        raise Failed(f"the apply page {url} does not show the pre-filled form ({page.status_code})")
    print(f"  ✓ {url} shows the pre-filled form")
    # The fields were forgotten with the draft: a second application asks again.
    citizen.expect("我还想申请南海区的居住证", "utter_apply_consent")
    citizen.expect("不用了", "utter_apply_declined")

    print("application stopped half-way:")
    citizen = Citizen(client)
    citizen.expect("帮我申请南海区补办身份证", "utter_apply_consent")
    citizen.say("同意")
    citizen.expect("不办了", "utter_apply_cancelled")
    citizen.expect("南海区补办身份证要带什么", "utter_materials")


def check_handoff(client: httpx.Client, agent_token: str) -> None:
    print("hand-off to a person:")
    citizen = Citizen(client)
    citizen.expect("南海区补办身份证要带什么", "utter_materials")
    [handoff] = citizen.expect("转人工", "utter_human_handoff_item_phone")
    if handoff["custom"].get("handoff") != "waiting":
        raise Failed(f"转人工 did not join the queue: {handoff['custom']}")
    headers = {"Authorization": f"Bearer {agent_token}"}
    queue = client.get("/api/agent/queue", headers=headers).json()
    if citizen.sender not in [q["sender"] for q in queue]:
        raise Failed("the conversation is not in the agent queue")
    reply = client.post(f"/api/agent/conversations/{citizen.sender}/reply", json={"text": "您好，人工客服为您服务"}, headers=headers)
    news = client.get(f"/api/conversations/{citizen.sender}/messages").json()
    if reply.status_code != 200 or [m["text"] for m in news if m["role"] == "agent"] != ["您好，人工客服为您服务"]:
        raise Failed("the agent's reply did not reach the conversation")
    print("  ✓ queued, the agent replied, the citizen's page can fetch it")
    client.post(f"/api/agent/conversations/{citizen.sender}/close", headers=headers)
    citizen.expect("那要多久", "utter_time_limit")


def check_restart(client: httpx.Client, services: Services, stack: Stack) -> None:
    print("Rasa killed (-9) and restarted in the middle of a conversation:")
    citizen = Citizen(client)
    citizen.expect("我想办居住证，要带什么材料？", "utter_ask_region")
    services.restart(stack.rasa(worker_of(citizen.sender, stack.rasa_workers)))  # the citizen's worker
    # The pending question and the offered regions come back from the tracker store.
    citizen.expect("桂城", "utter_materials")
    citizen.expect("那要多久", "utter_time_limit")


def check_kiosk_forgets(client: httpx.Client) -> None:
    print("kiosk reset between citizens:")
    citizen = Citizen(client)
    citizen.expect("我想办居住证，要带什么材料？", "utter_ask_region")
    if client.delete(f"/api/conversations/{citizen.sender}").status_code != 204:
        raise Failed("DELETE /api/conversations/… refused")
    replies = citizen.say("桂城")
    said = [(r.get("custom") or {}).get("response") for r in replies]
    if "utter_materials" in said:
        raise Failed("after the reset, the old conversation's pending question was still answered")
    print(f"  ✓ the next citizen starts afresh ({', '.join(s for s in said if s)})")


def check_tracker_privacy() -> None:
    """After the application flow, the conversation store holds no ID number or mobile in clear."""
    import sqlalchemy as sa

    url = ApiSettings().resolved_tracker_db_url()
    with sa.create_engine(url).connect() as db:
        stored = "\n".join(row[0] for row in db.exec_driver_sql("SELECT data FROM events"))
    for secret in ("11010519491231002X", "13712345678", "110105194912310021"):
        if secret in stored or json.dumps(secret) in stored:
            raise Failed(f"the tracker store keeps {secret[:3]}… in clear")
    print("tracker store: no ID number or mobile in clear")


def check_action_server(client: httpx.Client, services: Services, stack: Stack) -> None:
    """The production layout: Rasa restarted to call a separate action server, which then dies."""
    print("a separate action server (production layout), killed (-9), then back:")
    stack.actions_module = ""
    services.env.update(stack.env)
    services.start(stack.actions())
    for rasa in stack.rasas():
        services.restart(rasa)
    citizen = Citizen(client)
    citizen.expect("南海区补办身份证要带什么", "utter_materials")
    services.kill("actions")
    citizen.expect("南海区补办身份证要带什么", "search_fallback")
    services.start(stack.actions())
    citizen.expect("南海区补办身份证要带什么", "utter_materials")


def check_taken_port(stack: Stack) -> None:
    """A second stack on the same ports must refuse to start, not talk to the first one."""
    print("a second start on the ports in use:")
    with Services(stack.env) as again:
        try:
            again.start_all(*stack.services())
        except ServiceFailed as exc:
            print(f"  ✓ refused: {exc}")
            return
    raise Failed("a second Rasa started on a port in use")


def check_load(services: Services, stack: Stack) -> None:
    """50 conversations for LOAD_SECONDS (default 60) with a flooder, at the default rate limit."""
    import asyncio

    from bot.loadtest import run_load

    for name in ("GUIDE_API_RATE_LIMIT_PER_MINUTE", "GUIDE_API_RATE_LIMIT_BURST"):
        services.env.pop(name, None)
    services.restart(stack.api())
    seconds = float(os.environ.get("LOAD_SECONDS", "60"))
    print(f"load: 50 conversations for {seconds:.0f} s, one sender flooding:")
    result = asyncio.run(run_load(stack.api_url, concurrency=50, seconds=seconds))
    print(result.table(50))
    if result.errors:
        raise Failed(f"{len(result.errors)} citizen turns failed under load, e.g. {result.errors[:3]}")
    if not result.flood_limited:
        raise Failed("the flooding sender was never rate limited")


def main() -> int:
    settings = ApiSettings()
    # Scripted citizens type faster than people: a higher per-sender limit than the default.
    # two Rasa workers with the actions inside, as `make run` starts them on two cores; two API
    # workers, so the flooder of the load check is limited across processes
    stack = Stack.on_free_ports(rasa_workers=2, api_workers=2)
    with Services({**stack.env, "GUIDE_API_RATE_LIMIT_PER_MINUTE": "600", "GUIDE_API_RATE_LIMIT_BURST": "30"}) as services:
        services.start_all(*stack.services())
        warm_up(stack.api_url)
        with httpx.Client(base_url=stack.api_url, timeout=30) as client:
            try:
                check_taken_port(stack)
                check_application(client)
                check_tracker_privacy()
                check_kiosk_forgets(client)
                check_handoff(client, settings.secret("agent_token"))
                check_restart(client, services, stack)
                check_action_server(client, services, stack)
                check_load(services, stack)
            except (Failed, ServiceFailed) as exc:
                print(f"conversation checks: FAILED: {exc}", file=sys.stderr)
                return 1
    print("conversation checks: passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
