"""Sending a message to a citizen outside the chat: an SMS, a WeChat customer-service message.

    >>> sender = RecordingSender(store)
    >>> sender.send("sms", "13800138000", "居住证办理材料：1. 身份证 …")
    Sent(channel='sms', recipient='138****8000', id=1)

:class:`MessageSender` is the interface; :class:`RecordingSender`, the default, records what
would be sent (recipient masked) in the store's outbox, which the agent console shows. A real
gateway (an SMS provider, WeChat's customer-service API) is a class with the same ``send`` method,
named in ``GUIDE_API_SENDER`` as ``module:Class`` and built with the store.
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


@dataclass(frozen=True)
class Sent:
    channel: str
    recipient: str  # masked
    id: int


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
        shown = mask_mobile(recipient) if channel == "sms" else mask(recipient)
        return Sent(channel, shown, self.store.add_outbox(channel, shown, text))


def load_sender(spec: str, store: Store) -> MessageSender:
    """``module:Class`` built with the store, or the RecordingSender when ``spec`` is empty."""
    if not spec:
        return RecordingSender(store)
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)(store)
