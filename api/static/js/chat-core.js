// The conversation shared by the web chat and the kiosk: sends turns to the REST webhook (Rasa's
// format), renders the replies (text, buttons, feedback, application link, hand-off), and polls
// for a person's messages while the conversation is handed off.

import { el, linkify, request, safeUrl } from "./common.js";

export const MAX_LENGTH = 2000; // the API refuses longer messages
const POLL_MS = 2500;

const enc = encodeURIComponent;

/** What the citizen reads when a turn fails: polite, and never the raw error. */
function failureText(result) {
  if (result.status === 0) return "网络连接似乎中断了，消息没有发出。请检查网络后再试一次。";
  if (result.status === 429) return "您发送得有点快，请稍等片刻再试。";
  if (result.status === 413 || result.status === 422) return "这条消息未能发送：内容过长或格式不正确，请修改后再试。";
  return "抱歉，服务暂时繁忙，请稍后再试，或拨打 12345 政务服务便民热线。";
}

/** The draft's QR code is served by this site; load it from this origin whatever host the link
 * names (the configured public URL may differ from the one the page was opened with), so that the
 * page's img-src 'self' policy holds. */
function qrSource(value) {
  const href = safeUrl(value);
  if (!href) return null;
  const url = new URL(href);
  return /^\/apply\/[^/]+\/qr\.svg$/.test(url.pathname) ? url.pathname : href;
}

export class Chat {
  /**
   * @param {object} options
   * @param {HTMLElement} options.log      the <ol> the bubbles go in, inside the role="log" region
   * @param {HTMLElement} options.status   the hand-off status line
   * @param {string} options.channel       "web" or "kiosk"
   * @param {string} options.sender
   * @param {string|null} options.linkTarget  where links open (null: same tab, the kiosk intercepts)
   * @param {HTMLElement} [options.focusAfter] where focus returns after a reply button is used
   * @param {Function} [options.decorate]  (reply, node) => void, for page-specific extras
   * @param {Function} [options.onActivity] called when something arrives (the kiosk's idle timer)
   */
  constructor({ log, status, channel, sender, linkTarget = "_blank", focusAfter = null, decorate = null, onActivity = null }) {
    Object.assign(this, { log, status, channel, sender, linkTarget, focusAfter, decorate, onActivity });
    this.region = log.closest('[role="log"]') || log; // where aria-busy belongs
    this.busy = false;
    this.lastId = 0; // the last agent/system message shown
    this.polling = false;
    this.pollTimer = null;
  }

  /** Start over with another conversation id (the kiosk between citizens). */
  setSender(sender) {
    this.stopHandoff();
    this.sender = sender;
    this.lastId = 0;
  }

  /** Pick up a conversation opened elsewhere (?sender=… from the kiosk's QR, or a reload): skip
   * person/system messages already there, and resume polling if a person has it. */
  async resume() {
    const sender = this.sender;
    const [status, messages] = await Promise.all([
      request("GET", `/api/conversations/${enc(sender)}/status`),
      request("GET", `/api/conversations/${enc(sender)}/messages?after=0`),
    ]);
    if (sender !== this.sender) return;
    const handedOff = status.ok && status.data && (status.data.status === "waiting" || status.data.status === "human");
    if (messages.ok && Array.isArray(messages.data) && messages.data.length) {
      if (handedOff) messages.data.slice(-10).forEach((m) => this.showPersonMessage(m));
      this.lastId = Math.max(this.lastId, ...messages.data.map((m) => Number(m.id) || 0));
    }
    if (handedOff) this.startHandoff(status.data);
  }

  /** Send one message; `shown` is what the citizen's bubble says (a button's title, not its
   * payload). Returns true when the assistant answered. */
  async send(message, shown = message) {
    const text = String(message ?? "").trim();
    if (!text || this.busy) return false;
    if (text.length > MAX_LENGTH) {
      this.addNotice(`消息太长了，请控制在 ${MAX_LENGTH} 字以内。`);
      return false;
    }
    this.busy = true;
    this.region.setAttribute("aria-busy", "true");
    this.addBubble("user", shown);
    const pending = this.addBubble("bot", "正在查询……", { pending: true });
    const sender = this.sender;
    let result;
    try {
      result = await request("POST", "/webhooks/rest/webhook", { json: { sender, message: text, channel: this.channel } });
    } finally {
      pending.remove();
      this.busy = false;
      this.region.removeAttribute("aria-busy");
    }
    if (sender !== this.sender) return false; // the kiosk was reset meanwhile: drop the answer
    if (!result.ok || !Array.isArray(result.data)) {
      this.addBubble("bot", failureText(result), { error: true });
      return false;
    }
    for (const reply of result.data) {
      if (reply && typeof reply === "object") this.renderReply(reply);
    }
    this.onActivity?.();
    return true;
  }

