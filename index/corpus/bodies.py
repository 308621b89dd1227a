"""Implementing bodies (实施主体): who handles a department's items in a division, where, when.

    >>> from index import divisions as div
    >>> from index.corpus.bodies import body_for
    >>> nanhai = div.by_full_name("广东省佛山市南海区")
    >>> body = body_for(nanhai, "公安户政")
    >>> body.实施主体, body.行使层级, body.实施编码("442106020002")[-13:]
    ('佛山市公安局南海分局', '县级', '4442106020002')
    >>> keys = body.fields("442106020002", "户政窗口")   # every key the assembler fills
    >>> keys["办理窗口"], keys["监督投诉电话"]
    ('佛山市南海区行政服务中心户政窗口', ['0757-12345'])

A body is the record-level half of an item standard: a template (what the item is) plus a body
(who does it, where) is a record. Two tiers:

* ``SAMPLE_REGIONS``: hand-written facts for the sample corpus's regions (佛山市 and its five
  区, eight 佛山 镇街; 广州 天河/越秀/番禺, 沙湾, 石牌; 深圳 福田/南山/龙岗, 龙城). Where a
  published guide was at hand (广州番禺沙湾 签注居住证, 深圳龙岗 个体工商户设立登记, 中山 guides in
  ``shared/item-standards/examples``) its body name, code, address, phones, 复议 and 诉讼 are
  used as published; the other addresses and numbers are plausible (real street names, right
  area codes and number lengths) but were not checked against live pages.
* A rule-based fallback for every other real division (used by the scale generator): names
  follow each city's conventions, addresses are ``<区>…路NN号<区>政务服务中心``-style,
  numbers are derived from the division code — deterministic, never random.

Invariants (tested): one body name ↔ one 实施主体编码, address and phone, whichever department
or item reaches it; codes are valid 18-character unified social credit codes (GB 32100 check
character, GB 11714 organisation code inside) unique across all of Guangdong's bodies.

Conventions that matter for the records:

* 实施编码 = 实施主体编码 + level digit + 基本编码 (+ 2-digit 业务办理项 number for a
  sub-item implementation): the digit is 3 市级, 4 县级, 5 镇（乡、街道）级, 6 村（社区）级, as in
  the published codes (中山 市级 …3440102001001, 龙岗 县级 …4440125044001, 沙湾 镇级 …5442106041001).
* 行政复议 since the 2023 revision of the 行政复议法: the 人民政府 at the body's level (a
  town's bodies and 受委托组织: the 区/县 government), except 税务, still reviewed by the tax
  bureau one level up.
* 行政诉讼: the basic court where the body sits (行政诉讼法 第18条), or the court that takes
  the city's administrative cases where they are concentrated (广州: 广州铁路运输法院;
  深圳: 盐田区人民法院, both as the published guides name them).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import divisions as div
from ..divisions import Division

DEPARTMENTS = (
    "公安户政",
    "公安出入境",
    "公安交警",
    "人社",
    "医保",
    "公积金",
    "市场监管",
    "税务",
    "不动产",
    "民政",
    "民政婚姻",
    "卫健",
    "残联",
    "教育",
    "住建",
    "自然资源",
)

# A department key names a line of business; a *kind* names the body that does it. 户政 and
# 出入境 are both the 公安 (分)局, 民政 and 民政婚姻 both the 民政局.
_KIND_OF_DEPT = {
    "公安户政": "公安",
    "公安出入境": "公安",
    "公安交警": "交警",
    "人社": "人社",
    "医保": "医保",
    "公积金": "公积金",
    "市场监管": "市场监管",
    "税务": "税务",
    "不动产": "不动产",
    "民政": "民政",
    "民政婚姻": "民政",
    "卫健": "卫健",
    "残联": "残联",
    "教育": "教育",
    "住建": "住建",
    "自然资源": "自然资源",
}
# Order matters: the index goes into the body's organisation code (never reorder, only append).
_KINDS = (
    "公安", "交警", "人社", "医保", "公积金", "市场监管", "税务", "不动产", "民政", "卫健",
    "残联", "教育", "住建", "自然资源", "镇政府", "镇中心", "服务站",
)
# At a 镇街, 民政 and 卫健 powers belong to the 镇人民政府 / 街道办事处 by law (社会救助暂行办法,
# 计生 registration); the rest is taken in by the town's service centre on the county's behalf.
_TOWN_GOVERNMENT_DEPTS = {"民政", "卫健"}

LEVEL_NAMES = {"市": "市级", "区": "县级", "镇": "镇（乡、街道）级", "村": "村（社区）级"}
LEVEL_DIGITS = {"省级": "2", "市级": "3", "县级": "4", "镇（乡、街道）级": "5", "村（社区）级": "6"}

# 区号 and local number length (7-digit numbers survive outside the Pearl River core).
AREA_CODES = {
    "440100": "020", "440200": "0751", "440300": "0755", "440400": "0756", "440500": "0754",
    "440600": "0757", "440700": "0750", "440800": "0759", "440900": "0668", "441200": "0758",
    "441300": "0752", "441400": "0753", "441500": "0660", "441600": "0762", "441700": "0662",
    "441800": "0763", "441900": "0769", "442000": "0760", "445100": "0768", "445200": "0663",
    "445300": "0766",
}
_LOCAL_NUMBER = {  # city → (digits, leading digits to choose from)
    "440100": (8, "38"), "440300": (8, "28"), "440600": (8, "28"), "441900": (8, "2"),
    "442000": (8, "8"), "440500": (8, "8"), "440400": (7, "2"), "440200": (7, "8"),
    "440700": (7, "3"), "440800": (7, "3"), "440900": (7, "2"), "441200": (7, "2"),
    "441300": (7, "2"), "441400": (7, "2"), "441500": (7, "3"), "441600": (7, "3"),
    "441700": (7, "3"), "441800": (7, "3"), "445100": (7, "2"), "445200": (7, "8"),
    "445300": (7, "8"),
}
# National service hotlines each line of business publishes next to its local number.
_HOTLINES = {
    "人社": "12333", "医保": "12393", "公积金": "12329", "市场监管": "12315", "税务": "12366",
    "卫健": "12320", "残联": "12385", "住建": "12319", "自然资源": "12336",
}

GZ, SZ, FS, DG, ZS = "440100", "440300", "440600", "441900", "442000"

_HOURS = {
    GZ: "星期一至星期五：上午9:00—12:00，下午13:00—17:00（国家法定节假日除外）",
    SZ: "星期一至星期五：上午9:00—12:00，下午14:00—18:00（法定节假日除外）",
    FS: "星期一至星期五：上午9:00—12:00，下午14:00—17:30（法定节假日除外）",
}
_DEFAULT_HOURS = "星期一至星期五：上午8:30—12:00，下午14:30—17:30（法定节假日除外）"
_SATURDAY_HOURS = "星期一至星期六：上午9:00—12:00，下午14:00—17:30（法定节假日除外）"

_ONLINE = "https://www.gdzwfw.gov.cn/portal/v2/guide/{code}"
_BOOKING = "https://www.gdzwfw.gov.cn/portal/v2/appointment?orgCode={code}"


# --------------------------------------------------------------------------------------------
# Hand-written facts


@dataclass(frozen=True)
class Hall:
    """A place citizens go: counter hall name, full address, main phone, hours (None: city's)."""

    name: str
    address: str
    phone: str
    hours: str | None = None


@dataclass(frozen=True)
class Office:
    """A 复议机关 or a court as a guide names it."""

    name: str
    address: str
    phone: str

    def as_dict(self) -> dict:
        return {"部门": self.name, "地址": self.address, "电话": self.phone}


@dataclass(frozen=True)
class Special:
    """A body that does not follow the naming rules (a real published one, usually)."""

    name: str
    nature: str | None = None
    code: str | None = None
    hall: Hall | None = None
    phones: tuple[str, ...] | None = None
    hours: str | None = None


@dataclass(frozen=True)
class Region:
    """What a division's bodies share: its service hall, government, court, phone prefix.

    ``halls`` gives a kind of body its own place (车管所, 办税服务厅, 婚姻登记处 …);
    ``specials`` replaces a body outright, keyed by kind or, for a single department, by
    department key. ``government``/``court`` None means: the parent division's.
    """

    hall: Hall
    phone_prefix: str
    government: Office | None = None
    court: Office | None = None
    tax_review: Office | None = None
    halls: Mapping[str, Hall] = field(default_factory=dict)
    specials: Mapping[str, Special] = field(default_factory=dict)


_GD_TAX = Office("国家税务总局广东省税务局", "广州市越秀区东风中路445号", "020-12366")
_GZ_COURT = Office("广州铁路运输法院", "广州市番禺区石浦大道北33号", "020-37890824、020-37890829")
_SZ_COURT = Office("深圳市盐田区人民法院", "深圳市盐田区沙头角深盐路2023号", "0755-12368、0755-25228750、0755-25228778")
_FS_TAX = Office("国家税务总局佛山市税务局", "佛山市禅城区季华五路11号", "0757-12366")
_GZ_TAX = Office("国家税务总局广州市税务局", "广州市天河区天河北路233号", "020-12366")
_SZ_TAX = Office("国家税务总局深圳市税务局", "深圳市罗湖区红岭北路2088号", "0755-12366")
_CITY_TAX = {FS: _FS_TAX, GZ: _GZ_TAX, SZ: _SZ_TAX}

SAMPLE_REGIONS: dict[str, Region] = {
    # ---- 佛山 ------------------------------------------------------------------------------
    "广东省佛山市": Region(
        hall=Hall("佛山市行政服务中心", "佛山市禅城区季华五路18号佛山市行政服务中心", "0757-83338000"),
        phone_prefix="0757-8333",
        government=Office("佛山市人民政府", "佛山市禅城区季华五路22号", "0757-83030213"),
        court=Office("佛山市禅城区人民法院", "佛山市禅城区汾江中路168号", "0757-12368、0757-83993812"),
        tax_review=_GD_TAX,
        halls={
            "公安": Hall("佛山市公安局出入境接待大厅", "佛山市禅城区汾江南路36号佛山市公安局出入境接待大厅", "0757-83326110"),
            "交警": Hall("佛山市车辆管理所业务大厅", "佛山市禅城区季华西路128号佛山市车辆管理所业务大厅", "0757-83101122", _SATURDAY_HOURS),
            "公积金": Hall("佛山市住房公积金管理中心业务大厅", "佛山市禅城区汾江中路121号佛山市住房公积金管理中心一楼业务大厅", "0757-83280668"),
            "税务": Hall("国家税务总局佛山市税务局办税服务厅", "佛山市禅城区季华五路11号办税服务厅", "0757-83388666"),
            "不动产": Hall("佛山市不动产登记中心登记大厅", "佛山市禅城区岭南大道北121号佛山市不动产登记中心", "0757-83031650"),
        },
    ),
    "广东省佛山市禅城区": Region(
        hall=Hall("佛山市禅城区行政服务中心", "佛山市禅城区季华五路37号禅城区行政服务中心", "0757-82720345"),
        phone_prefix="0757-8272",
        government=Office("佛山市禅城区人民政府", "佛山市禅城区同济西路12号", "0757-82720128"),
        court=Office("佛山市禅城区人民法院", "佛山市禅城区汾江中路168号", "0757-12368、0757-83993812"),
        tax_review=_FS_TAX,
        halls={
            "交警": Hall("佛山市公安局交通警察支队禅城大队车管业务大厅", "佛山市禅城区张槎一路118号禅城车管业务大厅", "0757-82263122", _SATURDAY_HOURS),
            "税务": Hall("国家税务总局佛山市禅城区税务局办税服务厅", "佛山市禅城区季华五路37号禅城区行政服务中心二楼办税服务厅", "0757-82722366"),
            "不动产": Hall("佛山市禅城区不动产登记中心登记大厅", "佛山市禅城区季华五路37号禅城区行政服务中心三楼", "0757-82720610"),
            "民政": Hall("佛山市禅城区婚姻登记处", "佛山市禅城区祖庙路33号禅城区婚姻登记处", "0757-82280373"),
            "公积金": Hall("佛山市住房公积金管理中心禅城管理部", "佛山市禅城区季华五路37号禅城区行政服务中心一楼公积金窗口", "0757-82722329"),
        },
    ),
    "广东省佛山市南海区": Region(
        hall=Hall("佛山市南海区行政服务中心", "佛山市南海区桂城街道桂澜北路28号南海区行政服务中心", "0757-86283200"),
        phone_prefix="0757-8628",
        government=Office("佛山市南海区人民政府", "佛山市南海区桂城街道海五路28号", "0757-86232165"),
        court=Office("佛山市南海区人民法院", "佛山市南海区桂城街道南海大道中38号", "0757-12368、0757-86339615"),
        tax_review=_FS_TAX,
        halls={
            "交警": Hall("佛山市公安局交通警察支队南海大队车管业务大厅", "佛山市南海区桂城街道南海大道北97号南海车管业务大厅", "0757-86287122", _SATURDAY_HOURS),
            "税务": Hall("国家税务总局佛山市南海区税务局办税服务厅", "佛山市南海区桂城街道南桂东路18号办税服务厅", "0757-86376366"),
            "不动产": Hall("佛山市南海区不动产登记中心登记大厅", "佛山市南海区桂城街道南海大道北86号南海区不动产登记中心", "0757-86397623"),
            "民政": Hall("佛山市南海区婚姻登记处", "佛山市南海区桂城街道南新二路8号南海区婚姻登记处", "0757-86289212"),
            "公积金": Hall("佛山市住房公积金管理中心南海管理部", "佛山市南海区桂城街道桂澜北路28号南海区行政服务中心二楼公积金窗口", "0757-86285329"),
        },
    ),
    "广东省佛山市顺德区": Region(
        hall=Hall("佛山市顺德区行政服务中心", "佛山市顺德区大良街道德民路2号顺德区行政服务中心", "0757-22833000"),
        phone_prefix="0757-2283",
        government=Office("佛山市顺德区人民政府", "佛山市顺德区大良街道德和社区德民路区行政中心", "0757-22831231"),
        court=Office("佛山市顺德区人民法院", "佛山市顺德区大良街道德和路9号", "0757-12368、0757-22380228"),
        tax_review=_FS_TAX,
        halls={
            "交警": Hall("佛山市公安局交通警察支队顺德大队车管业务大厅", "佛山市顺德区大良街道105国道大良段顺德车管业务大厅", "0757-22615122", _SATURDAY_HOURS),
            "税务": Hall("国家税务总局佛山市顺德区税务局办税服务厅", "佛山市顺德区大良街道南国东路顺德区行政服务中心南座办税服务厅", "0757-22323366"),
            "不动产": Hall("佛山市顺德区不动产登记中心登记大厅", "佛山市顺德区大良街道德民路2号顺德区行政服务中心四楼", "0757-22833636"),
            "民政": Hall("佛山市顺德区婚姻登记处", "佛山市顺德区大良街道凤山中路30号顺德区婚姻登记处", "0757-22213630"),
            "公积金": Hall("佛山市住房公积金管理中心顺德管理部", "佛山市顺德区大良街道德民路2号顺德区行政服务中心二楼公积金窗口", "0757-22836329"),
        },
    ),
    "广东省佛山市高明区": Region(
        hall=Hall("佛山市高明区行政服务中心", "佛山市高明区荷城街道康乐路368号高明区行政服务中心", "0757-88866000"),
        phone_prefix="0757-8886",
        government=Office("佛山市高明区人民政府", "佛山市高明区荷城街道文华路西1号", "0757-88283156"),
        court=Office("佛山市高明区人民法院", "佛山市高明区荷城街道高明大道东668号", "0757-12368、0757-88822309"),
        tax_review=_FS_TAX,
        halls={
            "交警": Hall("佛山市公安局交通警察支队高明大队车管业务大厅", "佛山市高明区荷城街道高明大道西128号高明车管业务大厅", "0757-88283122", _SATURDAY_HOURS),
            "民政": Hall("佛山市高明区婚姻登记处", "佛山市高明区荷城街道文昌路183号高明区婚姻登记处", "0757-88282520"),
        },
    ),
    "广东省佛山市三水区": Region(
        hall=Hall("佛山市三水区行政服务中心", "佛山市三水区西南街道张边路23号三水区行政服务中心", "0757-87768000"),
        phone_prefix="0757-8776",
        government=Office("佛山市三水区人民政府", "佛山市三水区西南街道广海大道中12号", "0757-87721381"),
        court=Office("佛山市三水区人民法院", "佛山市三水区西南街道健力宝南路19号", "0757-12368、0757-87738269"),
        tax_review=_FS_TAX,
        halls={
            "交警": Hall("佛山市公安局交通警察支队三水大队车管业务大厅", "佛山市三水区西南街道西青大道18号三水车管业务大厅", "0757-87763122", _SATURDAY_HOURS),
            "民政": Hall("佛山市三水区婚姻登记处", "佛山市三水区西南街道广海大道西39号三水区婚姻登记处", "0757-87768190"),
        },
    ),
    "广东省佛山市南海区桂城街道": Region(
        hall=Hall("佛山市南海区桂城街道党群服务中心", "佛山市南海区桂城街道南五路23号桂城街道党群服务中心一楼", "0757-86398700"),
        phone_prefix="0757-8639",
    ),
    "广东省佛山市南海区狮山镇": Region(
        hall=Hall("佛山市南海区狮山镇党群服务中心", "佛山市南海区狮山镇博爱中路48号狮山镇党群服务中心", "0757-85565000"),
        phone_prefix="0757-8556",
    ),
    "广东省佛山市南海区大沥镇": Region(
        hall=Hall("佛山市南海区大沥镇党群服务中心", "佛山市南海区大沥镇沥苑路2号大沥镇党群服务中心", "0757-85519000"),
        phone_prefix="0757-8551",
    ),
    "广东省佛山市顺德区大良街道": Region(
        hall=Hall("佛山市顺德区大良街道党群服务中心", "佛山市顺德区大良街道府又路7号大良街道党群服务中心", "0757-22218000"),
        phone_prefix="0757-2221",
    ),
    "广东省佛山市顺德区容桂街道": Region(
        hall=Hall("佛山市顺德区容桂街道党群服务中心", "佛山市顺德区容桂街道容奇大道中1号容桂街道党群服务中心", "0757-28383000"),
        phone_prefix="0757-2838",
    ),
    "广东省佛山市顺德区乐从镇": Region(
        hall=Hall("佛山市顺德区乐从镇党群服务中心", "佛山市顺德区乐从镇河滨南路9号乐从镇党群服务中心", "0757-28806000"),
        phone_prefix="0757-2880",
    ),
    "广东省佛山市禅城区祖庙街道": Region(
        hall=Hall("佛山市禅城区祖庙街道党群服务中心", "佛山市禅城区祖庙街道建新路85号祖庙街道党群服务中心", "0757-82219000"),
        phone_prefix="0757-8221",
    ),
    "广东省佛山市禅城区张槎街道": Region(
        hall=Hall("佛山市禅城区张槎街道党群服务中心", "佛山市禅城区张槎街道张槎一路133号张槎街道党群服务中心", "0757-82267000"),
        phone_prefix="0757-8226",
    ),
    # ---- 广州 ------------------------------------------------------------------------------
    "广东省广州市": Region(
        hall=Hall("广州市政务服务中心", "广州市天河区天润路333号广州市政务服务中心", "020-83555000"),
        phone_prefix="020-8355",
        government=Office("广州市人民政府", "广州市越秀区府前路1号", "020-83555988"),
        court=_GZ_COURT,
        tax_review=_GD_TAX,
        halls={
            "公安": Hall("广州市公安局出入境管理支队办证大厅", "广州市越秀区解放南路155号广州市公安局出入境办证大厅", "020-83115808"),
            "公积金": Hall("广州住房公积金管理中心业务大厅", "广州市越秀区东风中路437号越秀城市广场南塔广州住房公积金管理中心", "020-12329"),
        },
    ),
    "广东省广州市天河区": Region(
        hall=Hall("广州市天河区政务服务中心", "广州市天河区华观路1933号天河区政务服务中心", "020-38623000"),
        phone_prefix="020-3862",
        government=Office("广州市天河区人民政府", "广州市天河区天府路1号", "020-38622888"),
        court=_GZ_COURT,
        tax_review=_GZ_TAX,
        halls={
            "交警": Hall("广州市公安局交通警察支队天河大队车管业务大厅", "广州市天河区中山大道西638号天河车管业务大厅", "020-85505122", _SATURDAY_HOURS),
            "民政": Hall("广州市天河区婚姻登记处", "广州市天河区龙口西路223号天河区婚姻登记处", "020-38790216"),
        },
    ),
    "广东省广州市越秀区": Region(
        hall=Hall("广州市越秀区政务服务中心", "广州市越秀区东风中路305号越秀区政务服务中心", "020-83108000"),
        phone_prefix="020-8310",
        government=Office("广州市越秀区人民政府", "广州市越秀区明月一路9号", "020-83104066"),
        court=_GZ_COURT,
        tax_review=_GZ_TAX,
        halls={
            "交警": Hall("广州市公安局交通警察支队越秀大队车管业务大厅", "广州市越秀区环市中路316号越秀车管业务大厅", "020-83573122", _SATURDAY_HOURS),
            "民政": Hall("广州市越秀区婚姻登记处", "广州市越秀区德政北路538号越秀区婚姻登记处", "020-83835306"),
        },
    ),
    "广东省广州市番禺区": Region(
        hall=Hall("广州市番禺区政务服务中心", "广州市番禺区市桥街兴泰路2号番禺区政务服务中心", "020-84600000"),
        phone_prefix="020-8460",
        # 复议机关 as the published 沙湾 guide names it.
        government=Office("广州市番禺区人民政府", "广州市番禺区市桥街捷进中路9号3座", "020-84636756"),
        court=_GZ_COURT,
        tax_review=_GZ_TAX,
        halls={
            "交警": Hall("广州市公安局交通警察支队番禺大队车管业务大厅", "广州市番禺区市桥街富华西路33号番禺车管业务大厅", "020-84820122", _SATURDAY_HOURS),
            "民政": Hall("广州市番禺区婚姻登记处", "广州市番禺区市桥街繁华路29号番禺区婚姻登记处", "020-84831532"),
        },
    ),
    "广东省广州市番禺区沙湾街道": Region(
        # Hall, address, hours and phone as published (签注居住证, 广东政务服务网).
        hall=Hall(
            "广州市番禺区沙湾街道便民服务中心",
            "广州市番禺区沙湾街大巷涌路143号沙湾街便民服务中心1楼2号服务大厅政务晓屋窗口",
            "020-84735511",
            "星期一至星期五：上午9：00—12：00，下午13：00—17：00（国家法定节假日除外）",
        ),
        phone_prefix="020-8473",
        specials={
            # 居住证 and 户籍 business at 沙湾 is taken by the 流动人员和出租屋服务管理办事站.
            "公安户政": Special("沙湾街办事站", nature="授权组织", code="TE4401135000001190"),
        },
    ),
    "广东省广州市天河区石牌街道": Region(
        hall=Hall("广州市天河区石牌街道政务服务中心", "广州市天河区石牌街石牌东路101号石牌街道政务服务中心", "020-85511000"),
        phone_prefix="020-8551",
    ),
    # ---- 深圳 ------------------------------------------------------------------------------
    "广东省深圳市": Region(
        hall=Hall("深圳市行政服务大厅", "深圳市福田区福中三路市民中心B区深圳市行政服务大厅", "0755-88127000"),
        phone_prefix="0755-8812",
        # 复议 number as the published 龙岗 guide gives it for the 市 level.
        government=Office("深圳市人民政府", "深圳市福田区福中三路市民中心C区", "0755-83058991"),
        court=_SZ_COURT,
        tax_review=_GD_TAX,
        halls={
            "公安": Hall("深圳市公安局出入境管理局办证大厅", "深圳市福田区福田路123号深圳市公安局出入境办证大厅", "0755-84465490"),
            "公积金": Hall("深圳市住房公积金管理中心服务大厅", "深圳市福田区福中三路市民中心B区深圳市行政服务大厅公积金窗口", "0755-12329"),
        },
    ),
    "广东省深圳市福田区": Region(
        hall=Hall("深圳市福田区行政服务大厅", "深圳市福田区福民路123号福田区行政服务大厅", "0755-82918000"),
        phone_prefix="0755-8291",
        government=Office("深圳市福田区人民政府", "深圳市福田区福民路123号", "0755-82918213"),
        court=_SZ_COURT,
        tax_review=_SZ_TAX,
        halls={
            "交警": Hall("深圳市公安局交通警察局福田大队车管业务大厅", "深圳市福田区北环大道7001号福田车管业务大厅", "0755-83333122", _SATURDAY_HOURS),
            "民政": Hall("深圳市福田区婚姻登记处", "深圳市福田区福中路福田区婚姻登记处", "0755-82977150"),
        },
    ),
    "广东省深圳市南山区": Region(
        hall=Hall("深圳市南山区政务服务中心", "深圳市南山区南头街道南山大道2098号南山区政务服务中心", "0755-26650000"),
        phone_prefix="0755-2665",
        government=Office("深圳市南山区人民政府", "深圳市南山区桃园路1号", "0755-26666320"),
        court=_SZ_COURT,
        tax_review=_SZ_TAX,
        halls={
            "交警": Hall("深圳市公安局交通警察局南山大队车管业务大厅", "深圳市南山区南海大道3001号南山车管业务大厅", "0755-26655122", _SATURDAY_HOURS),
            "民政": Hall("深圳市南山区婚姻登记处", "深圳市南山区南新路2022号南山区婚姻登记处", "0755-26069810"),
        },
    ),
    "广东省深圳市龙岗区": Region(
        # Hall address, hours and 复议 number as the published 龙岗 guide gives them.
        hall=Hall(
            "深圳市龙岗区政务服务中心",
            "深圳市龙岗区龙城街道龙翔大道8033-1号龙岗区政务服务中心一楼",
            "0755-28949000",
            "星期一至星期五（周末及法定节假日除外）上午9：00-12:00，下午14:00-17:45",
        ),
        phone_prefix="0755-2894",
        government=Office("深圳市龙岗区人民政府", "深圳市龙岗区龙城街道龙福路1号", "0755-28684113"),
        court=_SZ_COURT,
        tax_review=_SZ_TAX,
        halls={
            "交警": Hall("深圳市公安局交通警察局龙岗大队车管业务大厅", "深圳市龙岗区龙城街道龙翔大道7188号龙岗车管业务大厅", "0755-28953122", _SATURDAY_HOURS),
            "民政": Hall("深圳市龙岗区婚姻登记处", "深圳市龙岗区龙城街道龙城大道68号龙岗区婚姻登记处", "0755-28948321"),
        },
        specials={
            "市场监管": Special(
                "深圳市市场监督管理局龙岗监管局",
                code="11440300MB2D097052",
                phones=("0755-28908420", "0755-12315"),
            ),
        },
    ),
    "广东省深圳市龙岗区龙城街道": Region(
        hall=Hall("深圳市龙岗区龙城街道党群服务中心", "深圳市龙岗区龙城街道龙城大道99号龙城街道党群服务中心", "0755-28937000"),
        phone_prefix="0755-2893",
    ),
}

# Real bodies outside the sample regions whose published codes we know (中山 guides in
# shared/item-standards/examples): the fallback names them the same way.
_KNOWN_CODES = {
    "中山市医疗保障局": "11442000MB2C91058B",
    "中山市教育和体育局": "114420003247769130",
}


# --------------------------------------------------------------------------------------------
# Codes


def stable_hash(*parts: object) -> int:
    """A 64-bit hash that is the same in every process (Python's own is salted per process)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check(body17: str) -> str:
    """GB 32100 check character of the first 17 characters of a unified social credit code."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for an 18-character code whose check characters (GB 32100, GB 11714) hold."""
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    return uscc_check(code[:17]) == code[17] and org_code_check(code[8:16]) == code[16]


_SCRAMBLE = 7_919_081  # coprime to 31: n → (n·a + b) mod 31⁵ is a bijection, so codes stay unique
MAX_STATIONS = 63


def _body_code(prefix: str, area6: str, town_seq: int, kind: str, station: int) -> str:
    """A unified social credit code that is a function of (area, town, kind, station), injective.

    ``MB2`` + 5 characters is the shape of the organisation codes 编办 has issued since 2015
    (深圳 龙岗 …MB2D09705…); the 5 characters are a bijective scramble of the body's identity
    within its 6-digit area, so no two bodies of Guangdong share a code.
    """
    n = (town_seq * len(_KINDS) + _KINDS.index(kind)) * (MAX_STATIONS + 1) + station
    m = (n * _SCRAMBLE + stable_hash("area", area6) % 31**5) % 31**5
    chars = []
    for _ in range(5):
        m, r = divmod(m, 31)
        chars.append(_USCC_CHARS[r])
    org8 = "MB2" + "".join(chars)
    body17 = prefix + area6 + org8 + org_code_check(org8)
    return body17 + uscc_check(body17)


# --------------------------------------------------------------------------------------------
# The body


@dataclass(frozen=True)
class Body:
    """One implementing body of one department in one division, with everything a record needs."""

    division: Division
    dept: str
    实施主体: str
    实施主体性质: str
    实施主体编码: str
    行使层级: str
    服务大厅: str
    办理地点: str
    办理时间: str
    咨询电话: tuple[str, ...]
    监督投诉电话: tuple[str, ...]
    复议: Office
    诉讼: Office
    委托部门: str | None = None

    @property
    def 行政区划(self) -> str:
        return self.division.full_name

    def 实施编码(self, 基本编码: str, sub_item: int | None = None) -> str:
        """实施主体编码 + level digit + 基本编码 (+ 2-digit 业务办理项 number)."""
        code = self.实施主体编码 + LEVEL_DIGITS[self.行使层级] + 基本编码
        return code if sub_item is None else f"{code}{sub_item:02d}"

    def fields(self, 基本编码: str, 窗口: str = "", sub_item: int | None = None) -> dict:
        """The record keys the assembler fills (all but 事项版本), as fresh objects.

        ``窗口`` is the template's counter suffix (户政窗口): the counter is the hall's name
        followed by it. ``sub_item`` makes it the implementation of one 业务办理项.
        """
        code = self.实施编码(基本编码, sub_item)
        out = {
            "实施编码": code,
            "实施主体": self.实施主体,
            "实施主体性质": self.实施主体性质,
            "实施主体编码": self.实施主体编码,
            "行使层级": self.行使层级,
            "行政区划": self.行政区划,
            "办理窗口": self.服务大厅 + 窗口,
            "办理地点": self.办理地点,
            "办理时间": self.办理时间,
            "咨询电话": list(self.咨询电话),
            "监督投诉电话": list(self.监督投诉电话),
            "行政复议": self.复议.as_dict(),
            "行政诉讼": self.诉讼.as_dict(),
            "在线办理地址": _ONLINE.format(code=code),
            "在线预约地址": _BOOKING.format(code=self.实施主体编码),
        }
        if self.委托部门:
            out["委托部门"] = self.委托部门
        return out


def _city_of(d: Division) -> Division:
    while d.level not in ("市", "省"):
        d = div.by_code(d.parent_code)
    return d


def _area(d: Division) -> str:
    return AREA_CODES[_city_of(d).code]


def _county_prefix(d: Division) -> str:
    """How bodies of a 区/县 (or a 市) are prefixed: 佛山市南海区, 台山市, 南澳县, 东莞市."""
    if d.level == "区" and d.name.endswith("区"):
        return _city_of(d).name + d.name
    return d.name


def _is_district(d: Division) -> bool:
    return d.level == "区" and d.name.endswith("区")


def _name(d: Division, kind: str) -> str:
    """The conventional name of a kind of body in a 市 or 区/县 (city styles differ)."""
    city = _city_of(d)
    c, cc = city.name, city.code
    if d.level == "市":
        names = {
            "公安": f"{c}公安局",
            "交警": "深圳市公安局交通警察局" if cc == SZ else f"{c}公安局交通警察支队",
            "人社": f"{c}人力资源和社会保障局",
            "医保": f"{c}医疗保障局",
            "公积金": "广州住房公积金管理中心" if cc == GZ else f"{c}住房公积金管理中心",
            "市场监管": f"{c}市场监督管理局",
            "税务": f"国家税务总局{c}税务局",
            "不动产": f"{c}不动产登记中心",
            "民政": f"{c}民政局",
            "卫健": f"{c}卫生健康委员会" if cc in (GZ, SZ) else f"{c}卫生健康局",
            "残联": f"{c}残疾人联合会",
            "教育": "中山市教育和体育局" if cc == ZS else f"{c}教育局",
            "住建": "深圳市住房和建设局" if cc == SZ else f"{c}住房和城乡建设局",
            "自然资源": f"{c}规划和自然资源局" if cc in (GZ, SZ) else f"{c}自然资源局",
        }
        return names[kind]
    p, s, district = _county_prefix(d), d.short_name, _is_district(d)
    if kind == "公安":
        if not district:
            return f"{p}公安局"
        return f"{c}公安局{d.name}分局" if cc == GZ else f"{c}公安局{s}分局"
    if kind == "交警":
        if not district:
            return f"{p}公安局交通警察大队"
        return f"{c}公安局交通警察局{s}大队" if cc == SZ else f"{c}公安局交通警察支队{s}大队"
    if kind == "人社":
        return f"{c}社会保险基金管理局{s}分局" if cc == SZ else f"{p}人力资源和社会保障局"
    if kind == "医保":
        return f"{c}医疗保障局{s}分局" if district and cc in (FS, SZ) else f"{p}医疗保障局"
    if kind == "公积金":  # the city's centre has a 管理部 per 区/县
        return _name(city, "公积金") + f"{s}管理部"
    if kind == "市场监管":
        return f"{c}市场监督管理局{s}监管局" if cc == SZ else f"{p}市场监督管理局"
    if kind == "税务":
        return f"国家税务总局{p}税务局"
    if kind == "不动产":
        return f"{c}不动产登记中心{s}登记所" if cc == SZ else f"{p}不动产登记中心"
    if kind == "住建":
        if cc == FS:
            return f"{p}住房城乡建设和水利局"
        return f"{p}住房和建设局" if cc in (GZ, SZ) else f"{p}住房和城乡建设局"
    if kind == "自然资源":
        if not district:
            return f"{p}自然资源局"
        if cc == GZ:
            return f"{c}规划和自然资源局{d.name}分局"
        if cc == SZ:
            return f"{c}规划和自然资源局{s}管理局"
        return f"{c}自然资源局{s}分局"
    suffix = {"民政": "民政局", "卫健": "卫生健康局", "残联": "残疾人联合会", "教育": "教育局"}
    return p + suffix[kind]


def _nature(kind: str, name: str) -> str:
    if kind in ("镇中心", "服务站"):
        return "受委托组织"
    if kind in ("公积金", "残联") or name.endswith(("中心", "登记所")):
        return "授权组织"
    return "法定机关"


def _uscc_prefix(kind: str, name: str) -> str:
    """登记管理部门 1 (机构编制) + 机构类别: 1 机关, 2 事业单位, 3 群团."""
    if kind == "残联":
        return "13"
    return "12" if _nature(kind, name) != "法定机关" else "11"


# ---- rule-based places ---------------------------------------------------------------------

_ROADS = ("人民", "建设", "新华", "解放", "中山", "文化", "府前", "迎宾", "东风", "环城", "城南",
          "滨江", "朝阳", "发展", "和平", "振兴", "育才", "沿江", "政通", "新城", "华侨", "工业")
_ROAD_KINDS = ("路", "大道", "中路", "东路", "西路", "北路", "南路")


def _seat(d: Division) -> Division:
    """The 镇街 where a division's offices sit: going down, the first 街道 (else the first child)."""
    while d.level != "镇":
        kids = div.children(d.code)
        if not kids:
            break
        d = next((k for k in kids if k.name.endswith("街道")), kids[0])
    return d


def _street(d: Division, salt: str) -> str:
    """'<市><区><镇街>XX路NN号' for a division without a hand-written address."""
    h = stable_hash("street", d.code, salt)
    road = _ROADS[h % len(_ROADS)] + _ROAD_KINDS[(h >> 8) % len(_ROAD_KINDS)]
    place = _seat(d).full_name.removeprefix("广东省")
    return f"{place}{road}{1 + (h >> 16) % 398}号"


def _phone(d: Division, salt: str, prefix: str | None = None) -> str:
    """A local number in the division's city: right area code, right length, stable."""
    city = _city_of(d).code
    length, leads = _LOCAL_NUMBER[city]
    h = stable_hash("phone", d.code, salt)
    if prefix:
        area, local = prefix.split("-")
    else:
        area, local = AREA_CODES[city], leads[h % len(leads)]
    digits = str(h)[::-1]
    return f"{area}-{(local + digits)[:length]}"


@functools.cache
def _region(d: Division) -> Region:
    """The hand-written region, or one derived from the division code."""
    hand = SAMPLE_REGIONS.get(d.full_name)
    if hand is not None:
        return hand
    city = _city_of(d)
    if d.level == "镇":
        hall_kind = "党群服务中心" if city.code in (FS, SZ) else "政务服务中心"
        parent = div.by_code(d.parent_code)
        prefix = _county_prefix(parent) if parent.level == "区" else city.name
        name = f"{prefix}{d.name}{hall_kind}"
        return Region(Hall(name, f"{_street(d, 'hall')}{d.name}{hall_kind}", _phone(d, "hall")), "")
    prefix = _county_prefix(d)
    short = prefix if d.level == "市" else (d.name if _is_district(d) else prefix)
    hall = Hall(f"{prefix}政务服务中心", f"{_street(d, 'hall')}{short}政务服务中心", _phone(d, "hall"))
    gov_name = f"{prefix}人民政府"
    government = Office(gov_name, _street(d, "government"), _phone(d, "government"))
    if city.code == GZ:
        court = _GZ_COURT
    elif city.code == SZ:
        court = _SZ_COURT
    elif city.code in (DG, ZS):
        court = Office(f"{city.name}第一人民法院", _street(city, "court"), f"{_area(city)}-12368、{_phone(city, 'court')}")
    elif d.level == "区":
        court = Office(f"{prefix}人民法院", _street(d, "court"), f"{_area(d)}-12368、{_phone(d, 'court')}")
    else:  # a city's own bodies: the basic court of its seat (its first 区)
        seat = next((k for k in div.children(d.code) if _is_district(k)), None) or div.children(d.code)[0]
        court = _region(seat).court
    if d.level == "市":
        tax_review = _GD_TAX
    else:  # the city's tax bureau: the hand-written one where there is one, so it has one address
        tax_review = _CITY_TAX.get(city.code) or Office(_name(city, "税务"), _street(city, "税务"), f"{_area(city)}-12366")
    return Region(hall, "", government, court, tax_review)


def _government_of(d: Division) -> Office:
    """The 人民政府 that reviews the acts of bodies at ``d`` (a town's: its 区/县's)."""
    region = _region(d)
    if region.government is not None and d.level != "镇":
        return region.government
    return _government_of(div.by_code(d.parent_code))


def _court_of(d: Division) -> Office:
    region = _region(d)
    if region.court is not None and d.level != "镇":
        return region.court
    return _court_of(div.by_code(d.parent_code))


def _own_hall(d: Division, kind: str, name: str, region: Region) -> Hall:
    """Where a kind of body receives citizens: its own hall when it has one, else the division's."""
    if kind in region.halls:
        return region.halls[kind]
    hand = d.full_name in SAMPLE_REGIONS
    own = {"交警": "车管业务大厅", "税务": "办税服务厅", "不动产": "登记大厅", "民政": "婚姻登记处"}
    if kind in own and not hand and d.level != "镇":
        hall_name = f"{_county_prefix(d)}婚姻登记处" if kind == "民政" else name + own[kind]
        hours = _SATURDAY_HOURS if kind == "交警" else None
        return Hall(hall_name, f"{_street(d, kind)}{hall_name.removeprefix(_county_prefix(d))}", _phone(d, kind), hours)
    if kind == "公积金" and d.level == "区" and not hand:
        return Hall(name, f"{region.hall.address}公积金窗口", _phone(d, kind))
    return region.hall


# Bounded: 63 station rounds × 1,603 towns × 16 departments would not fit an unbounded cache.
@functools.lru_cache(maxsize=1 << 16)
def _body(code: str, dept: str, station: int) -> Body:
    d = div.by_code(code)
    if dept not in _KIND_OF_DEPT:
        raise ValueError(f"unknown department {dept!r}; expected one of {', '.join(DEPARTMENTS)}")
    if d.level == "省":
        raise ValueError("the province implements no item of this catalogue")
    region = _region(d)
    city_code = _city_of(d).code
    hours_default = _HOURS.get(city_code, _DEFAULT_HOURS)
    entrusted_by = None

    if d.level == "镇":
        parent = div.by_code(d.parent_code)
        prefix = _county_prefix(parent) if parent.level == "区" else _city_of(d).name
        if station:
            kind, level = "服务站", LEVEL_NAMES["村"]
            name = f"{prefix}{d.name}第{station}便民服务站"
            hall = Hall(name, f"{_street(d, f'station{station}')}{d.name}第{station}便民服务站", _phone(d, f"station{station}"))
        elif dept in _TOWN_GOVERNMENT_DEPTS:
            kind, level = "镇政府", LEVEL_NAMES["镇"]
            name = f"{prefix}{d.name}办事处" if d.name.endswith("街道") else f"{prefix}{d.name}人民政府"
            hall = region.hall
        else:
            kind, level = "镇中心", LEVEL_NAMES["镇"]
            name, hall = region.hall.name, region.hall
        entrusted_by = _body(parent.code, dept, 0).实施主体
        town_seq = int(d.code[6:]) + 1
        area6 = d.code[:6]
    else:
        if station:
            raise ValueError("service stations exist only at 镇街")
        kind = _KIND_OF_DEPT[dept]
        level = LEVEL_NAMES[d.level]
        name = _name(d, kind)
        hall = None
        town_seq, area6 = 0, d.code

    special = region.specials.get(dept) or region.specials.get(kind)
    if special is not None and not station:
        name = special.name
        hall = special.hall or hall
    if hall is None:
        hall = _own_hall(d, kind, name, region)

    nature = (special.nature if special and special.nature and not station else None) or _nature(kind, name)
    if nature != "受委托组织":
        # Only a 受委托组织 acts on another body's behalf (一门式: the town centre takes the
        # county body's applications); 法定机关 and 授权组织 act in their own name.
        entrusted_by = None
    code = (special.code if special and special.code and not station else None) or _KNOWN_CODES.get(name)
    code = code or _body_code(_uscc_prefix(kind, name), area6, town_seq, kind, station)

    if special and special.phones and not station:
        phones = special.phones
    else:
        if hall is region.hall and kind not in ("镇中心", "服务站"):
            # Several bodies share the division's hall; each keeps its own number.
            local = _phone(d, kind, region.phone_prefix or None)
        else:
            local = hall.phone
        hotline = _HOTLINES.get(_KIND_OF_DEPT[dept]) if kind not in ("镇中心", "服务站", "镇政府") else None
        phones = (local,) + ((f"{_area(d)}-{hotline}",) if hotline and not local.endswith(hotline) else ())

    if kind == "税务":
        review = region.tax_review or _region(_city_of(d)).tax_review
    elif kind == "公积金" or (d.level == "市"):
        review = _government_of(_city_of(d))
    else:
        review = _government_of(d)

    return Body(
        division=d,
        dept=dept,
        实施主体=name,
        实施主体性质=nature,
        实施主体编码=code,
        行使层级=level,
        服务大厅=hall.name,
        办理地点=hall.address,
        办理时间=(special.hours if special and special.hours else None) or hall.hours or region.hall.hours or hours_default,
        咨询电话=phones,
        监督投诉电话=(f"{_area(d)}-12345",),
        复议=review,
        诉讼=_court_of(d),
        委托部门=entrusted_by,
    )


def body_for(division: Division, dept: str, *, station: int = 0) -> Body:
    """The body implementing ``dept``'s items in ``division`` (a 市, 区/县 or 镇街).

    ``station`` > 0 gives the town's numbered 村（社区）便民服务站 instead (the generator's last
    resort for more distinct implementations; 1…63).
    """
    if not 0 <= station <= MAX_STATIONS:
        raise ValueError(f"station must be 0…{MAX_STATIONS}")
    return _body(division.code, dept, station)


def sample_divisions(level: str) -> list[Division]:
    """The SAMPLE_REGIONS divisions of a level (市, 区, 镇), in the table's order."""
    out = []
    for full_name in SAMPLE_REGIONS:
        d = div.by_full_name(full_name)
        if d is None:  # a typo in the table must not go unnoticed
            raise LookupError(f"SAMPLE_REGIONS names an unknown division: {full_name}")
        if d.level == level:
            out.append(d)
    return out

