// The hall kiosk (/kiosk): themes and common items as big buttons, answers as cards, a printable
// material checklist, a QR code to continue on a phone, and an idle reset so that the next citizen
// never sees the previous one's conversation. The conversation id is kept in memory only. It
// starts in elder mode (大字模式) and every reset brings that back for the next citizen.

import { Chat } from "./chat-core.js";
import { clear, el, newSender, request, safeUrl } from "./common.js";
import { elderToggle, isElder } from "./elder-mode.js";
import { IdleTimer } from "./kiosk-idle.js";
import { printChecklist } from "./kiosk-print.js";

const $ = (id) => document.getElementById(id);
const body = document.body;
const publicUrl = body.dataset.publicUrl || location.origin;

const homeScreen = $("home-screen");
const chatScreen = $("chat-screen");
const input = $("message");
const log = $("log");

const chat = new Chat({
  log,
  status: $("handoff"),
  channel: "kiosk",
  sender: newSender("kiosk"),
  linkTarget: null, // links open in the in-page viewer, never a new window on a kiosk
  focusAfter: input,
  decorate: addPrintButton,
  onActivity: () => idle.touch(),
});

const idle = new IdleTimer({
  seconds: Number(body.dataset.idleSeconds) || 90,
  panel: $("idle"),
  countdown: $("countdown"),
  stay: $("stay"),
  returnFocus: input,
  onExpire: reset,
});

// Not remembered (no key): the kiosk keeps nothing in the browser between citizens.
const setElder = elderToggle($("elder-toggle"), { status: $("elder-status"), onChange: () => styleFrame() });

function showQr() {
  const target = `${publicUrl}/?sender=${chat.sender}`;
  $("qr").src = `/api/qr?text=${encodeURIComponent(target)}`;
}

function showChat() {
  closeViewer({ restoreFocus: false });
  homeScreen.hidden = true;
  chatScreen.hidden = false;
}

function showHome() {
  closeViewer({ restoreFocus: false });
  chatScreen.hidden = true;
  homeScreen.hidden = false;
}

async function ask(text, shown) {
  if (!text.trim()) return;
  showChat();
  idle.arm(); // from now on there is something to clear
  await chat.send(text, shown);
}

/** On each answer about an item (the API marks those for feedback): a button that prints its
 * material checklist. Not on a question the assistant asks, such as the checklist's own. */
function addPrintButton(reply, card) {
  const code = reply.custom && reply.custom.item_code;
  if (typeof code !== "string" || !code || !reply.custom.feedback) return;
  // A personal checklist's answers travel with its answer: the print lists only those materials.
  const personal = reply.custom.checklist && reply.custom.checklist.code === code ? reply.custom.checklist.answers : null;
  const button = el("button", { type: "button", class: "big secondary print-button" }, personal ? "打印我的材料清单" : "打印材料清单");
  const status = el("p", { class: "small", role: "status" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "正在准备材料清单……";
    const ok = await printChecklist(code, personal);
    status.textContent = ok ? "" : "材料清单暂时无法打印，请到服务窗口咨询。";
    button.disabled = false;
  });
  card.append(button, status);
}

/** Between citizens: clear the screen first (privacy), then ask the server to forget. */
async function reset() {
  const old = chat.sender;
  chat.setSender(newSender("kiosk"));
  clear(log);
  input.value = "";
  clear($("print-rows"));
  showHome();
  setElder(true);
  showQr();
  idle.disarm();
  window.scrollTo(0, 0);
  $("home").focus();
  const result = await request("DELETE", `/api/conversations/${encodeURIComponent(old)}`);
  if (!result.ok && result.status !== 404) {
    // One retry: the transcript of the last citizen should not stay behind.
    setTimeout(() => request("DELETE", `/api/conversations/${encodeURIComponent(old)}`), 5000);
  }
}

// ---- the home screen: themes and their items ----------------------------------------------

async function loadThemes() {
  const status = $("themes-status");
  const result = await request("GET", "/api/items/themes");
  const themes = result.ok && result.data && Array.isArray(result.data.themes) ? result.data.themes : null;
  if (!themes || !themes.length) {
    status.textContent = "事项列表暂时无法加载，您可以在下方直接输入问题。";
    return;
  }
  status.textContent = "";
  const container = $("themes");
  themes.forEach((theme, index) => {
    const titleId = `theme-${index}`;
    const section = el("section", { class: "theme", "aria-labelledby": titleId });
    section.append(el("h3", { id: titleId }, String(theme.theme ?? "")));
    const grid = el("div", { class: "items" });
    for (const item of Array.isArray(theme.items) ? theme.items : []) {
      if (!item || typeof item.name !== "string") continue;
      const button = el("button", { type: "button", class: "item big" }, item.name);
      button.addEventListener("click", () => ask(item.name));
      grid.append(button);
    }
    section.append(grid);
    container.append(section);
  });
}

// ---- links in answers open in a viewer in place of the answers --------------------------------

const viewer = $("viewer");
const frame = $("viewer-frame");
let viewerOpener = null; // the link that opened the viewer: focus goes back to it

function openViewer(title, src, opener) {
  $("viewer-title").textContent = title;
  frame.title = title;
  frame.src = src;
  viewerOpener = opener;
  chatScreen.hidden = true;
  viewer.hidden = false;
  viewer.scrollIntoView({ block: "start" });
  $("viewer-close").focus({ preventScroll: true });
}

/** The guide in the viewer follows the kiosk's mode: large type is laid over it (same origin). */
function styleFrame() {
  const doc = frame.contentDocument; // null while empty; a QR code's SVG document has no <head>
  if (!doc?.head) return;
  const existing = doc.getElementById("kiosk-elder");
  if (isElder() && !existing) {
    doc.head.append(el("link", { id: "kiosk-elder", rel: "stylesheet", href: "/static/css/guide-elder.css" }));
  } else if (!isElder() && existing) {
    existing.remove();
  }
}
frame.addEventListener("load", styleFrame);

function closeViewer({ restoreFocus = true } = {}) {
  if (viewer.hidden) return;
  viewer.hidden = true;
  frame.removeAttribute("src");
  chatScreen.hidden = false;
  if (restoreFocus && viewerOpener?.isConnected) {
    viewerOpener.focus({ preventScroll: true });
    viewerOpener.scrollIntoView({ block: "center" });
  }
  viewerOpener = null;
}

log.addEventListener("click", (event) => {
  const link = event.target.closest("a");
  if (!link) return;
  event.preventDefault();
  const href = safeUrl(link.getAttribute("href"));
  if (!href) return;
  const url = new URL(href);
  if (url.origin === location.origin) {
    openViewer(url.pathname.startsWith("/apply/") ? "申请表" : "办事指南", url.pathname + url.search, link);
  } else {
    // The kiosk does not browse other sites: offer the link as a QR code for the phone.
    openViewer("请用手机扫码打开", `/api/qr?text=${encodeURIComponent(url.href)}`, link);
  }
});
$("viewer-close").addEventListener("click", () => closeViewer());

// ---- wiring ---------------------------------------------------------------------------------

$("ask").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  input.value = "";
  ask(text);
});
$("home").addEventListener("click", () => {
  showHome();
  input.blur();
});

showQr();
loadThemes();
idle.listen();
