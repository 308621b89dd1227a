"""Application drafts: what the conversation established, kept for the online application.

    >>> drafts = Drafts(store, secret="…", ttl_hours=72)
    >>> token = drafts.create(record, applicant={"name": "张三", "mobile": "13800138000",
    ...                       "id_number": "11010519491231002X"}, situation="首次申领", sender="web-1")
    >>> drafts.open(token)["applicant"]["name"]
    '张三'

A draft holds the item (实施编码, name, region), the chosen 业务办理项, the applicant's fields and
the material checklist. The link to it is ``/apply/{token}``: the token is the draft's random id
(128 bits) signed with the deployment's secret and stamped with its creation time, so it cannot be
guessed, forged or used after ``ttl_hours``. The applicant's fields are encrypted at rest (Fernet,
AES-128-CBC + HMAC-SHA256, key derived from the same secret): a copy of the database alone does not
reveal them. Expired drafts are deleted (:meth:`Drafts.purge`), so personal data is kept only as
long as the link is valid.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from cryptography.fernet import InvalidToken
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from index.checklist import answers_from, personal_checklist
from index.render import checklist

from .settings import derived_fernet
from .store import Store


class DraftError(Exception):
    """Base class: the draft link cannot be opened."""


class DraftNotFound(DraftError):
    """The token is forged, garbled, or its draft was deleted."""


class DraftExpired(DraftError):
    """The token was genuine but its time is up."""


class Drafts:
    def __init__(self, store: Store, secret: str, ttl_hours: float = 72.0):
        self.store = store
        self.ttl = ttl_hours * 3600
        self._signer = URLSafeTimedSerializer(secret, salt="guide-draft")
        self._fernet = derived_fernet(secret, "draft")

    def create(self, record: dict, applicant: dict[str, str], *, situation: str | None = None,
               answers: dict[str, str] | None = None, sender: str | None = None) -> str:
        """Store a draft (committed before this returns) and return its signed token.

        With the personal checklist's ``answers``, the draft lists only the materials that apply."""
        draft_id = secrets.token_urlsafe(16)
        now = time.time()
        self.store.add_draft(
            id=draft_id,
            sender=sender,
            item_code=record["实施编码"],
            base_code=record.get("基本编码"),
            item_name=record.get("事项名称", ""),
            region=record.get("行政区划"),
            situation=situation,
            applicant=self._fernet.encrypt(json.dumps(applicant, ensure_ascii=False).encode()).decode(),
            checklist=json.dumps(self._materials(record, situation, answers), ensure_ascii=False),
            online_url=record.get("在线办理地址"),
            created_at=now,
            expires_at=now + self.ttl,
        )
        return self._signer.dumps(draft_id)

    @staticmethod
    def _materials(record: dict, situation: str | None, answers: dict[str, str] | None) -> list[dict]:
        answers = answers_from((answers or {}).items())
        if not answers:
            return checklist(record, situation)
        keys = ("name", "copies", "necessity", "situation", "form")
        return [{k: row[k] for k in keys} for row in personal_checklist(record, answers).materials]

    def open(self, token: str) -> dict[str, Any]:
        """The draft behind a token, applicant decrypted; DraftNotFound / DraftExpired otherwise."""
        try:
            draft_id = self._signer.loads(token, max_age=self.ttl)
        except SignatureExpired as exc:
            raise DraftExpired("申请草稿链接已过期") from exc
        except BadSignature as exc:
            raise DraftNotFound("申请草稿链接无效") from exc
        row = self.store.draft(draft_id) if isinstance(draft_id, str) else None
        if row is None:
            raise DraftNotFound("申请草稿不存在或已删除")
        if row["expires_at"] < time.time():
            raise DraftExpired("申请草稿链接已过期")
        try:
            applicant = json.loads(self._fernet.decrypt(row["applicant"].encode()))
        except InvalidToken as exc:  # the secret changed since the draft was written
            raise DraftNotFound("申请草稿无法读取") from exc
        return {**row, "applicant": applicant, "checklist": json.loads(row["checklist"])}

    def purge(self) -> int:
        return self.store.purge_expired_drafts()
