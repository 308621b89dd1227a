"""Read item-standard files (JSON array, JSON Lines or one JSON object) into a checked batch.

    >>> from index.loader import read_batch
    >>> batch = read_batch(["guides.jsonl", "more.json"])
    >>> batch.problems          # [] when every record is good
    >>> batch.raise_for_problems()   # BatchError listing file, record, 实施编码 and field
    >>> len(batch.records)

A record is either in the interchange format (the Chinese keys of FORMAT.md) or a raw record
of a 广东政务服务网 export (TASK_NAME, TASK_CODE, DEPT_NAME …), detected per record and mapped
by :mod:`index.portal` before it is checked; a file may mix both. A problem in a portal record
names the portal field (``handle_time: 无法解析的办结时限 …``).

Nothing here touches an index: a batch is read and checked completely first, so that a caller
can refuse the whole batch (the default) or, when the user asks for it, load the good records
and report the rest.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import orjson
from pydantic import ValidationError

from .errors import BatchError, Problem
from .model import validate_record
from .portal import from_portal, is_portal_record, portal_field


@dataclass
class Located:
    """A record (or, in a streaming check, just its code) with where it came from."""

    record: dict[str, Any] | None
    file: str
    where: str
    code: str | None = None

    def __post_init__(self) -> None:
        if self.code is None and self.record is not None:
            code = self.record.get("实施编码")
            self.code = code if isinstance(code, str) and code else None


@dataclass
class Batch:
    """The good records of one load and the problems found in the rest."""

    records: list[Located] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Refused records whose 实施编码 could be read: a good record with the same code is a duplicate.
    refused: list[Located] = field(default_factory=list)
    # Set by a streaming check (keep=False): the SHA-256 of each file, to read the same bytes again.
    digests: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            raise BatchError(self.problems)


_MESSAGES = {
    "missing": "缺少必填字段",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "string_too_short": "不能为空",
    "greater_than_equal": "不能为负数",
    "string_unicode": "含有无效的 Unicode 字符（孤立的代理项，如 \\ud800）",
}
_JSON_TYPES = {
    dict: "对象",
    list: "列表",
    str: "字符串",
    int: "整数",
    float: "小数",
    bool: "布尔值",
    type(None): "null",
}


def _field_path(loc: tuple) -> str:
    # pydantic puts union branch names ('str', 'list[Fee]', 'Process' …) into loc; the format's keys
    # are all Chinese, so keeping integers and parts with a CJK character leaves the real path.
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part + 1}]"
        elif any("\u4e00" <= ch <= "\u9fff" for ch in str(part)):
            path += f".{part}" if path else str(part)
    return path


def _problems_from(exc: ValidationError, file: str, where: str, code: str | None) -> list[Problem]:
    by_field: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        path = _field_path(tuple(error["loc"]))
        kind = error["type"]
        if kind == "value_error":
            message = str(error.get("ctx", {}).get("error") or error["msg"])
        else:
            message = _MESSAGES.get(kind, error["msg"])
            if kind.endswith("_type"):
                actual = _JSON_TYPES.get(type(error.get("input")), type(error.get("input")).__name__)
                message += f"（实际为{actual}）"
        messages = by_field.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    return [
        Problem(file, where, path, " 或 ".join(messages), code) for path, messages in by_field.items()
    ]


class _NotJson(ValueError):
    """A value Python's parser takes but JSON does not have: NaN, Infinity, 1e400."""


def _refuse_constant(name: str):
    raise _NotJson(f"{name} 不是合法的 JSON 数值")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"数值 {text[:20]} 超出范围")
    return value


# Strict where Python's json is lenient: the CLI reads JSON Lines with orjson, which refuses these too.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def _loads(text: str) -> Any:
    return _DECODER.decode(text)


def _unreadable(exc: Exception) -> str:
    """The message for a value the parser gave up on: NaN, a 5,000-digit number, deep nesting."""
    if isinstance(exc, RecursionError):
        return "JSON 格式错误：嵌套层数过多"
    if isinstance(exc, _NotJson):
        return f"JSON 格式错误：{exc}"
    return "JSON 格式错误：数字位数过多"


