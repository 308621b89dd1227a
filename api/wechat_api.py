"""WeChat's server API, the little of it the assistant uses: the access token and text
customer-service messages (客服消息).

    >>> api = WeChatApi("wx0123456789abcdef", secret, SharedState("var/data/shared.sqlite"))
    >>> api.send_text("oABC123_citizen-1", "您好，南海区办理居住证需要：1. 居民身份证 …")
    >>> api.close()

Two calls (https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html):

- ``POST {base}/cgi-bin/stable_token`` ``{"grant_type": "client_credential", "appid", "secret",
  "force_refresh"}`` → ``{"access_token", "expires_in"}``. The stable token, not ``/cgi-bin/token``:
  asked again while valid it hands back the same token, so API workers (or hosts) that each ask
  never invalidate one another's; and the secret travels in the body, never in a URL.
- ``POST {base}/cgi-bin/message/custom/send?access_token=…`` ``{"touser", "msgtype": "text",
  "text": {"content"}}`` → ``{"errcode": 0}``.

The token is kept in :class:`api.shared_state.SharedState`, one for every API worker: fetched
by whichever worker first finds it missing or within five minutes of expiry (a lease stops the
others fetching too), used by all. When WeChat refuses it (40001 invalid, 42001 expired, 40014)
it is fetched again once and the message sent again once: first normally, which picks up a
token another host has since fetched; forced (``force_refresh``, which invalidates the token
everywhere) only if WeChat hands back the very token it refused.

Errors: :class:`CitizenUnreachable` (an :class:`api.outbox.Unreachable`: 45015 reply time limit,
45047 quota, 43004 unfollowed, 40003 not this account's OpenID; :class:`WindowClosed` when
refused locally, see :mod:`api.wechat_sender`) and :class:`WeChatApiError` (an
:class:`api.outbox.GatewayUnavailable`: the network, WeChat's other errcodes), with
:class:`TokenUnavailable` for a token that cannot be had (wrong AppID or secret, the server's IP
not on the account's whitelist). Neither the secret nor a token is ever logged: the secret is
only in request bodies, and the filter :class:`HideAccessToken` cuts the token out of the URLs
httpx logs.

Why our own client and not wechatpy: wechatpy's last release, 1.8.18, is from November 2021
(2.0 has only had alphas since). It fetches the token with ``GET /cgi-bin/token`` (the secret in
the query string, where proxies and logs keep it; each fetch invalidates the previous token after
five minutes, so workers that each fetch one step on each other) and knows nothing of
``stable_token``; its token storage (memory, Redis, memcached) has no lock, so several workers
all fetch at once, and its automatic retry on 40001 retries without a bound. It is synchronous
on ``requests`` and brings six, xmltodict and optionaldict, while this project already has
httpx and its own safe XML. We need two endpoints and the shared, locked token: some two hundred
lines here that we test against a fake WeChat, against a large unmaintained dependency whose
behaviour we would have to patch where it matters.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import httpx

from .outbox import GatewayUnavailable, Unreachable
from .shared_state import SharedState
from .wechat import shorten

logger = logging.getLogger(__name__)

API_URL = "https://api.weixin.qq.com"
TOKEN_PATH = "/cgi-bin/stable_token"
SEND_PATH = "/cgi-bin/message/custom/send"
# A token is renewed this long before WeChat says it expires (our clock and WeChat's differ a
# little; a send takes a while), but not more often than MIN_GAP while WeChat hands back the same.
REFRESH_BEFORE_SECONDS = 300
MIN_GAP_SECONDS = 30
# WeChat's limit for a text message; a longer one is refused (45002).
MAX_TEXT_BYTES = 2048
TOKEN_REFUSED = {40001, 40014, 42001}

UNREACHABLE = "无法再通过微信联系该市民（超过48小时或消息额度已用完），请改为电话联系。"
UNREACHABLE_BECAUSE = {
    45015: UNREACHABLE,  # reply time limit exceeded: more than 48 hours since the citizen wrote
    45047: UNREACHABLE,  # customer-service message quota exceeded for this citizen
    43004: "该市民已取消关注公众号，无法再通过微信联系，请改为电话联系。",
    40003: "这个微信 OpenID 不是本公众号的用户，无法通过微信发送，请核对或改为电话联系。",
}
UNAVAILABLE = "微信接口暂时不可用，消息未发出，请稍后重试或改为电话联系。"
TOKEN_HINTS = {
    40013: "the AppID (GUIDE_API_WECHAT_APP_ID) is wrong",
    40125: "the AppSecret (GUIDE_API_WECHAT_APP_SECRET) is wrong",
    40164: "this server's IP address is not on the account's IP whitelist (IP白名单)",
    89503: "this server's IP address needs the administrator's confirmation (IP白名单)",
}
_ACCESS_TOKEN = re.compile(r"(access_token=)[^&\s\"']+")


class WeChatApiError(GatewayUnavailable):
    """WeChat could not be asked, or answered with an error that trying later may cure."""

    def __init__(self, message: str = UNAVAILABLE, *, errcode: int | None = None, detail: str = ""):
        super().__init__(message, detail=detail)
        self.errcode = errcode


class TokenUnavailable(WeChatApiError):
    """No access token: wrong AppID or secret, an IP not on the whitelist, WeChat down."""


class CitizenUnreachable(Unreachable):
    """WeChat will not deliver to this citizen any more (45015, 45047, 43004, 40003)."""

    def __init__(self, message: str = UNREACHABLE, *, errcode: int | None = None, detail: str = ""):
        super().__init__(message, detail=detail)
        self.errcode = errcode


class WindowClosed(CitizenUnreachable):
    """Refused here without asking WeChat: the citizen last wrote more than 48 hours ago."""


class HideAccessToken(logging.Filter):
    """Cuts access tokens out of the URLs httpx logs (``HTTP Request: POST …?access_token=…``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_hide(arg) for arg in record.args)
        record.msg = _hide(record.msg)
        return True


