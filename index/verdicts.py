"""Whether a quoted passage says yes or no to a yes/no question, from the words it uses.

    >>> from index.verdicts import Ask, verdict
    >>> ask = Ask.of("结婚证丢了，离婚了还能补领吗")              # form 'can'
    >>> verdict(passage("婚姻状况因离婚已发生改变的，不予补发结婚证"), ["补领"], ask)
    False
    >>> verdict(passage("申请人无需到迁出地办理"), ["回", "迁出地"], Ask.of("是不是一定要先回迁出地"))
    False

A question asks one of three things: whether something **can** be done (能/可以/还能 …),
whether it is **needed** (要不要/必须/还要 …), or whether a fact **is** so (是15块钱吗). Each
clause of the passage that carries a word of the question is read for the modality words of
administrative Chinese: prohibition (不予, 不得, 停止, 仅限 …), exemption (无需, 不用, 免于, 可不 …),
permission (可以, 允许, 或 …) and requirement (须, 应当, 提供 …); a question turned around
(可以不去现场吗, 能不用跑窗口吗) reads exemption as yes and requirement as no. An amount of money
or a number of days in the question is compared with the clause's. The verdict is given only when
every relevant clause agrees; otherwise None, and the caller quotes the record and gives the
咨询电话. The words are the record's own, the verdict only says which way they point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .analysis import normalize
from .hours import hours_verdict
from .passages import W_CUE, Passage, detail_terms, settles

_NEED = re.compile(r"要不要|需不需要|需要|必须|一定要|是不是要|还要|还得|得不得|使唔使|使不使|用不用|要.{0,12}(?:吗|嘛)|须")
_CAN = re.compile(r"能不能|可不可以|可以|可唔可以|能唔能|还能|能否|可否|行不行|得唔得|够不够|允许|能")
_TURNED = re.compile(r"(?:可以|能|可唔可以|能唔能)[^，。？?]{0,10}(?:不用|不去|不需要?|无需|免|不必|不跑)")

_PROHIBIT = re.compile(
    r"不予|不得|不能|不可|禁止|停止|不重复|不再|不属于|不符合|不受理|不支持|不办理|不接受|仅限|仅能|只能|只限"
)
_EXEMPT = re.compile(r"无需|无须|不需|不用|不必|免于|免予|免收|可不")
_PERMIT = re.compile(r"可以|(?<![许认])可(?!能)|允许|均可|不限|支持|能够|或")
_REQUIRE = re.compile(r"必须|(?<![无不])须|应当|(?<![相对供反适响])应(?!急)|(?<![无不])需(?!求)|要求|提供|携带")
# 年满16周岁（不含在校学生）: no for the group it names, unsettled for anyone else.
_EXCLUSION = re.compile(r"(?:不含|不包括)([^，,；;。）)]{1,24})|除(?:了)?([^，,；;。）)]{1,24})[以之]?外")
_SENTENCE = re.compile(r"[；;。！!？?\n]")
_COMMA = re.compile(r"[，,]")
# Names of documents and systems (《不予出具…通知书》) say nothing about the case.
_QUOTED = re.compile(r"《[^》]*》|“[^”]*”|\"[^\"]*\"")

# Amounts the question may state and the record states the same way; ages and months are
# compared with 以上/以内, not matched, so they are left to the office.
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(元|块钱|块|个工作日|工作日|日|天)")
_UNIT = {"元": "money", "块钱": "money", "块": "money", "个工作日": "days", "工作日": "days", "日": "days", "天": "days"}
_DIGITS = dict(zip("零一二两三四五六七八九十", "0122345678910"))


@dataclass(frozen=True)
class Ask:
    """What a yes/no question asks: form 'can', 'need' or 'is'; turned: 可以不…吗."""

    form: str = "can"
    turned: bool = False

    @classmethod
    def of(cls, folded: str) -> Ask:
        turned = bool(_TURNED.search(folded))
        if turned:
            return cls("can", True)
        if _NEED.search(folded):
            return cls("need")
        if _CAN.search(folded):
            return cls("can")
        return cls("is")

    def code(self) -> str:
        """For a slot: '?c', '?n', '?i', with '!' when turned."""
        return "?" + self.form[0] + ("!" if self.turned else "")

    @classmethod
    def from_code(cls, code: str) -> Ask | None:
        forms = {"c": "can", "n": "need", "i": "is"}
        body = code.lstrip("?")
        if not code.startswith("?") or not body or body[0] not in forms or body[1:] not in ("", "!"):
            return None
        return cls(forms[body[0]], body.endswith("!"))


def _amounts(text: str) -> dict[str, set[float]]:
    text = re.sub(r"[零一二两三四五六七八九十]+(?=\s*(?:元|块|个工作日|工作日|日|天))", _chinese_number, text)
    found: dict[str, set[float]] = {}
    for value, unit in _AMOUNT.findall(text):
        found.setdefault(_UNIT[unit], set()).add(float(value))
    return found


def _chinese_number(match: re.Match) -> str:
    text = match.group(0)
    if text == "十":
        return "10"
    if text.startswith("十"):
        text = "一" + text
    if "十" in text:
        tens, _, units = text.partition("十")
        return str(int(_DIGITS.get(tens, "1")) * 10 + (int(_DIGITS[units]) if units else 0))
    return "".join(_DIGITS.get(ch, ch) for ch in text)


def _clause_verdict(clause: str, ask: Ask, asked: dict[str, set[float]]) -> bool | None:
    stated = _amounts(clause)
    shared = [unit for unit in asked if unit in stated]
    if shared:
        return all(asked[u] <= stated[u] for u in shared)
    prohibit, exempt = bool(_PROHIBIT.search(clause)), bool(_EXEMPT.search(clause))
    # 不可 and 不需 contain 可 and 需: the positive markers count only outside the negative ones
    rest = _EXEMPT.sub(" ", _PROHIBIT.sub(" ", clause))
    permit, require = bool(_PERMIT.search(rest)), bool(_REQUIRE.search(rest))
    if ask.turned:
        return True if exempt else False if require or prohibit else None
    if ask.form == "need":
        return False if exempt else True if require else None
    if ask.form == "can":
        return False if prohibit else True if exempt or permit else None
    return None


def _statements(text: str) -> list[tuple[str, str]]:
    """(condition, consequence) pairs: in 离婚的，不予补发 the verdict is in the part after 的.

    After a prohibition, a clause of the same sentence opening with 可 offers something else
    (不予补发结婚证，可申请出具记录证明): it is no yes to the question.
    """
    out = []
    for sentence in _SENTENCE.split(_QUOTED.sub("", text)):
        condition, refused = "", False
        for piece in _COMMA.split(sentence):
            piece = piece.strip()
            if not piece:
                continue
            if piece.endswith(("的", "的）", "的)")):
                condition += piece + "，"
                continue
            if refused and piece.startswith(("可", "但可", "另可", "也可")):
                continue
            out.append((condition, piece))
            refused = refused or bool(_PROHIBIT.search(piece))
            condition = ""
    return out


def verdict(passage: Passage, words: list[str], ask: Ask, question: str = "") -> bool | None:
    """Yes, no, or None (the passage does not say) for a question's detail words."""
    if passage.flag is not None:
        return passage.flag if not ask.turned else None
    if passage.field == "办理时间":
        # 下午5点半还能办吗, 星期六上班吗: the hours are compared, not read for modality words
        return hours_verdict(passage.text, question or " ".join(words))
    if passage.field == "申请材料":
        # A material's own notes (配偶到场的，可不另行提交) are exceptions, not the answer: it is
        # needed when the record says 必要 without a situation; otherwise the situation decides.
        plain = "必要性：必要" in passage.text and "适用情形" not in passage.text
        return True if ask.form == "need" and not ask.turned and plain else None
    terms = [t for t, w in detail_terms(words) if (w >= W_CUE and len(t) >= 2) or t in words]
    asked = _amounts(normalize(question) or " ".join(words))
    verdicts = set()
    for condition, clause in _statements(normalize(passage.text)):
        whole = condition + clause
        if any(term in whole for term in terms) or (asked and _amounts(whole).keys() & asked.keys()):
            excluded = ["".join(groups) for groups in _EXCLUSION.findall(whole)]
            if excluded:
                if not any(term in group for group in excluded for term in terms) or ask.form == "need":
                    return None
                verdicts.add(False)
                continue
            said = _clause_verdict(clause, ask, asked)
            if said is not None:
                verdicts.add(said)
    if not verdicts and not ask.turned and ask.form == "can":
        return settles(passage, words)
    return verdicts.pop() if len(verdicts) == 1 else None