def _unstorable(value: Any) -> str | None:
    """Why a checked record still cannot be stored (the index keeps records as orjson), or None."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        reason = str(exc)
        if "surrogates" in reason:
            return "字符串含有孤立的 Unicode 代理项（如 \\ud800），请检查文件编码"
        if "64-bit" in reason:
            return "整数超出 64 位范围"
        if "ecursion" in reason:
            return "嵌套层数过多"
        return f"记录无法保存：{reason}"
    return None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def decode_utf8(raw: bytes, file: str) -> str | Problem:
    """The text of a file, or the whole-file Problem that says it is not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return Problem(
            file, f"第 {line} 行（字节 {exc.start}）", "", "文件不是 UTF-8 编码，请另存为 UTF-8 后再导入", whole_file=True
        )


def _not_utf8(file: str, line: int) -> Problem:
    return Problem(file, f"第 {line} 行", "", "文件不是 UTF-8 编码，请另存为 UTF-8 后再导入", whole_file=True)


def _entries_of_file(name: str, digest=None) -> Iterator[tuple[Any, str] | Problem]:
    """The records of a file, streamed line by line for JSON Lines (files of 100,000 records)."""
    with open(name, "rb") as handle:
        head = handle.read(1 << 16)
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        first_line = head.split(b"\n", 1)[0]
        handle.seek(0)
        if start == b"[" or (start == b"{" and not _first_line_is_json(first_line)):
            raw = handle.read()
            if digest is not None:
                digest.update(raw)
            text = decode_utf8(raw, name)
            if isinstance(text, Problem):
                yield text
                return
            yield from _entries_of_text(text, name)
            return
        if not start:
            yield Problem(name, "文件", "", "文件为空，没有记录")
            return
        for number, raw_line in enumerate(handle, start=1):
            if digest is not None:
                digest.update(raw_line)
            try:
                line = raw_line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield _not_utf8(name, number)
                return
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            try:
                yield orjson.loads(line), f"第 {number} 行"
            except orjson.JSONDecodeError:
                yield _json_problem(line, name, number)


def _json_problem(line: str, file: str, number: int) -> Problem:
    # orjson is fast on good lines; the standard parser words the error better on bad ones.
    try:
        _loads(line)
    except json.JSONDecodeError as exc:
        return Problem(file, f"第 {number} 行第 {exc.colno} 列", "", f"JSON 格式错误：{exc.msg}")
    except (ValueError, RecursionError) as exc:
        return Problem(file, f"第 {number} 行", "", _unreadable(exc))
    return Problem(file, f"第 {number} 行", "", "JSON 格式错误")


def _entries_of_text(text: str, file: str) -> Iterator[tuple[Any, str] | Problem]:
    stripped = text.lstrip()
    if not stripped:
        yield Problem(file, "文件", "", "文件为空，没有记录")
    elif stripped[0] == "[":
        yield from _iter_array(text, file)
    elif stripped[0] == "{" and not _first_line_is_json(stripped.split("\n", 1)[0]):
        # Published guides come one pretty-printed object per file (see shared/…/examples).
        yield from _iter_single(text, file)
    else:
        yield from _iter_lines(text, file)


