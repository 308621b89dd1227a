// The 12345 hotline agent console (/agent): search first, then the full guide and manual, copy a
// plain-text answer, send the material checklist by SMS or WeChat; the hand-off queue and the
// recently sent messages are in agent-queue.js. Staff API calls go through the token gate.

import { TokenGate } from "./auth.js";
import { AgentQueue, say } from "./agent-queue.js";
import { clear, el, problemText, request } from "./common.js";

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

const gate = new TokenGate({ onReady: () => ready() });
const queue = new AgentQueue(gate);
let current = null; // the result shown in the detail pane
let searchController = null;

function ready() {
  queue.start();
  $("q").focus();
}

// ---- search -----------------------------------------------------------------------------------

async function search(event) {
  event.preventDefault();
  const q = $("q").value.trim();
  const region = $("region").value.trim();
  if (!q) return;
  const status = $("search-status");
  const list = $("results");
  status.textContent = "正在检索……";
  // A newer search supersedes the one still running.
  searchController?.abort();
  searchController = new AbortController();
  const params = new URLSearchParams({ q, limit: "20" });
  if (region) params.set("region", region);
  let result;
  try {
    result = await request("GET", `/api/items/search?${params}`, { signal: searchController.signal });
  } catch {
    return; // aborted
  }
  clear(list);
  if (!result.ok) {
    status.textContent = problemText(result, "检索失败，请稍后再试。");
    return;
  }
  const rows = Array.isArray(result.data?.results) ? result.data.results : [];
  const scope = result.data?.region ? `（限定 ${result.data.region}）` : "";
  status.textContent = rows.length ? `找到 ${rows.length} 条实施清单${scope}` : `没有找到相关事项${scope}，请换个说法再试。`;
  for (const row of rows) list.append(resultItem(row));
}

function resultItem(row) {
  const button = el(
    "button",
    { type: "button", class: "result" },
    el("span", { class: "name" }, String(row.name ?? "")),
    el("span", { class: "region" }, String(row.region ?? "").replace(/^广东省/, "")),
    el("span", { class: "body" }, String(row.body ?? "")),
    el("span", { class: "score" }, `相关度 ${Number(row.score ?? 0).toFixed(2)}`),
  );
  button.addEventListener("click", () => openResult(row, button));
  return el("li", {}, button);
}

// ---- the detail pane: guide / manual, copy, send ---------------------------------------------

function openResult(row, button) {
  current = row;
  document.querySelectorAll("#results .result[aria-current]").forEach((b) => b.removeAttribute("aria-current"));
  button.setAttribute("aria-current", "true");
  $("detail").hidden = false;
  $("detail-title").textContent = String(row.name ?? "");
  $("detail-meta").textContent = `${String(row.region ?? "")} · ${String(row.body ?? "")} · 实施编码 ${String(row.code ?? "")}`;
  $("copy-status").textContent = "";
  say($("send-status"), "");
  loadQuestions();
  showTab("guide");
  $("detail-title").setAttribute("tabindex", "-1");
  $("detail-title").focus();
}

function showTab(which) {
  if (!current) return;
  const guide = which === "guide";
  for (const [id, selected] of [["tab-guide", guide], ["tab-manual", !guide]]) {
    $(id).setAttribute("aria-selected", String(selected));
    $(id).tabIndex = selected ? 0 : -1;
  }
  $("doc-panel").setAttribute("aria-labelledby", guide ? "tab-guide" : "tab-manual");
  const frame = $("doc-frame");
  frame.title = guide ? "办事指南" : "业务手册";
  frame.src = `/api/items/${enc(current.code)}/${guide ? "guide" : "manual"}`;
}

function tabKeys(event) {
  // Arrow keys move between the two tabs (the ARIA tabs pattern).
  if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
  const next = event.currentTarget.id === "tab-guide" ? "manual" : "guide";
  showTab(next);
  $(`tab-${next}`).focus();
}

