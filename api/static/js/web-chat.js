// The web chat (/): a phone-first page. The conversation id lives in localStorage so a reload
// continues it; /?sender=XYZ adopts conversation XYZ (the kiosk's "continue on your phone" QR).
// Elder mode (大字模式) is remembered there too; elder-early.js applies it before the first paint.

import { Chat, MAX_LENGTH } from "./chat-core.js";
import { newSender } from "./common.js";
import { elderToggle } from "./elder-mode.js";

const STORAGE_KEY = "guide.sender";
const SENDER_RE = /^[\w.:-]{1,128}$/; // what the API accepts, minus characters that never occur

function currentSender() {
  const url = new URL(location.href);
  const given = url.searchParams.get("sender");
  if (given && SENDER_RE.test(given)) {
    localStorage.setItem(STORAGE_KEY, given);
    // Drop it from the address bar: a shared screenshot or bookmark should not carry it.
    url.searchParams.delete("sender");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
    return given;
  }
  let sender = localStorage.getItem(STORAGE_KEY);
  if (!sender || !SENDER_RE.test(sender)) {
    sender = newSender("web");
    localStorage.setItem(STORAGE_KEY, sender);
  }
  return sender;
}

function start() {
  const form = document.getElementById("ask");
  const input = document.getElementById("message");
  elderToggle(document.getElementById("elder-toggle"), {
    key: document.documentElement.dataset.elderKey,
    status: document.getElementById("elder-status"),
    onChange: () => fit(),
  });
  const chat = new Chat({
    log: document.getElementById("log"),
    status: document.getElementById("handoff"),
    channel: "web",
    sender: currentSender(),
    focusAfter: input,
  });
  input.maxLength = MAX_LENGTH;

  const submit = async (text) => {
    if (!text.trim() || chat.busy) return;
    input.value = "";
    fit();
    await chat.send(text);
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(input.value);
    input.focus();
  });
  // Enter sends, Shift+Enter is a new line; never while a Chinese IME is composing (its Enter
  // confirms the candidate word).
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  // Grow the box with its text, up to the CSS max-height.
  const fit = () => {
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight}px`;
  };
  input.addEventListener("input", fit);

  for (const chip of document.querySelectorAll("#chips .chip")) {
    chip.addEventListener("click", () => {
      submit(chip.textContent);
      input.focus();
    });
  }
  chat.resume();
}

start();
