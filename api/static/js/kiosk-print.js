// The kiosk's printed material checklist: fills the print-only section of the page from
// GET /api/items/{code}/checklist and prints it (the @media print rules show only that section).

import { clear, el, request } from "./common.js";

const dash = (value) => (value === null || value === undefined || value === "" ? "—" : String(value));

/** Print the checklist of item `code` (only what applies, given the personal checklist's
 * `answers`); false when it could not be loaded. */
export async function printChecklist(code, answers = null) {
  const query = answers && typeof answers === "object" ? new URLSearchParams(answers).toString() : "";
  const result = await request("GET", `/api/items/${encodeURIComponent(code)}/checklist${query ? `?${query}` : ""}`);
  const data = result.ok && result.data && typeof result.data === "object" ? result.data : null;
  if (!data || !Array.isArray(data.items)) return false;
  const $ = (id) => document.getElementById(id);
  $("print-title").textContent = `${dash(data.name)} · 申请材料清单`;
  const region = String(data.region ?? "").replace(/^广东省/, "");
  $("print-region").textContent = [region, data.situation ? `业务办理项：${data.situation}` : ""].filter(Boolean).join(" · ");
  const rows = $("print-rows");
  clear(rows);
  data.items.forEach((item, index) => {
    rows.append(
      el(
        "tr",
        {},
        el("td", {}, String(index + 1)),
        el("td", {}, dash(item?.name)),
        el("td", {}, dash(item?.copies)),
        el("td", {}, dash(item?.necessity)),
        el("td", {}, dash(item?.situation)),
        el("td", {}, dash(item?.form)),
      ),
    );
  });
  if (!data.items.length) rows.append(el("tr", {}, el("td", { colspan: 6 }, "本事项标准未列出需要提交的申请材料，如有疑问请到窗口咨询。")));
  $("print-footer").textContent = `实施编码 ${dash(data.code)} · 打印时间 ${new Date().toLocaleString("zh-CN", { hour12: false })} · 以窗口受理要求为准`;
  window.print();
  return true;
}
