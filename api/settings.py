"""Settings of the API package.

    >>> from api.settings import ApiSettings
    >>> ApiSettings().port        # PORT, default 8000
    8000

Every field can be set in the environment with the prefix ``GUIDE_API_`` (``GUIDE_API_ADMIN_TOKEN``).
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def derived_fernet(secret: str, purpose: str):
    """A Fernet cipher whose key is derived from the deployment's secret, one key per purpose
    (drafts, Rasa's form fields): a secret never encrypts two kinds of data with the same key."""
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(f"guide-{purpose}-key:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUIDE_API_", extra="ignore")

    # Where the default SQLite database and generated secrets live (the index's directory).
    data_dir: Path = Field(Path("var/data"), validation_alias=AliasChoices("GUIDE_DATA_DIR", "GUIDE_API_DATA_DIR"))
    host: str = "127.0.0.1"
    port: int = Field(8000, validation_alias=AliasChoices("PORT", "GUIDE_API_PORT"))
    # Public base URL used in links sent out of the page (SMS, WeChat, QR codes); empty: the
    # request's own base URL.
    public_url: str = ""
    # Rasa's REST channel, on loopback (started by api.launcher); several workers: their URLs,
    # separated by commas (api/rasa_workers.py). Empty: 127.0.0.1 on rasa_port onwards.
    rasa_url: str = ""
    # Ports of what the launcher starts beside the API; a port taken by another program fails
    # the start (api/processes.py).
    rasa_port: int = Field(5005, validation_alias=AliasChoices("GUIDE_RASA_PORT", "GUIDE_API_RASA_PORT"))
    actions_port: int = Field(5055, validation_alias=AliasChoices("GUIDE_ACTIONS_PORT", "GUIDE_API_ACTIONS_PORT"))
    # API processes (uvicorn --workers); rate limits and WeChat's buttons are shared between them
    # (api/shared_state.py). One is enough for two Rasa workers: the API costs ~5 ms a turn.
    api_workers: int = Field(1, ge=1, le=32, validation_alias=AliasChoices("GUIDE_API_WORKERS"))
    # Rasa processes the launcher starts (rasa_port, rasa_port + 1, …): one uses one core.
    rasa_workers: int = Field(2, ge=1, le=32, validation_alias=AliasChoices("GUIDE_RASA_WORKERS", "GUIDE_API_RASA_WORKERS"))
    # "actions": the custom actions run inside the Rasa process (bot/inprocess.py); empty: the
    # separate action server on actions_port, as in production (deploy/compose.yml).
    actions_module: str = Field("actions", validation_alias=AliasChoices("GUIDE_ACTIONS_MODULE", "GUIDE_API_ACTIONS_MODULE"))
    # Where Rasa calls the action server (bot/endpoints.yml); /readyz asks its /health.
    action_endpoint_url: str = Field("http://127.0.0.1:5055/webhook", validation_alias=AliasChoices("ACTION_ENDPOINT_URL", "GUIDE_API_ACTION_ENDPOINT_URL"))
    rasa_timeout: float = 10.0
    # Conversations, drafts, feedback, the hand-off queue: SQLite under GUIDE_DATA_DIR by
    # default; postgresql://user:pass@host/db in production.
    database_url: str = Field("", repr=False)  # may carry a password
    # Rasa's conversation store (bot/tracker_store.py reads the same variable): forgetting a
    # conversation at the kiosk deletes Rasa's copy too.
    tracker_db_url: str = Field("", repr=False, validation_alias=AliasChoices("GUIDE_TRACKER_DB_URL", "GUIDE_API_TRACKER_DB_URL"))
    # Signs draft links and encrypts drafts' personal fields. Empty: a key generated once and
    # kept in GUIDE_DATA_DIR/secret.key (so links and drafts survive restarts).
    secret_key: str = Field("", repr=False)
    draft_ttl_hours: float = 72.0
    # Secrets below are left out of the settings' repr, so a logged settings object shows none.
    # Bearer tokens for /admin and the agent console. Empty: generated once and kept in
    # GUIDE_DATA_DIR/admin.token and agent.token (printed by the launcher).
    admin_token: str = Field("", repr=False)
    agent_token: str = Field("", repr=False)
    # WeChat Official Account (公众号) server configuration.
    wechat_token: str = Field("", repr=False)
    # Compatible (兼容) or safe (安全) mode: the account's AppID and 43-character EncodingAESKey.
    # With a key set, only encrypted messages are taken (see api/routers/wechat.py).
    wechat_app_id: str = ""
    wechat_encoding_aes_key: str = Field("", repr=False)
    wechat_reply_limit_bytes: int = 2000
    wechat_deadline_seconds: float = 4.0
    # Customer-service messages (客服消息: late answers, agents' replies, checklists) go through
    # WeChat's API when the AppID and the AppSecret (开发者密码) are both set; else they are only
    # recorded. The secret is a SecretStr: it never shows in a repr or a log. The API's address is
    # a setting so that tests can point it at a fake (api/wechat_api.py).
    wechat_app_secret: SecretStr = SecretStr("")
    wechat_api_url: str = "https://api.weixin.qq.com"
    wechat_api_timeout: float = Field(5.0, gt=0, le=30)
    # The kiosk clears a conversation after this many idle seconds (privacy between citizens).
    kiosk_idle_seconds: int = 90
    # Per-sender rate limit: turns per minute, and how many at once (0 turns the limit off).
    rate_limit_per_minute: float = 30
    rate_limit_burst: int = 10
    # The SMS gateway for messages to citizens, as module:Class; empty: record only. WeChat goes
    # through its customer-service API instead when wechat_app_secret is set (api/wechat_sender.py).
    sender: str = ""
    # Read-aloud (api/speech): the espeak-ng program, its speed in syllables a minute (espeak's
    # own 175, a little slower for older listeners in a hall), how long one answer may take, how
    # much of an answer is read (the rest: "see the screen"), and the cache of sounds (empty:
    # cache/speech beside the data directory, var/cache/speech by default).
    espeak_command: str = "espeak-ng"
    speech_rate: int = Field(160, ge=80, le=450)
    speech_timeout: float = Field(20.0, gt=0, le=120)
    speech_spoken_chars: int = Field(240, ge=20, le=4000)
    speech_cache_dir: Path | None = None
    speech_cache_mb: int = Field(200, ge=1)

    def resolved_rasa_url(self) -> str:
        return self.rasa_url or ",".join(f"http://127.0.0.1:{self.rasa_port + n}" for n in range(self.rasa_workers))

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'app.sqlite').resolve()}"

    def resolved_tracker_db_url(self) -> str:
        if self.tracker_db_url:
            return self.tracker_db_url
        return f"sqlite:///{(self.data_dir / 'tracker.sqlite').resolve()}"

    def resolved_speech_cache_dir(self) -> Path:
        return self.speech_cache_dir or self.data_dir.parent / "cache" / "speech"

    def secret(self, name: str) -> str:
        """A configured secret, or one generated once and kept in the data directory."""
        value = getattr(self, name)
        if value:
            return value
        import secrets

        path = self.data_dir / f"{name.removesuffix('_key').removesuffix('_token')}.{'key' if name.endswith('_key') else 'token'}"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        # Written before use and private to the owner: a second process reads the same value.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process was first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as out:
            out.write(value)
        return value
