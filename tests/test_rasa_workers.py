"""Several Rasa workers behind the API: one conversation's turns all go to one worker, in order;
conversations spread over the workers."""

from __future__ import annotations

import asyncio
import collections
import json

import httpx
import pytest

from api.conversation import Conversations
from api.rasa_workers import RasaWorkers, worker_of
from api.settings import ApiSettings
from api.store import Store


class FakeWorker:
    def __init__(self, name: str, delay: float = 0.0):
        self.name, self.delay = name, delay
        self.turns: list[tuple[str, str]] = []

    async def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        await asyncio.sleep(self.delay)
        self.turns.append((body["sender"], body["message"]))
        return httpx.Response(200, json=[{"recipient_id": body["sender"], "text": f"{self.name}: {body['message']}"}])


def workers(*fakes: FakeWorker) -> RasaWorkers:
    return RasaWorkers([httpx.AsyncClient(transport=httpx.MockTransport(f.handler), base_url=f"http://{f.name}") for f in fakes])


def test_a_conversation_stays_on_one_worker_and_conversations_spread():
    pool = RasaWorkers.from_urls("http://127.0.0.1:1, http://127.0.0.1:2,http://127.0.0.1:3", timeout=1)
    assert len(pool.clients) == 3
    assert all(pool.for_sender("web-42") is pool.for_sender("web-42") for _ in range(10))
    spread = collections.Counter(worker_of(f"web-{n}", 3) for n in range(3000))
    assert min(spread.values()) > 900  # each of three workers gets about a third
    assert worker_of("wechat-o1", 2) == worker_of("wechat-o1", 2)


def test_no_workers_is_a_configuration_error():
    with pytest.raises(ValueError, match="GUIDE_API_RASA_URL"):
        RasaWorkers.from_urls(" , ", timeout=1)


def test_the_turns_of_concurrent_conversations_reach_their_own_worker_in_order(tmp_path):
    fast, slow = FakeWorker("fast"), FakeWorker("slow", delay=0.01)
    store = Store(f"sqlite:///{tmp_path / 'app.sqlite'}")
    conversations = Conversations(store, searcher=None, rasa=workers(fast, slow), drafts=None)
    senders = [f"web-{n}" for n in range(8)]

    async def citizen(sender: str) -> list[str]:
        said = []
        for turn in range(5):
            replies = await conversations.converse(sender, f"问题{turn}")
            said.append(replies[0].text)
        return said

    async def everyone():
        return await asyncio.gather(*(citizen(s) for s in senders))

    answers = asyncio.run(everyone())
    for sender, said in zip(senders, answers):
        mine = (fast, slow)[worker_of(sender, 2)]
        assert said == [f"{mine.name}: 问题{t}" for t in range(5)]
        assert [m for s, m in mine.turns if s == sender] == [f"问题{t}" for t in range(5)]
        other = (slow, fast)[worker_of(sender, 2)]
        assert sender not in {s for s, _ in other.turns}
    store.close()


def test_the_launcher_settings_name_every_worker():
    assert ApiSettings().rasa_workers == 2  # both cores of the reference machine
    settings = ApiSettings(GUIDE_RASA_PORT=6100, GUIDE_RASA_WORKERS=3)
    assert settings.resolved_rasa_url() == "http://127.0.0.1:6100,http://127.0.0.1:6101,http://127.0.0.1:6102"
    assert ApiSettings(rasa_url="http://rasa:5005").resolved_rasa_url() == "http://rasa:5005"


def test_a_turns_replies_and_answer_counts_are_written_in_one_transaction(tmp_path):
    from sqlalchemy import event

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[
            {"recipient_id": "web-1", "text": "需要准备的材料：…", "custom": {"response": "utter_materials", "item_code": "4406", "item_key": "442106040001"}},
            {"recipient_id": "web-1", "text": "还想了解什么？"},
        ])

    store = Store(f"sqlite:///{tmp_path / 'app.sqlite'}")
    rasa = RasaWorkers([httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://one")])
    conversations = Conversations(store, searcher=None, rasa=rasa, drafts=None)
    commits = []
    event.listen(store.engine, "commit", lambda connection: commits.append(1))
    asyncio.run(conversations.converse("web-1", "居住证要带什么"))
    assert len(commits) == 2  # the citizen's message, then the replies and the count: not four syncs
    assert [m["role"] for m in store.transcript("web-1")] == ["citizen", "bot", "bot"]
    assert store.top_items()[0]["item_code"] == "4406"
    store.close()
