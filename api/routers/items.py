"""Items: search, the record, and its two rendered views (办事指南 for citizens, 业务手册 for staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from index import checklist, compare, render
from index.errors import BackendUnavailable
from index.search import UnknownRegion

from ..deps import SearcherDep
from .. import catalog
from ..schemas import ChecklistOut, ComparisonOut, ComparisonRowOut, QuestionOut, SearchOut, SearchResultOut, ThemesOut

router = APIRouter(prefix="/api/items", tags=["items"])


@router.get("/search", response_model=SearchOut)
def search_items(
    searcher: SearcherDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="群众的说法，如：南海办居住证要带什么")],
    region: Annotated[str | None, Query(max_length=50, description="限定行政区划，如 佛山市南海区")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchOut:
    """Ranked implementations (one row per 实施编码), best item first, its implementations grouped."""
    try:
        result = searcher.search(q, region=region, limit=limit)
    except UnknownRegion as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except BackendUnavailable as exc:
        raise HTTPException(status_code=503, detail="检索服务暂时不可用，请稍后再试") from exc
    rows: list[SearchResultOut] = []
    for group in result.groups:
        for hit in group.hits:
            rows.append(
                SearchResultOut(
                    code=hit.code,
                    base_code=hit.base_code,
                    name=hit.name,
                    region=hit.region,
                    score=round(hit.score, 4),
                    body=hit.body,
                    region_match=hit.region_match,
                )
            )
            if len(rows) >= limit:
                break
        if len(rows) >= limit:
            break
    return SearchOut(
        query=q,
        region=result.region.full_name if result.region else None,
        attributes=result.attributes,
        results=rows,
    )


@router.get("/themes", response_model=ThemesOut)
def item_themes(searcher: SearcherDep, request: Request, limit: Annotated[int, Query(ge=1, le=50)] = 8) -> ThemesOut:
    """Themes (事项主题分类) with their most widely implemented items: the kiosk's home screen."""
    return catalog.themes(request.app.state, searcher.backend, per_theme=limit)


def _record(searcher, code: str) -> dict:
    record = searcher.backend.get(code)
    if record is None:
        raise HTTPException(status_code=404, detail=f"没有实施编码为 {code} 的事项")
    return record


def _same_item(searcher, codes: list[str]) -> list[dict]:
    """The records of ``codes``: 404 naming a code not loaded, 422 when they are not one item."""
    if not 2 <= len(codes) <= 4 or len(set(codes)) != len(codes):
        raise HTTPException(status_code=422, detail="codes：请给出 2 至 4 个不同的实施编码")
    records = [_record(searcher, code) for code in codes]
    keys = {searcher.backend.item_key_of(code) or r.get("基本编码") for code, r in zip(codes, records)}
    if len(keys) != 1:
        raise HTTPException(status_code=422, detail="codes：这些实施编码不是同一事项，无法对比")
    return records


Codes = Annotated[list[str], Query(description="同一事项在各地的实施编码，2 至 4 个", max_length=4)]


@router.get("/compare", response_class=HTMLResponse)
def compare_page(searcher: SearcherDep, codes: Codes = []) -> HTMLResponse:
    """One item in several places, field by field, as a page."""
    return HTMLResponse(compare.compare_html(compare.compare(_same_item(searcher, codes))))


@router.get("/compare.json", response_model=ComparisonOut)
def compare_json(searcher: SearcherDep, codes: Codes = []) -> ComparisonOut:
    """The same comparison as data."""
    table = compare.compare(_same_item(searcher, codes))
    return ComparisonOut(
        name=table.name, places=table.places, codes=table.codes, materials_same=table.materials_same, only=table.only,
        rows=[ComparisonRowOut(label=r.label, values=r.values, same=r.same) for r in table.rows],
    )


@router.get("/{code}")
def get_item(searcher: SearcherDep, code: str) -> dict:
    """The item-standard record as loaded, with every key it carries."""
    return _record(searcher, code)


@router.get("/{code}/guide", response_class=HTMLResponse)
def item_guide(searcher: SearcherDep, code: str) -> HTMLResponse:
    """The citizen's 办事指南 as a page."""
    return HTMLResponse(render.guide_html(_record(searcher, code)))


@router.get("/{code}/checklist", response_model=ChecklistOut)
def item_checklist(
    searcher: SearcherDep,
    code: str,
    request: Request,
    situation: Annotated[str | None, Query(max_length=50, description="业务办理项，如 补领")] = None,
) -> ChecklistOut:
    """The material checklist: to print at a kiosk, to send to a caller, to copy into an answer.

    With the personal checklist's answers as parameters (``s=夫妻投靠&c1a2b3c=否``, ids from
    ``questions``), only the materials that apply; ``questions`` are those still open."""
    record = _record(searcher, code)
    answers = checklist.answers_from(request.query_params.multi_items())
    title = f"【{record.get('事项名称', '')}】{str(record.get('行政区划', '')).removeprefix('广东省')} 申请材料清单"
    sheet = checklist.personal_checklist(record, answers)
    if answers:
        items, lines = sheet.materials, checklist.lines(sheet) or [render.materials_lines(record)[0]]
    else:
        items, lines = render.checklist(record, situation), render.materials_lines(record, situation)
    return ChecklistOut(
        code=code,
        name=record.get("事项名称", ""),
        region=record.get("行政区划", ""),
        situation=sheet.situation or situation,
        items=items,
        text="\n".join([title, *lines]),
        answers=sheet.answers,
        questions=[
            QuestionOut(id=q.id, text=q.text, options=q.options, condition=q.condition, answer=sheet.answers.get(q.id))
            for q in checklist.questions(record, sheet.answers)
        ],
    )


@router.get("/{code}/checklist/print", response_class=HTMLResponse)
def item_checklist_print(searcher: SearcherDep, code: str, request: Request) -> HTMLResponse:
    """The personal checklist as a printable page (the answers as for ``/checklist``)."""
    record = _record(searcher, code)
    answers = checklist.answers_from(request.query_params.multi_items())
    return HTMLResponse(checklist.checklist_html(record, checklist.personal_checklist(record, answers)))


@router.get("/{code}/manual", response_class=HTMLResponse)
def item_manual(searcher: SearcherDep, code: str) -> HTMLResponse:
    """The staff's 业务手册 as a page."""
    return HTMLResponse(render.manual_html(_record(searcher, code)))
