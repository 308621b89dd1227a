"""Durable state of the channels: conversations and their transcripts, the hand-off queue,
application drafts, feedback, unanswered questions, messages sent to citizens, WeChat message ids.

    >>> store = Store("sqlite:///var/data/app.sqlite")
    >>> store.add_message("web-1", "citizen", "办居住证要带什么", channel="web")
    >>> [m["text"] for m in store.transcript("web-1")]
    ['办居住证要带什么']

SQLite by default, PostgreSQL through a ``postgresql://`` URL (the same SQLAlchemy Core code).
Every write commits before the caller acknowledges it; SQLite runs in WAL mode with
``synchronous=FULL`` so that a kill -9 after the commit loses nothing. Text that citizens typed
is stored masked (:func:`index.personal.mask`): ID numbers and mobiles never reach these tables in
clear; a draft's applicant fields are stored encrypted (:mod:`api.drafts`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool

from index.personal import mask

metadata = sa.MetaData()

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("sender", sa.String(128), primary_key=True),
    sa.Column("channel", sa.String(16), nullable=False, default="web"),
    # bot: the assistant answers; waiting: queued for a person; human: a person answers.
    sa.Column("status", sa.String(16), nullable=False, default="bot"),
    sa.Column("agent", sa.String(64)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("queued_at", sa.Float),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender", sa.String(128), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),  # citizen, bot, agent, system
    sa.Column("text", sa.Text, nullable=False, default=""),
    sa.Column("custom", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
)

drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("sender", sa.String(128)),
    sa.Column("item_code", sa.String(64), nullable=False),
    sa.Column("base_code", sa.String(64)),
    sa.Column("item_name", sa.Text, nullable=False),
    sa.Column("region", sa.Text),
    sa.Column("situation", sa.Text),
    sa.Column("applicant", sa.Text, nullable=False),  # encrypted JSON
    sa.Column("checklist", sa.Text, nullable=False),  # JSON list
    sa.Column("online_url", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender", sa.String(128)),
    sa.Column("item_code", sa.String(64)),
    sa.Column("helpful", sa.Boolean),
    sa.Column("rating", sa.Integer),
    sa.Column("comment", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
)

unanswered = sa.Table(
    "unanswered",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender", sa.String(128)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("response", sa.String(64)),
    sa.Column("created_at", sa.Float, nullable=False),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_code", sa.String(64), nullable=False, index=True),
    sa.Column("item_base", sa.String(64)),
    sa.Column("response", sa.String(64)),
    sa.Column("created_at", sa.Float, nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("recipient", sa.String(128), nullable=False),  # masked
    sa.Column("text", sa.Text, nullable=False),  # masked
    sa.Column("created_at", sa.Float, nullable=False),
    # sent, recorded (no gateway), unreachable (call instead), failed: api/outbox.py
    sa.Column("status", sa.String(16), nullable=False, server_default="recorded"),
)

wechat_seen = sa.Table(
    "wechat_seen",
    metadata,
    sa.Column("msg_id", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# When each WeChat citizen last wrote: customer-service messages may follow for 48 hours only.
wechat_contacts = sa.Table(
    "wechat_contacts",
    metadata,
    sa.Column("openid", sa.String(128), primary_key=True),
    sa.Column("wrote_at", sa.Float, nullable=False),
)


def _engine(url: str) -> sa.engine.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Connections stay open (SQLAlchemy 1.4 would open and close one per transaction, and the
        # last close of a WAL database checkpoints it: a third of the API's time on a turn).
        on_disk = url.startswith("sqlite:///") and path not in ("", ":memory:")
        pool = {"poolclass": QueuePool, "pool_size": 4, "max_overflow": 8} if on_disk else {}
        engine = sa.create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        return engine
    return sa.create_engine(url, future=True, pool_pre_ping=True)


class Store:
    def __init__(self, url: str):
        self.url = url
        self.engine = _engine(url)
        metadata.create_all(self.engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        # create_all makes missing tables, not missing columns: a database from before the
        # outbox kept a status gets it here (its rows were only ever recorded).
        with self.engine.begin() as db:
            if "status" not in {column["name"] for column in sa.inspect(db).get_columns("outbox")}:
                db.exec_driver_sql("ALTER TABLE outbox ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'recorded'")

    def close(self) -> None:
        self.engine.dispose()

    # conversations -------------------------------------------------------------------------

    def conversation(self, sender: str) -> dict | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(conversations).where(conversations.c.sender == sender)).mappings().first()
        return dict(row) if row else None

    def _touch(self, db, sender: str, channel: str) -> None:
        now = time.time()
        updated = db.execute(
            conversations.update().where(conversations.c.sender == sender).values(updated_at=now)
        ).rowcount
        if not updated:
            try:
                with db.begin_nested():
                    db.execute(
                        conversations.insert().values(
                            sender=sender, channel=channel, status="bot", created_at=now, updated_at=now
                        )
                    )
            except IntegrityError:  # created by a concurrent turn
                pass

    def add_message(self, sender: str, role: str, text: str, custom: dict | None = None, *, channel: str = "web") -> int:
        """Append to the transcript (masked) and return the message id."""
        with self.engine.begin() as db:
            self._touch(db, sender, channel)
            return self._insert_message(db, sender, role, text, custom)

    @staticmethod
    def _insert_message(db, sender: str, role: str, text: str, custom: dict | None) -> int:
        result = db.execute(
            messages.insert().values(
                sender=sender,
                role=role,
                text=mask(text or ""),
                custom=json.dumps(custom, ensure_ascii=False) if custom else None,
                created_at=time.time(),
            )
        )
        return int(result.inserted_primary_key[0])

    def add_replies(self, sender: str, replies: list[tuple[str, dict | None]],
                    answered: list[tuple[str, str | None, str | None]] = (), *, channel: str = "web") -> None:
        """A turn's replies and the answers they count, in one transaction (one sync, not one each)."""
        with self.engine.begin() as db:
            self._touch(db, sender, channel)
            for text, custom in replies:
                self._insert_message(db, sender, "bot", text, custom)
            for item_code, item_base, response in answered:
                self._insert_answer(db, item_code, item_base, response)

    def transcript(self, sender: str, after: int = 0, roles: tuple[str, ...] | None = None, limit: int = 500) -> list[dict]:
        query = sa.select(messages).where(messages.c.sender == sender, messages.c.id > after)
        if roles:
            query = query.where(messages.c.role.in_(roles))
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(messages.c.id).limit(limit)).mappings().all()
        return [{**row, "custom": json.loads(row["custom"]) if row["custom"] else None} for row in rows]

    def set_status(self, sender: str, status: str, *, agent: str | None = None, channel: str = "web") -> None:
        with self.engine.begin() as db:
            self._touch(db, sender, channel)
            values: dict[str, Any] = {"status": status, "agent": agent}
            if status == "waiting":
                values["queued_at"] = time.time()
            db.execute(conversations.update().where(conversations.c.sender == sender).values(**values))

    def queue(self) -> list[dict]:
        """Conversations waiting for or talking to a person, oldest first; a waiting one carries
        its ``position`` (1 = next), one a person has taken carries None."""
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(conversations)
                .where(conversations.c.status.in_(("waiting", "human")))
                .order_by(conversations.c.queued_at)
            ).mappings().all()
        waiting = 0
        entries = []
        for row in rows:
            waiting += row["status"] == "waiting"
            entries.append({**row, "position": waiting if row["status"] == "waiting" else None})
        return entries

    def queue_position(self, sender: str) -> int | None:
        return next((c["position"] for c in self.queue() if c["sender"] == sender), None)

    def last_message(self, sender: str, role: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(
                sa.select(messages.c.text)
                .where(messages.c.sender == sender, messages.c.role == role)
                .order_by(messages.c.id.desc())
                .limit(1)
            ).scalar()

    def forget(self, sender: str) -> None:
        """Remove a conversation and its transcript (the kiosk's reset between citizens)."""
        with self.engine.begin() as db:
            db.execute(messages.delete().where(messages.c.sender == sender))
            db.execute(conversations.delete().where(conversations.c.sender == sender))

    # drafts --------------------------------------------------------------------------------

    def add_draft(self, **values: Any) -> None:
        with self.engine.begin() as db:
            db.execute(drafts.insert().values(**values))

    def draft(self, draft_id: str) -> dict | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(drafts).where(drafts.c.id == draft_id)).mappings().first()
        return dict(row) if row else None

    def purge_expired_drafts(self, now: float | None = None) -> int:
        with self.engine.begin() as db:
            return db.execute(drafts.delete().where(drafts.c.expires_at < (now or time.time()))).rowcount

    def count_drafts(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(drafts)).scalar_one())

    # feedback and oversight -----------------------------------------------------------------

    def add_feedback(self, sender: str | None, item_code: str | None, helpful: bool | None, rating: int | None, comment: str | None) -> int:
        with self.engine.begin() as db:
            result = db.execute(
                feedback.insert().values(
                    sender=sender, item_code=item_code, helpful=helpful, rating=rating,
                    comment=mask(comment) if comment else None, created_at=time.time(),
                )
            )
            return int(result.inserted_primary_key[0])

    def add_unanswered(self, sender: str, text: str, response: str | None) -> None:
        with self.engine.begin() as db:
            db.execute(unanswered.insert().values(sender=sender, text=mask(text), response=response, created_at=time.time()))

    def add_answer(self, item_code: str, item_base: str | None, response: str | None) -> None:
        with self.engine.begin() as db:
            self._insert_answer(db, item_code, item_base, response)

    @staticmethod
    def _insert_answer(db, item_code: str, item_base: str | None, response: str | None) -> None:
        db.execute(answers.insert().values(item_code=item_code, item_base=item_base, response=response, created_at=time.time()))

    def unanswered_questions(self, limit: int = 100) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(unanswered).order_by(unanswered.c.id.desc()).limit(limit)).mappings().all()
        return [dict(row) for row in rows]

    def top_items(self, limit: int = 20) -> list[dict]:
        count = sa.func.count().label("answers")
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(answers.c.item_code, count).group_by(answers.c.item_code).order_by(count.desc()).limit(limit)
            ).mappings().all()
        return [dict(row) for row in rows]

    def ratings(self) -> dict:
        with self.engine.connect() as db:
            helpful = db.execute(sa.select(sa.func.count()).where(feedback.c.helpful.is_(True))).scalar_one()
            unhelpful = db.execute(sa.select(sa.func.count()).where(feedback.c.helpful.is_(False))).scalar_one()
            rated = db.execute(sa.select(sa.func.count(feedback.c.rating), sa.func.avg(feedback.c.rating))).one()
            by_item = db.execute(
                sa.select(
                    feedback.c.item_code,
                    sa.func.count().label("votes"),
                    sa.func.avg(feedback.c.rating).label("average"),
                ).where(feedback.c.item_code.is_not(None)).group_by(feedback.c.item_code)
            ).mappings().all()
        return {
            "helpful": int(helpful),
            "unhelpful": int(unhelpful),
            "ratings": int(rated[0]),
            "average_rating": round(float(rated[1]), 2) if rated[1] is not None else None,
            "by_item": [dict(row) | {"average": round(float(row["average"]), 2) if row["average"] is not None else None} for row in by_item],
        }

    # outbox and WeChat ---------------------------------------------------------------------

    def add_outbox(self, channel: str, recipient: str, text: str, status: str = "recorded") -> int:
        """Record a message to a citizen (recipient and text already masked) and its status."""
        with self.engine.begin() as db:
            result = db.execute(outbox.insert().values(channel=channel, recipient=recipient, text=text,
                                                       status=status, created_at=time.time()))
            return int(result.inserted_primary_key[0])

    def sent(self, limit: int = 100) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(outbox).order_by(outbox.c.id.desc()).limit(limit)).mappings().all()
        return [dict(row) for row in rows]

    def first_sighting(self, msg_id: str, *, wrote: str | None = None) -> bool:
        """True the first time a WeChat MsgId is seen; False for a replay.

        ``wrote``: the OpenID of a citizen's message, whose time is noted in the same
        transaction (:meth:`last_wrote`, WeChat's 48-hour window).
        """
        now = time.time()
        try:
            with self.engine.begin() as db:
                db.execute(wechat_seen.insert().values(msg_id=msg_id, created_at=now))
                if wrote:
                    self._note_contact(db, wrote, now)
            return True
        except IntegrityError:
            return False

    @staticmethod
    def _note_contact(db, openid: str, now: float) -> None:
        if db.execute(wechat_contacts.update().where(wechat_contacts.c.openid == openid).values(wrote_at=now)).rowcount:
            return
        try:
            with db.begin_nested():
                db.execute(wechat_contacts.insert().values(openid=openid, wrote_at=now))
        except IntegrityError:  # the same citizen's other message, on another worker
            db.execute(wechat_contacts.update().where(wechat_contacts.c.openid == openid).values(wrote_at=now))

    def last_wrote(self, openid: str) -> float | None:
        """When this WeChat citizen last sent a message (seconds since the epoch), if ever."""
        with self.engine.connect() as db:
            return db.execute(sa.select(wechat_contacts.c.wrote_at).where(wechat_contacts.c.openid == openid)).scalar()




def forget_in_tracker_store(url: str, sender: str) -> int:
    """Delete Rasa's events of one conversation (bot.tracker_store's table); 0 if there are none.

    Rasa reads a conversation from its store at every turn, so the next message under this
    sender starts a new conversation with no slot of the old one.
    """
    if url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).exists():
        return 0
    engine = sa.create_engine(url, future=True)
    try:
        with engine.begin() as db:
            if not sa.inspect(db).has_table("events"):
                return 0
            return db.execute(sa.text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender}).rowcount
    finally:
        engine.dispose()