/** The answer to read out or paste: the checklist's text, else the guide as shown. */
async function answerText() {
  const result = await request("GET", `/api/items/${enc(current.code)}/checklist`);
  if (result.ok && typeof result.data?.text === "string" && result.data.text) return result.data.text;
  try {
    return $("doc-frame").contentDocument?.body?.innerText || "";
  } catch {
    return "";
  }
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain http on the hall LAN) or no permission: the old way.
    const area = el("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

async function copyAnswer() {
  if (!current) return;
  const status = $("copy-status");
  const text = await answerText();
  if (!text) {
    status.textContent = "暂时无法取得答复内容，请稍后再试。";
    return;
  }
  status.textContent = (await copyText(text)) ? "已复制到剪贴板。" : "复制失败，请在指南中手动选择文字复制。";
}

// ---- the personal checklist's questions: the caller's answers decide which materials are sent --

/** The answers chosen so far, by question id. */
function answers() {
  const chosen = {};
  for (const select of document.querySelectorAll("#send-questions select")) {
    if (select.value) chosen[select.dataset.question] = select.value;
  }
  return chosen;
}

/** The open item's questions as they stand after the answers chosen (a 业务办理项 chosen may
 * add or remove questions), one select each; none for an item whose materials do not depend. */
async function loadQuestions(chosen = {}) {
  const box = $("send-questions");
  const code = current?.code;
  const focused = document.activeElement?.dataset?.question; // re-rendered: keep the keyboard's place
  const query = new URLSearchParams(chosen).toString();
  const result = await request("GET", `/api/items/${enc(code)}/checklist${query ? `?${query}` : ""}`);
  if (current?.code !== code) return; // another item was opened meanwhile
  clear(box);
  const questions = result.ok && Array.isArray(result.data?.questions) ? result.data.questions : [];
  if (!questions.length) return;
  box.append(el("p", { class: "hint" }, "按来电人的情况回答（可不答），只发送适用的材料："));
  questions.forEach((question, index) => {
    const id = `send-question-${index}`;
    const select = el("select", { id, "data-question": String(question.id) }, el("option", { value: "" }, "未回答"));
    for (const option of question.options || []) {
      const item = el("option", { value: String(option) }, String(option));
      if (option === question.answer) item.selected = true;
      select.append(item);
    }
    select.addEventListener("change", () => loadQuestions(answers()));
    box.append(el("label", { for: id }, String(question.text ?? "")), select);
    if (focused && focused === String(question.id)) select.focus();
  });
}

async function sendChecklist(event) {
  event.preventDefault();
  if (!current) return;
  const status = $("send-status");
  const channel = $("send-channel").value;
  const recipient = $("recipient").value.trim();
  if (!recipient) return;
  say(status, "正在发送……");
  const result = await gate.call("POST", "/api/agent/send", {
    json: { channel, recipient, item_code: current.code, situation: null, answers: answers() },
  });
  if (!result) return;
  if (!result.ok) {
    say(status, `未发送：${problemText(result, "发送失败，请稍后再试。")}`, true);
    queue.loadSent();
    return;
  }
  const how = channel === "sms" ? "短信" : "微信";
  say(status, `已通过${how}发送至 ${String(result.data?.recipient ?? "")}。`);
  $("recipient").value = "";
  queue.loadSent();
}

function recipientLabel() {
  const sms = $("send-channel").value === "sms";
  $("recipient-label").textContent = sms ? "手机号码" : "微信 OpenID";
  $("recipient").inputMode = sms ? "tel" : "text";
  // The WeChat citizen whose conversation is open is the likely recipient: their OpenID.
  if (!sms && !$("recipient").value && queue.openChannel === "wechat") $("recipient").value = queue.open;
}

$("search-form").addEventListener("submit", search);
$("tab-guide").addEventListener("click", () => showTab("guide"));
$("tab-manual").addEventListener("click", () => showTab("manual"));
$("tab-guide").addEventListener("keydown", tabKeys);
$("tab-manual").addEventListener("keydown", tabKeys);
$("copy").addEventListener("click", copyAnswer);
$("send-form").addEventListener("submit", sendChecklist);
$("send-channel").addEventListener("change", recipientLabel);
gate.start();