def _iter_array(text: str, file: str) -> Iterator[tuple[Any, str] | Problem]:
    """Yield the elements of a JSON array with their position and line, or a Problem and stop."""
    decoder = _DECODER
    idx = text.index("[") + 1
    position = 0
    length = len(text)
    while True:
        while idx < length and text[idx] in " \t\r\n":
            idx += 1
        if idx < length and text[idx] == "]":
            rest = text[idx + 1 :].strip()
            if rest:
                yield Problem(file, f"第 {_line_of(text, idx + 1)} 行", "", "数组结束后还有多余内容")
            return
        if position and idx < length and text[idx] == ",":
            idx += 1
            while idx < length and text[idx] in " \t\r\n":
                idx += 1
        elif position:
            yield Problem(file, f"第 {_line_of(text, idx)} 行", "", "JSON 格式错误：记录之间缺少逗号或数组未闭合")
            return
        position += 1
        try:
            value, end = decoder.raw_decode(text, idx)
        except json.JSONDecodeError as exc:
            yield Problem(
                file, f"第 {exc.lineno} 行第 {exc.colno} 列（第 {position} 条记录）", "", f"JSON 格式错误：{exc.msg}"
            )
            return
        except (ValueError, RecursionError) as exc:
            yield Problem(file, f"第 {_line_of(text, idx)} 行（第 {position} 条记录）", "", _unreadable(exc))
            return
        yield value, f"第 {position} 条记录（第 {_line_of(text, idx)} 行）"
        idx = end


def _iter_lines(text: str, file: str) -> Iterator[tuple[Any, str] | Problem]:
    # Only \n ends a record: str.splitlines() would also split at U+2028 inside a JSON string.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            value = _loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(file, f"第 {number} 行第 {exc.colno} 列", "", f"JSON 格式错误：{exc.msg}")
            continue
        except (ValueError, RecursionError) as exc:
            yield Problem(file, f"第 {number} 行", "", _unreadable(exc))
            continue
        yield value, f"第 {number} 行"


