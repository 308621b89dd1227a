"""The two voices the assistant speaks with, and what each needs its text to look like.

    >>> VOICES["cmn"].prepare("银行，二十个工作日。")
    'yin2 hang2, er4 shi2 ge4 gong1 zuo4 ri4.'
    >>> VOICES["yue"].espeak, VOICES["yue"].prepare("银行，二十个工作日。")
    ('yue', '银行, 二十个工作日.')

Mandarin is spoken by espeak-ng's ``cmn-latn-pinyin`` voice from pinyin with tone numbers made
by pypinyin, not by its ``cmn`` voice from characters. espeak-ng 1.51 (Debian 12) reads hanzi with
``cmn`` through a dictionary whose pinyin its "latin as English" rule then pronounces as English
(办理 comes out as "ban-four li-three"); ``cmn-latn-pinyin`` reads hanzi one by one, so 银行 is
yin xing and 重新 zhong xin. pypinyin knows words (银行 yin2 hang2, 重新 chong2 xin1, 便宜 pian2
yi5) and the tone changes of 一 and 不 and of two third tones, so its pinyin is read better than
either voice reads the characters. Digits never reach this voice: in pinyin a digit is a tone.

Cantonese is espeak-ng's ``yue`` voice reading the characters itself (its dictionary covers
simplified and traditional); its ``yue-Latn-jyutping`` sibling wants jyutping, for which nothing
is installed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Literal

from pypinyin import Style, lazy_pinyin

Lang = Literal["cmn", "yue"]

# Chinese punctuation as the ASCII marks espeak-ng pauses on.
_ASCII_MARKS = str.maketrans({"，": ",", "、": ",", "；": ";", "：": ":", "。": ".", "！": "!", "？": "?", "…": "..."})
_SPACED = re.compile(r"\s*([,;:.!?]+)\s*")


def _marks(text: str) -> str:
    return _SPACED.sub(r"\1 ", text.translate(_ASCII_MARKS)).strip()


def to_pinyin(text: str) -> str:
    """Characters as space-separated pinyin with tone numbers (5: neutral), other text as it is.

    >>> to_pinyin("不要，一个")
    'bu2 yao4, yi2 ge4'
    """
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, tone_sandhi=True)
    return _marks(" ".join(s.strip() for s in syllables if s.strip()))


@dataclass(frozen=True)
class Voice:
    lang: Lang
    label: str  # how the page names it
    espeak: str  # the espeak-ng voice
    prepare: Callable[[str], str]  # read-ready text → what that voice is given


VOICES: dict[str, Voice] = {
    "cmn": Voice("cmn", "普通话", "cmn-latn-pinyin", to_pinyin),
    "yue": Voice("yue", "粤语", "yue", _marks),
}
