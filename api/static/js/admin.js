// The oversight page (/admin): the overview tables and the item-standards upload. Every call
// carries the admin token (its own sessionStorage key, see auth.js).

import { TokenGate } from "./auth.js";
import { clear, el, formatTime, problemText } from "./common.js";

const $ = (id) => document.getElementById(id);
const text = (value) => (value === null || value === undefined || value === "" ? "—" : String(value));

const gate = new TokenGate({ onReady: (result) => showOverview(result) });

// What the upload report's counters mean (keys the API may send; unknown keys are shown as is).
const COUNTS = {
  accepted: "合格记录",
  rejected: "有问题的记录",
  added: "新增",
  updated: "更新",
  replaced: "替换",
  unchanged: "版本相同未变",
  older: "低于现有版本未载入",
  total: "索引共有",
};

function rows(body, items, cells, empty) {
  clear(body);
  for (const item of items) body.append(el("tr", {}, ...cells(item).map((cell) => el("td", {}, text(cell)))));
  if (!items.length) body.append(el("tr", {}, el("td", { colspan: body.closest("table").querySelectorAll("thead th").length }, empty)));
}

async function loadOverview() {
  $("overview-status").textContent = "正在刷新……";
  const result = await gate.call("GET", "/api/admin/overview");
  if (result) showOverview(result);
}

function showOverview(result) {
  const status = $("overview-status");
  const data = result.ok && result.data && typeof result.data === "object" ? result.data : null;
  if (!data) {
    status.textContent = problemText(result, "概况暂时无法读取。");
    return;
  }
  status.textContent = `更新于 ${new Date().toLocaleTimeString("zh-CN", { hour12: false })}`;
  const ratings = data.ratings && typeof data.ratings === "object" ? data.ratings : {};
  const stats = $("stats");
  clear(stats);
  const figures = [
    ["索引事项", data.items],
    ["转人工排队", data.queue],
    ["申请草稿", data.drafts],
    ["有帮助", ratings.helpful],
    ["没帮助", ratings.unhelpful],
    ["评分次数", ratings.ratings],
    ["平均评分", ratings.average_rating],
  ];
  for (const [label, value] of figures) {
    if (value === undefined) continue;
    stats.append(el("div", { class: "stat" }, el("dt", {}, label), el("dd", {}, text(value))));
  }
  const list = (value) => (Array.isArray(value) ? value.filter((v) => v && typeof v === "object") : []);
  rows($("unanswered"), list(data.unanswered), (r) => [formatTime(r.created_at), r.sender, r.text, r.response], "暂无未能回答的问题。");
  rows($("top-items"), list(data.top_items), (r) => [r.name, r.item_code, r.answers], "暂无回答记录。");
  rows($("by-item"), list(ratings.by_item), (r) => [r.item_code, r.votes, r.average], "暂无评价。");
}

function showProblems(problems) {
  const table = $("problems-table");
  const items = Array.isArray(problems) ? problems.filter((p) => p && typeof p === "object") : [];
  table.hidden = !items.length;
  rows($("problems"), items, (p) => [p.file, p.where, p.code, p.field, p.message], "");
}

async function upload(event) {
  event.preventDefault();
  const file = $("file").files[0];
  const status = $("upload-status");
  if (!file) {
    status.textContent = "请先选择文件。";
    return;
  }
  const form = new FormData();
  form.append("file", file);
  form.append("partial", $("partial").checked ? "true" : "false");
  status.textContent = `正在上传并校验 ${file.name}……`;
  showProblems([]);
  const button = event.submitter;
  if (button) button.disabled = true;
  let result;
  try {
    result = await gate.call("POST", "/api/admin/items", { body: form });
  } finally {
    if (button) button.disabled = false;
  }
  if (!result) return;
  if (result.ok && result.data && typeof result.data === "object") {
    const parts = Object.entries(COUNTS)
      .filter(([key]) => typeof result.data[key] === "number")
      .map(([key, label]) => `${label} ${result.data[key]}`);
    status.textContent = `已载入：${parts.join("，")}。`;
    showProblems(result.data.problems);
    loadOverview();
    return;
  }
  const detail = result.data && typeof result.data === "object" ? result.data.detail : null;
  status.textContent = `未载入：${problemText(result, "上传失败，请检查文件后重试。")}`;
  if (detail && typeof detail === "object" && !Array.isArray(detail)) showProblems(detail.problems);
}

$("refresh").addEventListener("click", loadOverview);
$("upload-form").addEventListener("submit", upload);
gate.start();
