"""An answer as it is read aloud: what the eye skips is dropped, numbers are spelled out.

    >>> for_reading("【居住证申领】佛山市南海区\\n咨询电话：0757-86337000\\n完整办事指南：https://x.cn/g/1", "cmn")
    '居住证申领，佛山市南海区。咨询电话：零七五七，八六三三，七零零零。完整办事指南。'

The answer stays on the screen while it is read, so what only makes sense to the eye goes:
links (http(s), www., the site's /api/items/… and /apply/… paths), markdown and list markers,
the source note every answer ends with (实施编码 and 版本: thirty letters and digits nobody
wants to hear), long letter-and-digit codes, symbols and emoji. Line breaks become sentence
breaks; numbers are read by :func:`api.speech.numbers.read_numbers`. A long answer is cut at a
sentence end and the listener told that the rest is on the screen.
"""

from __future__ import annotations

import re
import unicodedata

from .numbers import read_numbers

MORE = "其余内容请看屏幕。"
# Full-width digits and letters (０-９, Ａ-Ｚ, ａ-ｚ) as ASCII; the rest of the full-width block
# is Chinese punctuation and stays.
_FULLWIDTH = {code: code - 0xFEE0 for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}
_SOURCE = re.compile(r"[（(]来源[:：][^）)]*[）)]")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'\u3000-\u9fff\uff00-\uffef]+"
    r"|(?<![\w/.:-])/(?:api/items|apply)/[^\s<>\"'\u3000-\u9fff\uff00-\uffef]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
)
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|__|~~|`+")
_LINE_MARKER = re.compile(
    r"^[ \t]*(?:#{1,6}\s+|>\s?|[-*+•·●○▪◦■□◆◇►▶✓✔]\s*|\d{1,2}[.、)）](?!\d)\s*|[（(]\d{1,2}[)）]\s*|[①-⑳]\s*)",
    re.MULTILINE,
)
# 30 letters and digits (a 实施编码, a tracking number): on the screen, not worth hearing.
_CODE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{10,}(?![A-Za-z0-9])")
_GONE = "\x00"  # where a link was: "完整办事指南：" loses its colon with it
_LABEL_LEFT = re.compile(rf"[:：]?[ \t]*{_GONE}")
_TITLE = re.compile(r"【([^】]*)】(?![的之由：:，。])")
_QUIET = re.compile(r"[《》「」『』“”‘’\"'<>*#]")  # marks the eye needs, the ear does not
_PAUSE = re.compile(r"[·|/\\（）()〔〕［］\[\]{}]+")  # separators and brackets: a short pause
_SENTENCE_END = "。！？；…：，、"
_MARKS = re.compile(r"\s*[，、；：。！？…][\s，、；：。！？…]*")


def _symbols_out(text: str) -> str:
    """Emoji, pictographs and other symbols have nothing to say (¥ and % were read before)."""
    return "".join(c for c in text if c == "\n" or unicodedata.category(c)[0] not in "SC")


def _strongest(match: re.Match) -> str:
    """A run of marks ("，。" where a bracket closed a line) as its strongest one."""
    run = match.group()
    return next((mark for mark in "。？！；：" if mark in run), "…" if "…" in run else run.strip()[0])


def _lines_as_sentences(text: str) -> str:
    sentences = []
    for line in text.split("\n"):
        line = line.strip(" \t，、")
        if line:
            sentences.append(line if line[-1] in _SENTENCE_END else line + "。")
    return "".join(sentences)


def cap(text: str, limit: int) -> str:
    """At most about ``limit`` characters: cut at the last sentence (else clause) end that keeps
    at least half, then :data:`MORE`.

    >>> cap("第一句话说完了。第二句很长很长。", 10)
    '第一句话说完了。其余内容请看屏幕。'
    """
    if len(text) <= limit:
        return text
    head = text[:limit]
    for ends in ("。！？；", "，、："):
        cut = max(head.rfind(mark) for mark in ends)
        if cut >= limit // 2 or (cut > 0 and ends == "，、："):
            return head[:cut] + "。" + MORE
    return head + "……" + MORE


def for_reading(text: str, lang: str = "cmn", limit: int = 240) -> str:
    """``text`` as it should be read aloud in ``lang`` ("cmn" or "yue"); "" when nothing is left."""
    text = text.translate(_FULLWIDTH).replace("\r\n", "\n").replace("\r", "\n")
    text = _SOURCE.sub("", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub(_GONE, text)
    text = _LABEL_LEFT.sub("", text)
    text = _LINE_MARKER.sub("", _EMPHASIS.sub("", text))
    text = _CODE.sub("", text)
    text = _TITLE.sub(r"\1，", text).replace("【", "").replace("】", "")
    text = read_numbers(text, lang)
    text = _PAUSE.sub("，", _QUIET.sub("", _symbols_out(text)))
    text = _lines_as_sentences(text)
    text = re.sub(r"[ \t\u3000]+", " ", text)
    text = _MARKS.sub(_strongest, text).strip(" ，、")
    return cap(text, limit) if limit else text