def _first_line_is_json(line: str | bytes) -> bool:
    try:
        _loads(line.decode("utf-8-sig") if isinstance(line, bytes) else line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    except (ValueError, RecursionError):
        return True  # a whole JSON value, only one the line reader will refuse (NaN, deep nesting)
    return True


def _iter_single(text: str, file: str) -> Iterator[tuple[Any, str] | Problem]:
    try:
        value = _loads(text)
    except json.JSONDecodeError as exc:
        yield Problem(file, f"第 {exc.lineno} 行第 {exc.colno} 列", "", f"JSON 格式错误：{exc.msg}")
        return
    except (ValueError, RecursionError) as exc:
        yield Problem(file, "第 1 条记录（第 1 行）", "", _unreadable(exc))
        return
    yield value, "第 1 条记录（第 1 行）"


def _as_record(value: dict, file: str, where: str) -> tuple[dict | None, list[Problem]]:
    """The record in the interchange format: a portal record is mapped first (index.portal)."""
    if not is_portal_record(value):
        return value, []
    mapped = from_portal(value, file, where)
    if isinstance(mapped, list):
        return None, mapped
    return mapped, []


def _portal_problems(problems: list[Problem], raw: dict) -> list[Problem]:
    """Problems the model found in a mapped portal record, named by the portal field they came from."""
    out = []
    for problem in problems:
        source = portal_field(problem.field, raw) if problem.field else ""
        message = problem.message
        if problem.field and problem.field not in message:
            message += f"（对应 {problem.field}）"
        out.append(Problem(problem.file, problem.where, source, message, problem.code))
    return out


def _check(entries, file: str, batch: Batch, *, keep: bool, progress=None) -> None:
    for entry in entries:
        if progress is not None:
            progress(1)
        if isinstance(entry, Problem):
            batch.problems.append(entry)
            if entry.whole_file:
                # Lines before the undecodable one looked fine, but a file in another encoding is
                # refused whole: its good-looking lines may be mis-decoded too.
                batch.records = [r for r in batch.records if r.file != file]
            continue
        value, where = entry
        if not isinstance(value, dict):
            actual = _JSON_TYPES.get(type(value), type(value).__name__)
            batch.problems.append(Problem(file, where, "", f"记录应为 JSON 对象（实际为{actual}）"))
            continue
        # Each record is of its own family: a file may mix the format's records and raw portal ones.
        raw = value
        record, mapping_problems = _as_record(value, file, where)
        if record is None:
            batch.problems.extend(mapping_problems)
            code = raw.get("TASK_CODE")
            if isinstance(code, str) and code.strip():
                batch.refused.append(Located(None, file, where, code.strip()))
            continue
        located = Located(record, file, where)
        if record and not any(any("\u4e00" <= ch <= "\u9fff" for ch in str(key)) for key in record):
            # Neither family (e.g. English keys of some other system): say so before listing 19 missing keys.
            batch.problems.append(
                Problem(
                    file,
                    where,
                    "",
                    "记录的字段名既不是交换格式的中文字段，也不是广东政务服务网门户导出的字段"
                    "（TASK_NAME、TASK_CODE、DEPT_NAME …），见 FORMAT.md",
                )
            )
        try:
            validate_record(record)
        except ValidationError as exc:
            problems = _problems_from(exc, file, where, located.code)
            batch.problems.extend(_portal_problems(problems, raw) if record is not raw else problems)
            if located.code:
                batch.refused.append(Located(None, file, where, located.code))
            continue
        unstorable = _unstorable(record)
        if unstorable:
            batch.problems.append(Problem(file, where, "", unstorable, located.code))
            if located.code:
                batch.refused.append(Located(None, file, where, located.code))
            continue
        batch.records.append(located if keep else Located(None, file, where, located.code))


def read_text(text: str, file: str, progress=None) -> Batch:
    """Check the records in one file's text; ``progress(1)`` per record."""
    batch = Batch()
    _check(_entries_of_text(text, file), file, batch, keep=True, progress=progress)
    return _without_duplicates(batch)


def read_batch(paths: Iterable[str | os.PathLike], progress=None, *, keep: bool = True) -> Batch:
    """Read and check every file of one load; a 实施编码 seen twice in the batch is a problem.

    With ``keep=False`` the records are checked and let go (a 100,000-record load must not sit in
    memory twice): ``Batch.records`` then holds only where each good record is, and
    :func:`iter_accepted` reads them again, after checking that the files did not change.
    """
    batch = Batch()
    for path in paths:
        name = os.fspath(path)
        digest = hashlib.sha256()
        try:
            _check(_entries_of_file(name, digest), name, batch, keep=keep, progress=progress)
        except OSError as exc:
            batch.problems.append(Problem(name, "文件", "", f"无法读取：{exc.strerror or exc}"))
            continue
        batch.digests[name] = digest.hexdigest()
    return _without_duplicates(batch)


def iter_accepted(batch: Batch) -> Iterator[dict]:
    """The good records of a batch checked with ``keep=False``, read again from their files."""
    if all(located.record is not None for located in batch.records):
        yield from (located.record for located in batch.records)
        return
    wanted: dict[str, set[str]] = {}
    for located in batch.records:
        wanted.setdefault(located.file, set()).add(located.where)
    for name, places in wanted.items():
        digest = hashlib.sha256()
        for entry in _entries_of_file(name, digest):
            if not isinstance(entry, Problem) and entry[1] in places:
                # Checked already: a portal record maps again to the same record.
                yield _as_record(entry[0], name, entry[1])[0]
        if digest.hexdigest() != batch.digests.get(name):
            # The file changed since it was checked: what was written must not stand.
            raise BatchError([Problem(name, "文件", "", "文件在校验之后被修改，请重新载入")])


def _without_duplicates(batch: Batch) -> Batch:
    # Neither copy of a duplicated code is loaded, even when the user asks to load the good
    # records: which of the two was meant is not ours to guess.
    first_seen: dict[str, Located] = {}
    duplicated: set[str] = set()
    for located in batch.refused:
        first_seen.setdefault(located.code, located)
    for located in batch.records:
        code = located.code
        if code in first_seen:
            earlier = first_seen[code]
            batch.problems.append(
                Problem(
                    located.file,
                    located.where,
                    "实施编码",
                    f"实施编码重复：与 {earlier.file} {earlier.where} 相同，同一批次中每个实施编码只能出现一次",
                    code,
                )
            )
            duplicated.add(code)
            continue
        first_seen[code] = located
    batch.records = [r for r in batch.records if r.code not in duplicated]
    return batch
