"""Command line of the item-standards index.

    python -m index load FILE... [--replace] [--partial]   # into GUIDE_DATA_DIR (or Elasticsearch)
    python -m index search "南海办居住证要带什么" [--region 佛山市南海区] [--json]
    python -m index show 实施编码 [--manual] [--html]
    python -m index generate 100000 [--out items.jsonl] [--seed 0] [--names-from EXPORT | --templates]

Exit status: 0 done, 1 the input had problems (nothing was loaded unless --partial), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from tqdm import tqdm


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index", description="事项标准索引：载入、检索、查看、生成")
    sub = parser.add_subparsers(dest="command", required=True)

    load = sub.add_parser("load", help="载入事项标准文件（JSON 数组或 JSON Lines）")
    load.add_argument("files", nargs="+")
    load.add_argument("--replace", action="store_true", help="清空现有索引后载入")
    load.add_argument("--partial", action="store_true", help="载入合格的记录，报告其余问题（默认：有任何问题则整批不载入）")
    load.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    search = sub.add_parser("search", help="按群众的说法检索事项")
    search.add_argument("query")
    search.add_argument("--region", help="限定行政区划，如 佛山市南海区 或 桂城")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--json", action="store_true")

    show = sub.add_parser("show", help="查看一条事项（办事指南或业务手册）")
    show.add_argument("code")
    show.add_argument("--manual", action="store_true", help="工作人员业务手册")
    show.add_argument("--html", action="store_true", help="输出 HTML 页面")
    show.add_argument("--json", action="store_true", help="输出原始记录")

    generate = sub.add_parser("generate", help="生成规模测试用的事项标准（JSON Lines）")
    generate.add_argument("n", type=int)
    generate.add_argument("--out", help="输出文件（默认标准输出）")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--names-from", help="门户导出文件：每个不同事项一个模板（默认 ../shared 的 2021 导出，存在时）")
    generate.add_argument("--templates", action="store_true", help="只用 index/corpus/templates 的 60 个示例模板")
    return parser


def _progress(total: int | None, desc: str):
    # Progress goes to stderr so that --json and generate's stdout stay clean.
    return tqdm(total=total, desc=desc, unit="条", file=sys.stderr, disable=None, leave=False)


def cmd_load(args) -> int:
    from .backends import open_backend
    from .loader import iter_accepted, read_batch
    from .search import Searcher

    started = time.perf_counter()
    with _progress(None, "校验") as bar:
        batch = read_batch(args.files, progress=bar.update, keep=False)
    if batch.problems and not args.partial:
        print(f"发现 {len(batch.problems)} 个问题，整批未载入（可用 --partial 只载入合格记录）：", file=sys.stderr)
        for problem in batch.problems:
            print(f"  - {problem}", file=sys.stderr)
        if args.json:
            print(json.dumps({"loaded": False, "problems": [p.as_dict() for p in batch.problems]}, ensure_ascii=False))
        return 1
    backend = open_backend()
    try:
        with _progress(len(batch.records), "载入") as bar:
            report = backend.apply(iter_accepted(batch), replace=args.replace, progress=bar.update)
        Searcher(backend).warm()
    finally:
        backend.close()
    elapsed = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {"loaded": True, **report.as_dict(), "problems": [p.as_dict() for p in batch.problems], "seconds": round(elapsed, 2)},
                ensure_ascii=False,
            )
        )
    else:
        print(f"{report.summary()}（用时 {elapsed:.1f} 秒，后端 {backend.name}）")
        for problem in batch.problems:
            print(f"  未载入：{problem}", file=sys.stderr)
    return 1 if batch.problems else 0


def cmd_search(args) -> int:
    from .backends import open_backend
    from .search import Searcher, UnknownRegion

    backend = open_backend()
    try:
        backend.analyzer  # load the saved index first: the timing below is the search alone
        started = time.perf_counter()
        try:
            result = Searcher(backend).search(args.query, region=args.region, limit=args.limit)
        except UnknownRegion as exc:
            print(exc, file=sys.stderr)
            return 2
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        backend.close()
    if args.json:
        print(json.dumps({**result.as_dict(), "ms": round(elapsed, 2)}, ensure_ascii=False, indent=1))
        return 0
    q = result.query
    notes = []
    if result.region:
        notes.append(f"地区：{result.region.full_name}（{'限定' if result.region_source == 'filter' else '问句中提到'}）")
    if q.attributes:
        notes.append(f"所问：{'、'.join(q.attributes)}")
    if q.expansions:
        notes.append(f"同义：{' '.join(q.expansions)}")
    if q.corrections:
        notes.append(f"纠错：{' '.join(q.corrections)}")
    if notes:
        print("；".join(notes))
    if not result.groups:
        print("没有找到相关事项。")
    for rank, group in enumerate(result.groups, start=1):
        regions = "、".join(h.region.removeprefix("广东省") for h in group.hits[:6])
        more = f" 等{len(group.hits)}处" if len(group.hits) > 6 else ""
        print(f"{rank}. {group.name}  [{group.item_key}]  {group.score:.2f}")
        print(f"   {regions}{more}")
        print(f"   实施编码 {group.hits[0].code}（{group.hits[0].body}）")
    print(f"（{elapsed:.1f} 毫秒）", file=sys.stderr)
    return 0


def cmd_show(args) -> int:
    from . import render
    from .backends import open_backend

    backend = open_backend()
    try:
        record = backend.get(args.code)
    finally:
        backend.close()
    if record is None:
        print(f"没有实施编码为 {args.code} 的事项。", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=1))
    elif args.manual:
        print(render.manual_html(record) if args.html else render.manual_text(record))
    else:
        print(render.guide_html(record) if args.html else render.guide_text(record))
    return 0


def cmd_generate(args) -> int:
    from .corpus.generate import generate, scale_templates, write_jsonl

    if args.n < 0:
        print("N 不能为负数", file=sys.stderr)
        return 2
    try:
        templates, source = scale_templates(args.names_from, authored=args.templates)
    except OSError as exc:
        print(f"无法读取 {args.names_from}: {exc}", file=sys.stderr)
        return 2
    print(f"模板：{source}（{len(templates)} 个事项）", file=sys.stderr)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        with _progress(args.n, "生成") as bar:
            def counted():
                for record in generate(args.n, seed=args.seed, templates=templates):
                    bar.update(1)
                    yield record

            write_jsonl(counted(), out)
    finally:
        if args.out:
            out.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"load": cmd_load, "search": cmd_search, "show": cmd_show, "generate": cmd_generate}[args.command]
    return handler(args)