  addBubble(role, text, { pending = false, error = false, label = null } = {}) {
    const who = { user: "我", bot: "助手", agent: "人工客服" }[role] || "";
    const item = el("li", { class: `msg ${role}${pending ? " pending" : ""}${error ? " error" : ""}` });
    // The agent's label is shown; the others are for screen readers (the bubbles' side says it).
    item.append(el("span", { class: role === "agent" ? "who" : "who visually-hidden" }, label || who));
    const body = el("p", { class: "text" });
    if (role === "user") body.textContent = text; // the citizen's own words: never turned into links
    else body.append(linkify(text, { target: this.linkTarget }));
    item.append(body);
    this.log.append(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  addNotice(text) {
    const item = el("li", { class: "msg system" }, el("p", { class: "text" }, text));
    this.log.append(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  renderReply(reply) {
    const custom = reply.custom && typeof reply.custom === "object" ? reply.custom : {};
    const hasText = typeof reply.text === "string" && reply.text.length > 0;
    const buttons = Array.isArray(reply.buttons) ? reply.buttons : [];
    if (!hasText && !buttons.length && !custom.apply && !custom.feedback && !custom.handoff) return;
    const item = this.addBubble("bot", hasText ? reply.text : "");
    if (!hasText) item.querySelector(".text").remove();
    if (buttons.length) item.append(this.buttonGroup(buttons));
    if (custom.apply && typeof custom.apply === "object") item.append(this.applyBox(custom.apply));
    if (custom.feedback && typeof custom.item_code === "string") item.append(this.feedbackBox(custom.item_code));
    if (custom.item_code) item.dataset.itemCode = String(custom.item_code);
    this.decorate?.(reply, item);
    // For extras that are not the page's own (read-aloud.js): an answer is on screen.
    item.dispatchEvent(new CustomEvent("chat:answer", { bubbles: true, detail: { reply, sender: this.sender } }));
    if (custom.handoff === "waiting") this.startHandoff({ status: "waiting", position: custom.position });
    item.scrollIntoView({ block: "nearest" });
  }

  buttonGroup(buttons) {
    const group = el("div", { class: "buttons", role: "group", "aria-label": "请选择" });
    for (const button of buttons) {
      if (!button || typeof button.payload !== "string") continue;
      const title = typeof button.title === "string" && button.title ? button.title : button.payload;
      const node = el("button", { type: "button", class: "reply-button" }, title);
      node.addEventListener("click", async () => {
        if (this.busy) return;
        // One choice per question: the group is spent unless the turn failed (then retry is possible).
        const all = group.querySelectorAll("button");
        all.forEach((b) => (b.disabled = true));
        node.setAttribute("aria-pressed", "true");
        const ok = await this.send(button.payload, title);
        if (!ok) {
          all.forEach((b) => (b.disabled = false));
          node.removeAttribute("aria-pressed");
        }
        this.focusAfter?.focus();
      });
      group.append(node);
    }
    return group;
  }

  applyBox(apply) {
    const box = el("div", { class: "apply" });
    const url = safeUrl(apply.url);
    if (url) {
      const link = el("a", { class: "button primary", href: url }, "打开预填申请表");
      if (this.linkTarget) {
        link.target = this.linkTarget;
        link.rel = "noopener noreferrer";
      }
      box.append(link);
    }
    const qr = qrSource(apply.qr);
    if (qr) box.append(el("img", { class: "qr", src: qr, alt: "申请表二维码：用手机扫码打开预填的申请表", width: 180, height: 180 }));
    const hours = Number(apply.expires_in_hours);
    if (Number.isFinite(hours) && hours > 0) box.append(el("p", { class: "small" }, `链接 ${hours} 小时内有效，过期后草稿和其中的个人信息会被删除。`));
    return box;
  }

  feedbackBox(itemCode) {
    const box = el("div", { class: "feedback", role: "group", "aria-label": "这个回答对您有帮助吗？" });
    const question = el("p", { class: "small" }, "这个回答对您有帮助吗？");
    const yes = el("button", { type: "button", class: "fb fb-yes" }, "有帮助");
    const no = el("button", { type: "button", class: "fb fb-no" }, "没帮助");
    const stars = el("div", { class: "stars", role: "group", "aria-label": "为这次回答评分（可选，1 到 5 星）", hidden: true });
    const note = el("p", { class: "small fb-note", role: "status" });
    const post = (helpful, rating) =>
      request("POST", "/api/feedback", { json: { sender: this.sender, item_code: itemCode, helpful, rating, comment: null } });

    const vote = async (helpful, chosen) => {
      yes.disabled = no.disabled = true;
      const result = await post(helpful, null);
      if (!result.ok) {
        yes.disabled = no.disabled = false;
        note.textContent = "反馈未能提交，请稍后再试。";
        return;
      }
      chosen.setAttribute("aria-pressed", "true");
      note.textContent = "谢谢您的反馈！也可以为这次回答打个分：";
      stars.hidden = false;
    };
    yes.addEventListener("click", () => vote(true, yes));
    no.addEventListener("click", () => vote(false, no));

    for (let n = 1; n <= 5; n++) {
      const star = el("button", { type: "button", class: "star", "aria-label": `${n} 星`, "aria-pressed": "false" }, "★");
      star.addEventListener("click", async () => {
        const all = [...stars.querySelectorAll("button")];
        all.forEach((b) => (b.disabled = true));
        const result = await post(null, n);
        if (!result.ok) {
          all.forEach((b) => (b.disabled = false));
          note.textContent = "评分未能提交，请稍后再试。";
          return;
        }
        all.forEach((b, i) => b.setAttribute("aria-pressed", String(i < n)));
        note.textContent = `谢谢您的评分（${n} 星）！`;
      });
      stars.append(star);
    }
    box.append(question, el("div", { class: "fb-row" }, yes, no), note, stars);
    return box;
  }

  // ---- hand-off to a person ----------------------------------------------------------------

  startHandoff(info = {}) {
    this.showHandoff(info);
    if (this.polling) return;
    this.polling = true;
    this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }

  stopHandoff() {
    this.polling = false;
    clearTimeout(this.pollTimer);
    this.pollTimer = null;
    if (this.status) {
      this.status.hidden = true;
      this.status.textContent = "";
    }
  }

  showHandoff({ status, position } = {}) {
    if (!this.status) return;
    this.status.hidden = false;
    if (status === "human") this.status.textContent = "已转人工：人工客服正在为您服务，回复会显示在这里。";
    else {
      const where = Number(position) > 0 ? `（第 ${Number(position)} 位）` : "";
      this.status.textContent = `已转人工，正在为您排队${where}。客服接入后会在这里回复您；发送“取消人工”可返回智能助手。`;
    }
  }

  showPersonMessage(message) {
    if (!message || typeof message.text !== "string") return;
    if (message.role === "agent") this.addBubble("agent", message.text);
    else this.addNotice(message.text);
  }

  async poll() {
    const sender = this.sender;
    const live = () => this.polling && sender === this.sender;
    const messages = await request("GET", `/api/conversations/${enc(sender)}/messages?after=${this.lastId}`);
    if (!live()) return;
    if (messages.ok && Array.isArray(messages.data)) {
      for (const message of messages.data) {
        const id = Number(message?.id) || 0;
        if (id <= this.lastId) continue;
        this.lastId = id;
        this.showPersonMessage(message);
        this.onActivity?.();
      }
    }
    const status = await request("GET", `/api/conversations/${enc(sender)}/status`);
    if (!live()) return;
    if (status.ok && status.data && status.data.status === "bot") {
      this.stopHandoff();
      return;
    }
    if (status.ok && status.data) this.showHandoff(status.data);
    this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }
}
