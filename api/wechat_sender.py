"""Messages to WeChat citizens outside a passive reply: late answers, agents' replies, checklists.

    >>> sender = with_wechat(RecordingSender(store), WeChatApi(app_id, secret, shared), store)
    >>> sender.send("wechat", "oABC123_citizen-1", "您好，我是人工客服……")
    Sent(channel='wechat', recipient='oABC123_citizen-1', id=7, status='sent')
    >>> sender.send("sms", "13800138000", "居住证办理材料：……")          # the SMS side as before
    Sent(channel='sms', recipient='138****8000', id=8, status='recorded')

:class:`WeChatSender` is the :class:`api.outbox.MessageSender` for the channel "wechat": it sends
through WeChat's customer-service API (:mod:`api.wechat_api`) and records every attempt in the
outbox (masked) with its status, sent or not, so that the agent console's list shows it.

WeChat's rule: a customer-service message may follow a citizen's message for 48 hours (and at
most five of them; WeChat counts those and answers 45047). The time each citizen last wrote is
noted as the message arrives (:meth:`api.store.Store.first_sighting`), so a message past the
window is refused here (:class:`api.wechat_api.WindowClosed`) without asking WeChat. Events
(following the account, a menu click) open WeChat's window only for a minute: they are not noted.
"""

from __future__ import annotations

import logging
import time

from index.personal import mask

from .outbox import MessageSender, NotDelivered, RoutedSender, SendError, Sent, check, shown_recipient
from .store import Store
from .wechat_api import UNREACHABLE, WeChatApi, WindowClosed

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 48 * 3600


def opens_window(message: dict[str, str]) -> bool:
    """Whether this delivery starts WeChat's 48 hours: a citizen's message, not an event."""
    return message.get("MsgType", "") != "event"


class WeChatSender:
    """Sends to WeChat citizens (OpenIDs) through the API, within the 48-hour window."""

    def __init__(self, api: WeChatApi, store: Store, *, clock=time.time):
        self.api = api
        self.store = store
        self.clock = clock

    def send(self, channel: str, recipient: str, text: str) -> Sent:
        if channel != "wechat":
            raise SendError(f"微信发送通道不能发送 {channel!r} 消息")
        openid = check(channel, recipient, text)
        shown = shown_recipient(channel, openid)
        try:
            wrote = self.store.last_wrote(openid)
            if wrote is None or self.clock() - wrote > WINDOW_SECONDS:
                ago = "never" if wrote is None else f"{(self.clock() - wrote) / 3600:.0f} h ago"
                raise WindowClosed(UNREACHABLE, detail=f"the citizen last wrote {ago}")
            self.api.send_text(openid, text)
        except NotDelivered as exc:
            self.store.add_outbox(channel, shown, mask(text), status=exc.status)
            logger.warning("WeChat message to %s… not delivered (%s): %s", shown[:8], exc.status, exc.detail)
            raise
        return Sent(channel, shown, self.store.add_outbox(channel, shown, mask(text), status="sent"), status="sent")


def with_wechat(sender: MessageSender, api: WeChatApi | None, store: Store) -> MessageSender:
    """``sender`` (GUIDE_API_SENDER's, or the recording one), with the channel "wechat" going to
    WeChat's API when it is configured (``api`` not None)."""
    if api is None:
        return sender
    return RoutedSender({"wechat": WeChatSender(api, store)}, default=sender)
