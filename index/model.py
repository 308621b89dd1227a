"""The item standard (事项标准) record: validation of the interchange format.

    >>> from index.model import validate_record, parse_time_limit
    >>> item = validate_record(record_dict)          # raises pydantic.ValidationError
    >>> item.name, item.code, item.base_code
    ('签注居住证', 'TE44011350000011905442106041001', '442106041001')
    >>> parse_time_limit("20（工作日）")
    TimeLimit(days=20, unit='工作日')

The record itself stays a plain ``dict`` with the Chinese keys of
``shared/item-standards/FORMAT.md``: every layer (search, rendering, dialogue) reads the same
keys, and keys this model does not know (跨域通办, 业务系统 …) travel with the record untouched.
The pydantic model exists to check a record, not to replace it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

ITEM_TYPES = (
    "行政许可",
    "行政确认",
    "行政给付",
    "行政征收",
    "行政裁决",
    "行政奖励",
    "其他行政权力",
    "公共服务",
)
LEVELS = ("省级", "市级", "县级", "镇（乡、街道）级", "村（社区）级")
NECESSITY = ("必要", "非必要", "容缺后补")

Text = Annotated[str, StringConstraints(strict=True, min_length=1)]
OptText = Annotated[str, StringConstraints(strict=True)]


@dataclass(frozen=True)
class TimeLimit:
    """A parsed 办结时限: ``days`` is None for 即办 (handled on the spot)."""

    days: int | None
    unit: Literal["工作日", "自然日", "即办"]

    def __str__(self) -> str:
        return "即办" if self.days is None else f"{self.days}个{self.unit}"


# Exports write 20（工作日）, 20(工作日) or 20个工作日; NFKC folds the full-width brackets first.
_TIME_LIMIT = re.compile(r"^\s*([0-9]+)\s*(?:\(\s*(工作日|自然日)\s*\)|个\s*(工作日|自然日))\s*$")


def parse_time_limit(text: str) -> TimeLimit:
    """Parse ``N（工作日）``, ``N（自然日）``, ``N个工作日``, ``N个自然日`` or ``即办``.

    Raises ValueError for anything else (a fraction, a range, words).
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    if folded == "即办":
        return TimeLimit(None, "即办")
    match = _TIME_LIMIT.match(folded)
    if not match:
        raise ValueError(
            f"无法解析的办结时限 {text!r}：应为 'N（工作日）'、'N（自然日）'、'N个工作日'、'N个自然日' 或 '即办'，N 为整数"
        )
    return TimeLimit(int(match.group(1)), match.group(2) or match.group(3))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class _Part(BaseModel):
    # Parts of a record are open too: real exports add keys (下载, 填报须知, 已关联电子证照 …).
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class Material(_Part):
    order: int = Field(alias="序号")
    name: Text = Field(alias="材料名称")
    originals: int | None = Field(None, alias="原件", ge=0)
    copies: int | None = Field(None, alias="复印件", ge=0)
    form: OptText | None = Field(None, alias="材料形式")
    necessity: Text = Field(alias="必要性")
    situation: OptText | None = Field(None, alias="适用情形")

    @field_validator("necessity")
    @classmethod
    def _known_necessity(cls, value: str) -> str:
        if value not in NECESSITY:
            raise ValueError(f"必要性 应为 {'、'.join(NECESSITY)} 之一，而不是 {value!r}")
        return value


class LegalBasis(_Part):
    law: Text = Field(alias="法律法规名称")
    number: OptText | None = Field(None, alias="依据文号")
    issuer: OptText | None = Field(None, alias="颁布机关")
    effective: OptText | None = Field(None, alias="实施日期")
    articles: list[OptText] | None = Field(None, alias="条款号")
    article_texts: dict[str, OptText] | None = Field(None, alias="条款内容")


class Fee(_Part):
    item: Text = Field(alias="收费项目")
    standard: Text = Field(alias="收费标准")
    basis: OptText | None = Field(None, alias="收费依据")


