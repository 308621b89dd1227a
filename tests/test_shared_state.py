"""State every API worker sees alike (api/shared_state.py): a sender flooding two workers is
limited once between them, and a WeChat "1" picks the button another worker offered."""

from __future__ import annotations

import multiprocessing

from api.ratelimit import SharedRateLimiter
from api.shared_state import SharedState
from api.wechat import ChannelMemory


def test_a_sender_is_limited_once_across_workers(tmp_path):
    now = [1000.0]
    path = tmp_path / "shared.sqlite"
    first = SharedRateLimiter(SharedState(path, clock=lambda: now[0]), per_minute=60, burst=4)
    second = SharedRateLimiter(SharedState(path, clock=lambda: now[0]), per_minute=60, burst=4)
    taken = [limiter.allow("flood") for limiter in (first, second, first, second, first, second)]
    assert taken == [True, True, True, True, False, False]  # four between them, not four each
    assert 0.9 < second.retry_after("flood") <= 1.0
    assert first.allow("calm") and second.allow("calm")  # another sender has its own bucket
    now[0] += 1.0
    assert second.allow("flood") and not first.allow("flood")  # refilled once, for both


def _take(path: str, count: int, out) -> None:
    limiter = SharedRateLimiter(SharedState(path), per_minute=0.001, burst=50)
    out.put(sum(limiter.allow("flood") for _ in range(count)))


def test_processes_racing_for_the_last_tokens_never_both_get_one(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    SharedState(path)
    out = multiprocessing.get_context("spawn").Queue()
    workers = [multiprocessing.get_context("spawn").Process(target=_take, args=(path, 40, out)) for _ in range(3)]
    for worker in workers:
        worker.start()
    # read before joining: a process that has put on a queue exits only once it is read
    taken = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(10)
    assert sum(taken) == 50  # exactly the burst, over 120 attempts


def test_a_numbered_reply_picks_the_button_another_worker_offered(tmp_path):
    path = tmp_path / "shared.sqlite"
    offered_here = ChannelMemory(shared=SharedState(path))
    answered_there = ChannelMemory(shared=SharedState(path))
    offered_here.offer("o1", [{"title": "桂城街道", "payload": '/choose_option{"option":"1"}'},
                             {"title": "大沥镇", "payload": '/choose_option{"option":"2"}'}])
    assert answered_there.resolve("o1", "２") == '/choose_option{"option":"2"}'
    assert answered_there.resolve("o1", "3") == "3"  # not offered: the text as typed
    assert answered_there.resolve("o2", "1") == "1"  # another citizen
    offered_here.offer("o1", [])  # an answer without buttons: a number is text again
    assert answered_there.resolve("o1", "1") == "1"
