"""The Rasa processes behind the API: every turn of one conversation goes to the same one.

    >>> workers = RasaWorkers.from_urls("http://127.0.0.1:5005,http://127.0.0.1:5006", timeout=10)
    >>> workers.for_sender("web-1").base_url
    URL('http://127.0.0.1:5006')

One Rasa process uses one core (its NLU, policies and, in process, the actions); several use
them all. A conversation's turns must stay in order and its tracker must not be written by two
processes at once: choosing the worker by a stable hash of the sender (the same in every API
process, unlike Python's ``hash``) gives both without a lock store. A worker that is down
fails only its own conversations, which the API answers from the index meanwhile.
"""

from __future__ import annotations

import hashlib

import httpx


def worker_of(sender: str, workers: int) -> int:
    """The index of the worker that takes every turn of ``sender``'s conversation."""
    # blake2b, not crc32: senders that differ in one character (web-1, web-2) spread evenly
    digest = hashlib.blake2b(sender.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % workers


class RasaWorkers:
    def __init__(self, clients: list[httpx.AsyncClient]):
        if not clients:
            raise ValueError("at least one Rasa URL is needed (GUIDE_API_RASA_URL)")
        self.clients = clients

    @classmethod
    def from_urls(cls, urls: str, *, timeout: float) -> "RasaWorkers":
        """``urls``: one Rasa base URL, or several separated by commas."""
        return cls([httpx.AsyncClient(base_url=url.strip(), timeout=timeout) for url in urls.split(",") if url.strip()])

    def for_sender(self, sender: str) -> httpx.AsyncClient:
        return self.clients[worker_of(sender, len(self.clients))]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