def _hide(value: Any) -> Any:
    if isinstance(value, (str, httpx.URL)) and "access_token=" in str(value):
        return _ACCESS_TOKEN.sub(r"\1***", str(value))
    return value


class WeChatApi:
    """The account's AppID and secret; the token kept in ``shared`` for every API worker."""

    def __init__(self, app_id: str, secret: str, shared: SharedState, *, base_url: str = API_URL,
                 timeout: float = 5.0, transport: httpx.BaseTransport | None = None, sleep=time.sleep):
        if not app_id or not secret:
            raise ValueError("WeChat's API needs the AppID and the AppSecret")
        self.app_id = app_id
        self._secret = secret
        self.shared = shared
        self.key = f"wechat:{app_id}"
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        # Long enough for a fetch that uses its whole timeout (connect, write, read); a worker
        # that died holding the lease only delays the others this long.
        self.lease = 3 * timeout + 1
        self.sleep = sleep
        httpx_logger = logging.getLogger("httpx")
        if not any(isinstance(f, HideAccessToken) for f in httpx_logger.filters):
            httpx_logger.addFilter(HideAccessToken())

    @classmethod
    def from_settings(cls, settings, shared: SharedState) -> WeChatApi | None:
        """The client when GUIDE_API_WECHAT_APP_ID and _APP_SECRET are both set, else None."""
        secret = settings.wechat_app_secret.get_secret_value().strip()
        if not (settings.wechat_app_id.strip() and secret):
            return None
        return cls(settings.wechat_app_id.strip(), secret, shared, base_url=settings.wechat_api_url,
                   timeout=settings.wechat_api_timeout)

    def close(self) -> None:
        self.http.close()

    def send_text(self, openid: str, text: str) -> None:
        """Send ``text`` (cut to WeChat's 2048 bytes) to the citizen; CitizenUnreachable or
        WeChatApiError when it does not go out."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": shorten(text, MAX_TEXT_BYTES, "…")}}
        token = self.access_token()
        errcode, errmsg = self._errcode(self._post(SEND_PATH, body, token=token))
        if errcode in TOKEN_REFUSED:
            logger.info("WeChat refused the access token (errcode %s): fetching it again, then sending once more", errcode)
            token = self.access_token(refused=token)
            errcode, errmsg = self._errcode(self._post(SEND_PATH, body, token=token))
        if errcode == 0:
            return
        detail = f"custom/send errcode {errcode}: {errmsg}"
        if errcode in UNREACHABLE_BECAUSE:
            raise CitizenUnreachable(UNREACHABLE_BECAUSE[errcode], errcode=errcode, detail=detail)
        raise WeChatApiError(errcode=errcode, detail=detail)

    def access_token(self, refused: str = "") -> str:
        """The shared token, fetched here if no worker has a usable one; ``refused``: the token
        WeChat just refused."""
        give_up = time.monotonic() + self.lease + 1
        while True:
            token, mine = self.shared.token_or_lease(self.key, refresh_before=REFRESH_BEFORE_SECONDS,
                                                     min_gap=MIN_GAP_SECONDS, lease=self.lease, refused=refused)
            if token:
                return token
            if mine:
                try:
                    token, expires_in = self._fetch_token(force=False)
                    if token == refused:  # WeChat still hands out what it refuses: replace it everywhere
                        token, expires_in = self._fetch_token(force=True)
                except BaseException:
                    self.shared.drop_lease(self.key)
                    raise
                self.shared.put_token(self.key, token, expires_in)
                return token
            if time.monotonic() > give_up:
                raise TokenUnavailable(detail="another worker held the token lease too long")
            self.sleep(0.05)

    def _fetch_token(self, *, force: bool) -> tuple[str, float]:
        body = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret, "force_refresh": force}
        try:
            answer = self._post(TOKEN_PATH, body)
        except WeChatApiError as exc:
            raise TokenUnavailable(detail=exc.detail) from None
        token, expires_in = answer.get("access_token"), answer.get("expires_in")
        if isinstance(token, str) and token and isinstance(expires_in, (int, float)) and expires_in > 0:
            logger.info("WeChat access token fetched%s, valid %d s", " (forced)" if force else "", expires_in)
            return token, float(expires_in)
        errcode, errmsg = self._errcode(answer)
        hint = TOKEN_HINTS.get(errcode, "see WeChat's global return codes (全局返回码)")
        logger.error("WeChat refused an access token (errcode %s: %s): %s", errcode, errmsg, hint)
        raise TokenUnavailable(errcode=errcode, detail=f"stable_token errcode {errcode}: {hint}")

    def _post(self, path: str, body: dict, *, token: str | None = None) -> dict:
        # ensure_ascii=False: WeChat shows \\uXXXX escapes in a message as they are, not as Chinese.
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            response = self.http.post(path, params={"access_token": token} if token else None, content=content,
                                      headers={"Content-Type": "application/json; charset=utf-8"})
        except httpx.HTTPError as exc:
            # `from None`, and only the class: an httpx error may carry the URL, with the token.
            raise WeChatApiError(detail=f"{path}: {exc.__class__.__name__}") from None
        if response.status_code != 200:
            raise WeChatApiError(detail=f"{path}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise WeChatApiError(detail=f"{path}: not a JSON object")
        return answer

    def _errcode(self, answer: dict) -> tuple[int, str]:
        try:
            errcode = int(answer.get("errcode", 0))
        except (TypeError, ValueError):
            errcode = -1
        # WeChat never echoes the secret; should a proxy ever do it, it still stays out of the log.
        return errcode, str(answer.get("errmsg", ""))[:200].replace(self._secret, "***")
