"""Rasa's conversation store, kept on disk and without personal data in clear.

    # bot/endpoints.yml
    tracker_store:
      type: bot.tracker_store.PrivateSQLTrackerStore

The database is ``GUIDE_TRACKER_DB_URL`` (``postgresql://user:pass@host/db`` in production),
else SQLite in ``GUIDE_DATA_DIR/tracker.sqlite``: a restart of Rasa keeps every conversation.

Before an event is written, what the citizen typed is masked (ID numbers and mobiles,
:func:`index.personal.mask`), and the values of the application form's slots are encrypted
(Fernet, key from the deployment's secret, as the drafts are): the form needs them back on the
next turn, the database never shows them, and once the draft is made the slots are cleared.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from api.settings import ApiSettings, derived_fernet
from index.personal import mask

logger = logging.getLogger(__name__)

ENCRYPTED_SLOTS = frozenset({"applicant_name", "applicant_mobile", "applicant_id_number", "applicant_situation"})
_PREFIX = "enc:"


def _wal(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def private_event(data: dict[str, Any], fernet: Fernet) -> dict[str, Any]:
    """An event as stored: user text masked, form slot values encrypted."""
    data = json.loads(json.dumps(data))  # a deep copy: the live tracker keeps the clear values
    if data.get("event") == "user":
        if isinstance(data.get("text"), str):
            data["text"] = mask(data["text"])
        parse = data.get("parse_data") or {}
        if isinstance(parse.get("text"), str):
            parse["text"] = mask(parse["text"])
        for entity in parse.get("entities") or []:
            if isinstance(entity.get("value"), str):
                entity["value"] = mask(entity["value"])
    elif data.get("event") == "bot":
        # The submit action hands the applicant's fields to the API inside the message's custom
        # data; the API keeps them (encrypted) in the draft, the conversation store does not.
        apply = ((data.get("data") or {}).get("custom") or {}).get("apply")
        if isinstance(apply, dict) and isinstance(apply.get("applicant"), dict):
            apply["applicant"] = {k: mask(str(v)) if k != "name" else "*" for k, v in apply["applicant"].items()}
    elif data.get("event") == "slot" and data.get("name") in ENCRYPTED_SLOTS and data.get("value") is not None:
        data["value"] = _PREFIX + fernet.encrypt(json.dumps(data["value"]).encode()).decode()
    return data


def public_event(data: dict[str, Any], fernet: Fernet) -> dict[str, Any]:
    """An event as read back: form slot values decrypted (None if the key changed)."""
    value = data.get("value")
    if data.get("event") == "slot" and isinstance(value, str) and value.startswith(_PREFIX):
        try:
            data["value"] = json.loads(fernet.decrypt(value[len(_PREFIX):].encode()))
        except InvalidToken:
            data["value"] = None
    return data


class PrivateSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host=None, event_broker=None, url: str | None = None, **kwargs):
        # The API's settings are the one place the database URL and the secret are worked out.
        settings = ApiSettings()
        parsed = make_url(url or settings.resolved_tracker_db_url())
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            domain=domain,
            dialect=parsed.drivername.split("+")[0],
            host=parsed.host,
            port=parsed.port,
            db=parsed.database,
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query) or None,
            **kwargs,
        )
        self._fernet = derived_fernet(settings.secret("secret_key"), "tracker")
        if self.engine.url.get_backend_name() == "sqlite":
            self._pool_sqlite()

    def _pool_sqlite(self) -> None:
        """Keep SQLite connections open between turns (api/store.py does the same).

        SQLAlchemy 1.4 opens and closes a file database's connection for every session; closing
        the last connection of a WAL database checkpoints it: a third of a turn's tracker cost.
        """
        import sqlalchemy as sa
        from sqlalchemy.pool import QueuePool

        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=4,
                                       connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(self.engine, "connect", _wal)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = private_event(event.as_dict(), self._fernet)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool):
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions).all()
            events = [public_event(json.loads(row.data), self._fernet) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None