class Situation(_Part):
    name: Text = Field(alias="名称")
    code: OptText | None = Field(None, alias="编码")
    note: OptText | None = Field(None, alias="说明")


class Result(_Part):
    name: Text = Field(alias="名称")
    kind: OptText | None = Field(None, alias="类型")


class Venue(_Part):
    """Where to apply for 行政复议 or which court hears 行政诉讼."""

    body: Text = Field(alias="部门")
    address: OptText | None = Field(None, alias="地址")
    phone: OptText | None = Field(None, alias="电话")


class Process(_Part):
    online: list[OptText] | None = Field(None, alias="网上")
    offline: list[OptText] | None = Field(None, alias="线下")
    stages: list[dict[str, Any]] | None = Field(None, alias="环节")


class ItemStandard(_Part):
    """One implementation of one item in one region: the unit the index stores.

    FORMAT.md "Unpublished fields": a required key may hold ``None`` (null) when the source does
    not publish it (a portal export has no 设定依据, 收费 or 办理时间); the key must still be
    present, an absent one is an error. The keys that identify and place the record (事项名称,
    基本编码, 实施编码, 事项类型, 行使层级, 行政区划, 实施主体) can never be null: a record without
    them cannot be stored, found or named.
    """

    # identity and classification
    name: Text = Field(alias="事项名称")
    aliases: list[Text] = Field(default_factory=list, alias="日常用语")
    base_code: Text = Field(alias="基本编码")
    code: Text = Field(alias="实施编码")
    version: int | None = Field(None, alias="事项版本", ge=0)
    item_type: Text = Field(alias="事项类型")
    level: Text = Field(alias="行使层级")
    region: Text = Field(alias="行政区划")
    audience: list[Text] | None = Field(alias="服务对象")
    themes: list[Text] = Field(default_factory=list, alias="事项主题分类")
    situations: list[Situation] = Field(default_factory=list, alias="业务办理项")
    # who, where, when
    body: Text = Field(alias="实施主体")
    window: OptText | None = Field(None, alias="办理窗口")
    address: Text | None = Field(alias="办理地点")
    hours: Text | None = Field(alias="办理时间")
    phones: list[Text] | None = Field(alias="咨询电话")
    complaint_phones: list[Text] | None = Field(alias="监督投诉电话")
    reconsideration: Venue | None = Field(None, alias="行政复议")
    litigation: Venue | None = Field(None, alias="行政诉讼")
    # what, conditions, materials
    scope: OptText | None = Field(None, alias="申请内容")
    conditions: Text | None = Field(alias="受理条件")
    materials: list[Material] | None = Field(alias="申请材料")
    legal_basis: list[LegalBasis] | None = Field(alias="设定依据")
    fees: Text | list[Fee] | None = Field(alias="收费")
    results: list[Result] = Field(default_factory=list, alias="办理结果")
    # how and how long
    legal_limit: Text | None = Field(alias="法定办结时限")
    promised_limit: Text | None = Field(alias="承诺办结时限")
    visits: int | None = Field(alias="到办事现场次数", ge=0)
    online_url: OptText | None = Field(None, alias="在线办理地址")
    booking_url: OptText | None = Field(None, alias="在线预约地址")
    # The Shenzhen example carries 办理流程 as a sentence, not an object: both are published.
    process: Process | OptText | None = Field(None, alias="办理流程")

    @field_validator("item_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in ITEM_TYPES:
            raise ValueError(f"事项类型 应为 {'、'.join(ITEM_TYPES)} 之一，而不是 {value!r}")
        return value

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if _fold(value) not in {_fold(level) for level in LEVELS}:
            raise ValueError(f"行使层级 应为 {'、'.join(LEVELS)} 之一，而不是 {value!r}")
        return value

    @field_validator("legal_limit", "promised_limit")
    @classmethod
    def _parsable_limit(cls, value: str | None) -> str | None:
        if value is not None:
            parse_time_limit(value)
        return value


def validate_record(record: Any) -> ItemStandard:
    """Check one record against the interchange format; raise pydantic.ValidationError if bad."""
    return ItemStandard.model_validate(record)
