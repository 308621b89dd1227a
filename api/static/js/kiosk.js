// The hall kiosk (/kiosk): themes and common items as big buttons, answers as cards, a printable
// material checklist, a QR code to continue on a phone, and an idle reset so that the next citizen
// never sees the previous one's conversation. The conversation id is kept in memory only.

import { Chat } from "./chat-core.js";
import { clear, el, newSender, request, safeUrl } from "./common.js";
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
  dialog: $("idle"),
  countdown: $("countdown"),
  stay: $("stay"),
  onExpire: reset,
});

function showQr() {
  const target = `${publicUrl}/?sender=${chat.sender}`;
  $("qr").src = `/api/qr?text=${encodeURIComponent(target)}`;
}

function showChat() {
  homeScreen.hidden = true;
  chatScreen.hidden = false;
}

function showHome() {
  chatScreen.hidden = true;
  homeScreen.hidden = false;
}

async function ask(text, shown) {
  if (!text.trim()) return;
  showChat();
  idle.arm(); // from now on there is something to clear
  await chat.send(text, shown);
}

/** On each answer about an item: a button that prints its material checklist. */
function addPrintButton(reply, card) {
  const code = reply.custom && reply.custom.item_code;
  if (typeof code !== "string" || !code) return;
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
  closeViewer();
  clear($("print-rows"));
  showHome();
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

// ---- links in answers open in a viewer on the same page --------------------------------------

const viewer = $("viewer");
const frame = $("viewer-frame");

function closeViewer() {
  if (viewer.open) viewer.close();
  frame.removeAttribute("src");
}

log.addEventListener("click", (event) => {
  const link = event.target.closest("a");
  if (!link) return;
  event.preventDefault();
  const href = safeUrl(link.getAttribute("href"));
  if (!href) return;
  const url = new URL(href);
  if (url.origin === location.origin) {
    $("viewer-title").textContent = url.pathname.startsWith("/apply/") ? "申请表" : "办事指南";
    frame.src = url.pathname + url.search;
  } else {
    // The kiosk does not browse other sites: offer the link as a QR code for the phone.
    $("viewer-title").textContent = "请用手机扫码打开";
    frame.src = `/api/qr?text=${encodeURIComponent(url.href)}`;
  }
  viewer.showModal();
  $("viewer-close").focus();
});
$("viewer-close").addEventListener("click", closeViewer);

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
