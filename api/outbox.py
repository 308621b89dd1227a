"""Sending a message to a citizen outside the chat: an SMS, a WeChat customer-service message.

    >>> sender = RecordingSender(store)
    >>> sender.send("sms", "13800138000", "居住证办理材料：1. 身份证 …")
    Sent(channel='sms', recipient='138****8000', id=1, status='recorded')

:class:`MessageSender` is the interface; :class:`RecordingSender`, the default, records what
would be sent (recipient and text masked) in the store's outbox, which the agent console shows. A
real gateway (an SMS provider) is a class with the same ``send`` method, named in
``GUIDE_API_SENDER`` as ``module:Class`` and built with the store. WeChat's customer-service API
is :class:`api.wechat_sender.WeChatSender`, which :class:`RoutedSender` puts in front of that
gateway for the channel "wechat" when the account's AppID and secret are configured.

What can go wrong, for every gateway:

- :class:`SendError` (a ValueError): the request itself is wrong (unknown channel, bad mobile,
  empty text); nothing is sent or recorded (the console shows 422).
- :class:`NotDelivered`: the gateway was asked, or refused locally, and the message did not go
  out; it is recorded in the outbox with its ``status``, and ``str()`` is what the agent reads.

  - :class:`Unreachable`: this citizen cannot be reached on this channel any more (WeChat's
    48-hour window, its message quota, an unfollowed account): call instead (409).
  - :class:`GatewayUnavailable`: the gateway cannot be asked now (network, its own errors,
    credentials); trying later may work (502).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from index.personal import mask, mask_mobile, valid_mobile

from .store import Store

CHANNELS = ("sms", "wechat")


class SendError(ValueError):
    """The message cannot be sent: unknown channel, bad recipient, empty text."""


class NotDelivered(Exception):
    """The message did not go out; ``str()`` says so to the agent, ``detail`` to the log."""

    status = "failed"  # what the outbox records

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.detail = detail


class Unreachable(NotDelivered):
    """This citizen cannot be reached on this channel any more: the agent should call."""

    status = "unreachable"


class GatewayUnavailable(NotDelivered):
    """The gateway cannot be asked now (network, its own error, credentials): try again later."""


@dataclass(frozen=True)
class Sent:
    channel: str
    recipient: str  # masked
    id: int
    # sent: the gateway took it; recorded: no gateway, only written down (RecordingSender)
    status: str = "recorded"


class MessageSender(Protocol):
    def send(self, channel: str, recipient: str, text: str) -> Sent: ...


def check(channel: str, recipient: str, text: str) -> str:
    """The recipient, checked for the channel; SendError says what is wrong."""
    if channel not in CHANNELS:
        raise SendError(f"不支持的发送渠道 {channel!r}，可用：{'、'.join(CHANNELS)}")
    recipient = recipient.strip()
    if channel == "sms" and not valid_mobile(recipient):
        raise SendError("手机号码格式不正确（应为 11 位大陆手机号）")
    if channel == "wechat" and not (1 <= len(recipient) <= 128 and recipient.replace("-", "").replace("_", "").isalnum()):
        raise SendError("微信 OpenID 格式不正确")
    if not text.strip():
        raise SendError("发送内容为空")
    return recipient


class RecordingSender:
    """Records what would be sent; the default until a gateway is configured."""

    def __init__(self, store: Store):
        self.store = store

    def send(self, channel: str, recipient: str, text: str) -> Sent:
        recipient = check(channel, recipient, text)
        shown = shown_recipient(channel, recipient)
        return Sent(channel, shown, self.store.add_outbox(channel, shown, mask(text)))


class RoutedSender:
    """Some channels to their own sender, the others to ``default``.

    >>> sender = RoutedSender({"wechat": WeChatSender(api, store)}, default=RecordingSender(store))
    """

    def __init__(self, routes: dict[str, MessageSender], default: MessageSender):
        self.routes = routes
        self.default = default

    def send(self, channel: str, recipient: str, text: str) -> Sent:
        return self.routes.get(channel, self.default).send(channel, recipient, text)


def shown_recipient(channel: str, recipient: str) -> str:
    """The recipient as the outbox and the console show it."""
    return mask_mobile(recipient) if channel == "sms" else mask(recipient)


def load_sender(spec: str, store: Store) -> MessageSender:
    """``module:Class`` built with the store, or the RecordingSender when ``spec`` is empty."""
    if not spec:
        return RecordingSender(store)
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)(store)
