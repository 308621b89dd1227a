"""Which records are one item as a citizen sees it, across catalogue codes.

    >>> from index.identity import item_keys
    >>> keys = item_keys([
    ...     ("c1", "442106041002", "申领居住证", "公共服务", "广东省广州市从化区街口街道"),
    ...     ("c2", "442106040001", "居住证申领", "公共服务", "广东省佛山市南海区桂城街道"),
    ... ])
    >>> keys["c1"] == keys["c2"]
    True

Real exports give one item different 基本编码 in different cities, and one 基本编码 several
situations in one place (实验动物生产许可(新申请) / (变更) / (注销) share a code). An item is
therefore the connected set of records that share a name key (the name's characters, in any
order, and the 事项类型) or that share a 基本编码 which names one thing in each region. The key
of an item is its smallest 基本编码, with the name key appended when that code names several
items, so keys are stable across loads of the same records.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

_NOISE = re.compile(r"[\s（）()【】\[\]、，,·.。\-—]+")


def name_key(name: str, item_type: str) -> str:
    """The characters of a name, sorted, with the item type: 申领居住证 and 居住证申领 meet."""
    folded = _NOISE.sub("", unicodedata.normalize("NFKC", name or ""))
    return "".join(sorted(folded)) + "|" + (item_type or "")


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        parent = self.parent.setdefault(node, node)
        while parent != self.parent[parent]:
            self.parent[parent] = self.parent[self.parent[parent]]
            parent = self.parent[parent]
        self.parent[node] = parent
        return parent

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def item_keys(rows: Iterable[tuple[str, str, str, str, str]]) -> dict[str, str]:
    """实施编码 → item key, from (实施编码, 基本编码, 事项名称, 事项类型, 行政区划) rows."""
    rows = list(rows)
    union = _Union()
    by_name: dict[str, str] = {}
    names_of_base: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for code, base, name, item_type, region in rows:
        key = name_key(name, item_type)
        union.find("c:" + code)
        first = by_name.setdefault(key, "c:" + code)
        union.join(first, "c:" + code)
        names_of_base[base][region].add(key)
    # A 基本编码 joins its records only where it names one thing per region: else its records are
    # situations of one catalogue entry, each an item of its own.
    plain_bases = {base for base, per_region in names_of_base.items() if all(len(k) == 1 for k in per_region.values())}
    first_of_base: dict[str, str] = {}
    for code, base, _name, _type, _region in rows:
        if base in plain_bases:
            union.join(first_of_base.setdefault(base, "c:" + code), "c:" + code)
    members: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for code, base, name, item_type, _region in rows:
        members[union.find("c:" + code)].append((code, base, name_key(name, item_type)))
    owners: dict[str, list[str]] = defaultdict(list)
    component_base: dict[str, str] = {}
    for root, entries in members.items():
        base = min(b for _, b, _ in entries)
        component_base[root] = base
        owners[base].append(root)
    out: dict[str, str] = {}
    for root, entries in members.items():
        base = component_base[root]
        key = base
        if len(owners[base]) > 1:
            digest = hashlib.sha1(min(k for _, _, k in entries).encode()).hexdigest()[:8]
            key = f"{base}~{digest}"
        for code, _, _ in entries:
            out[code] = key
    return out
