// The agent console's hand-off side: the queue (polled every 3 s), one open conversation with a
// reply box and 结束人工, and the list of messages recently sent to callers with their status. A
// reply WeChat can no longer deliver (48 hours, quota) is shown as an error: call instead.

import { clear, el, formatTime, problemText } from "./common.js";

const POLL_MS = 3000;
const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const ROLES = { citizen: "群众", bot: "助手", agent: "客服", system: "系统" };
const CHANNELS = { web: "网页", kiosk: "自助终端", wechat: "微信", sms: "短信" };
const STATUSES = { sent: "已发出", recorded: "仅记录（未接入网关）", unreachable: "无法送达，请电话联系", failed: "发送失败" };

/** Show ``text`` in a status line, marked as an error or not. */
export function say(node, text, error = false) {
  node.textContent = text;
  node.classList.toggle("error", error);
}

export class AgentQueue {
  constructor(gate) {
    this.gate = gate;
    this.open = null; // sender of the conversation shown
    this.openChannel = null; // and its channel (a WeChat citizen's sender is the OpenID)
    this.timer = null;
    this.lastSeen = 0; // last transcript message id shown
    $("reply-form").addEventListener("submit", (event) => this.reply(event));
    $("close-handoff").addEventListener("click", () => this.close());
    $("sent-refresh").addEventListener("click", () => this.loadSent());
    // Ctrl/⌘+Enter sends the reply, Enter alone is a new line (agents write longer answers).
    $("reply").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("reply-form").requestSubmit();
    });
  }

  start() {
    this.loadSent();
    if (this.timer) return;
    const tick = async () => {
      if (this.gate.ready) {
        await this.loadQueue();
        if (this.open) await this.loadTranscript();
      }
      this.timer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  async loadQueue() {
    const result = await this.gate.call("GET", "/api/agent/queue");
    if (!result) return;
    const status = $("queue-status");
    if (!result.ok || !Array.isArray(result.data)) {
      status.textContent = problemText(result, "队列暂时无法刷新。");
      return;
    }
    const list = $("queue");
    const focused = document.activeElement?.closest?.("#queue button")?.dataset.sender;
    clear(list);
    const waiting = result.data.filter((e) => e?.status === "waiting").length;
    status.textContent = result.data.length ? `等待 ${waiting} 位，人工服务中 ${result.data.length - waiting} 位` : "目前没有转人工的群众。";
    for (const entry of result.data) {
      if (!entry || typeof entry.sender !== "string") continue;
      const state = entry.status === "waiting" ? `等待中（第 ${Number(entry.position) || "?"} 位）` : "人工服务中";
      const waited = typeof entry.queued_at === "number" ? `，已等 ${Math.max(0, Math.round((Date.now() / 1000 - entry.queued_at) / 60))} 分钟` : "";
      const button = el(
        "button",
        { type: "button", class: `queue-entry ${entry.status === "waiting" ? "waiting" : "human"}`, "data-sender": entry.sender },
        el("span", { class: "state" }, `${state}${waited}`),
        el("span", { class: "channel" }, `${CHANNELS[entry.channel] || String(entry.channel ?? "")} · ${entry.sender.slice(0, 18)}`),
        el("span", { class: "last" }, String(entry.last_message ?? "")),
      );
      if (entry.sender === this.open) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => this.show(entry.sender, entry.channel));
      list.append(el("li", {}, button));
      // The list is rebuilt every poll: keep the keyboard focus where it was.
      if (entry.sender === focused) button.focus();
    }
  }

  async show(sender, channel) {
    this.open = sender;
    this.openChannel = channel;
    this.lastSeen = 0;
    clear($("transcript"));
    $("conversation").hidden = false;
    $("conversation-title").textContent = `会话 ${sender.slice(0, 24)}`;
    say($("conversation-status"), "");
    document.querySelectorAll("#queue button").forEach((b) => b.toggleAttribute("aria-current", b.dataset.sender === sender));
    await this.loadTranscript();
    $("reply").focus();
  }

  async loadTranscript() {
    const sender = this.open;
    const result = await this.gate.call("GET", `/api/agent/conversations/${enc(sender)}`);
    if (!result || sender !== this.open) return;
    if (!result.ok || !Array.isArray(result.data)) {
      $("conversation-status").textContent = problemText(result, "会话记录暂时无法读取。");
      return;
    }
    const log = $("transcript");
    for (const message of result.data) {
      const id = Number(message?.id) || 0;
      if (id <= this.lastSeen) continue; // appended, not rebuilt: a screen reader hears only news
      this.lastSeen = id;
      log.append(
        el(
          "li",
          { class: `line ${String(message.role ?? "")}` },
          el("span", { class: "who" }, ROLES[message.role] || String(message.role ?? "")),
          el("span", { class: "time" }, formatTime(message.created_at)),
          el("p", { class: "text" }, String(message.text ?? "")),
        ),
      );
      log.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  }

  async reply(event) {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!text || !this.open) return;
    const status = $("conversation-status");
    const result = await this.gate.call("POST", `/api/agent/conversations/${enc(this.open)}/reply`, { json: { text } });
    if (!result) return;
    if (!result.ok) {
      // The text stays in the box: to try again, or to read out on the phone.
      say(status, `回复未发出：${problemText(result)}`, true);
      this.loadSent();
      return;
    }
    $("reply").value = "";
    say(status, "已回复。");
    await this.loadTranscript();
    await this.loadQueue();
  }

  async close() {
    if (!this.open) return;
    const result = await this.gate.call("POST", `/api/agent/conversations/${enc(this.open)}/close`);
    if (!result) return;
    if (!result.ok) {
      $("conversation-status").textContent = `未能结束：${problemText(result)}`;
      return;
    }
    this.open = null;
    this.openChannel = null;
    $("conversation").hidden = true;
    await this.loadQueue();
    $("queue-status").textContent = "已结束人工服务，会话交还智能助手。";
    $("q").focus();
  }

  async loadSent() {
    const result = await this.gate.call("GET", "/api/agent/sent");
    if (!result || !result.ok || !Array.isArray(result.data)) return;
    const body = $("sent");
    clear(body);
    for (const row of result.data.slice(0, 50)) {
      body.append(
        el(
          "tr",
          {},
          el("td", {}, formatTime(row?.created_at)),
          el("td", {}, CHANNELS[row?.channel] || String(row?.channel ?? "")),
          el("td", {}, String(row?.recipient ?? "")),
          el("td", { class: "clip" }, String(row?.text ?? "")),
          el("td", {}, STATUSES[row?.status] || String(row?.status ?? "")),
        ),
      );
    }
    if (!result.data.length) body.append(el("tr", {}, el("td", { colspan: 5 }, "还没有发送记录。")));
  }
}
