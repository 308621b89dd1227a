// Read-aloud: a speaker button (朗读) on each of the assistant's answers and, at the kiosk, a
// switch (朗读回答 开/关) with the language (普通话 / 粤语); switched on, each new answer is read as
// it arrives. The answer stays on screen while it is read.
//
//   <body data-read-aloud="kiosk">    the switch; off for every new citizen (a hall is not filled
//                                     with voices nobody asked for), the buttons shown only when on
//   <body data-read-aloud="buttons">  the buttons only (the web chat), in Mandarin
//
// The sound is POST /api/speech (espeak-ng on the server; it reads only what the assistant said
// to this conversation), played with Web Audio: the pages' CSP takes media from 'self' only, so
// a blob: URL in an <audio> would need the policy loosened, an AudioBuffer does not. Answers come
// from chat-core.js's "chat:answer" event. Without espeak-ng on the server (GET /api/speech says
// so, or a request answers 503 and the status then says so) none of this is shown.

import { el, request } from "./common.js";

const MODE = document.body.dataset.readAloud === "kiosk" ? "kiosk" : "buttons";
// Replies the server does not keep in the transcript, so cannot read: the notice while a person
// is awaited and the "too fast" notice.
const UNSAID = new Set(["utter_human_waiting", "rate_limited"]);

const state = {
  on: MODE !== "kiosk",
  lang: "cmn",
  voices: [],
  answers: [], // {node, text, sender, button, sounds: Map(lang → AudioBuffer)}
  current: null, // {answer, source, controller}
  queue: [],
};
let audio = null; // made on a tap: browsers start sound only after the citizen has touched the page
let controls = null;
let gone = false; // espeak-ng turned out to be missing: no buttons from now on

const ready = request("GET", "/api/speech").then((result) => {
  const available = Boolean(result.ok && result.data && result.data.available === true);
  if (available) {
    state.voices = Array.isArray(result.data.voices) ? result.data.voices : [];
    if (MODE === "kiosk") addControls();
  }
  return available;
});

function context() {
  audio ??= new AudioContext();
  if (audio.state === "suspended") audio.resume();
  return audio;
}

/** The button's look and what it tells assistive technology: pressed while loading or playing. */
function show(button, mode) {
  button.dataset.state = mode;
  button.setAttribute("aria-pressed", String(mode === "loading" || mode === "playing"));
  if (mode === "loading") button.setAttribute("aria-busy", "true");
  else button.removeAttribute("aria-busy");
}

function note(answer, text) {
  answer.node.querySelector(".read-aloud-note")?.remove();
  if (text) answer.button.after(el("span", { class: "read-aloud-note", role: "status" }, text));
}

// ---- sound ------------------------------------------------------------------------------------

async function sound(answer, lang, signal) {
  if (answer.sounds.has(lang)) return answer.sounds.get(lang);
  let response;
  try {
    response = await fetch("/api/speech", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "audio/wav, application/json" },
      body: JSON.stringify({ sender: answer.sender, text: answer.text, lang }),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error?.name !== "AbortError") note(answer, "网络连接中断，未能朗读。");
    return null;
  }
  if (!response.ok) {
    await refused(answer, response);
    return null;
  }
  try {
    const decoded = await context().decodeAudioData(await response.arrayBuffer());
    answer.sounds.set(lang, decoded);
    return decoded;
  } catch (error) {
    if (error?.name !== "AbortError") note(answer, "这条回答暂时无法播放。");
    return null;
  }
}

async function refused(answer, response) {
  let detail = "";
  try {
    detail = (await response.json()).detail;
  } catch {
    detail = "";
  }
  if (response.status === 503) {
    // espeak-ng gone, or only this answer failed: the status says which
    const status = await request("GET", "/api/speech");
    if (!(status.ok && status.data && status.data.available === true)) {
      unavailable();
      return;
    }
  }
  if (response.status === 403 || response.status === 422) answer.button.disabled = true; // never readable
  note(answer, typeof detail === "string" && detail ? detail : "暂时无法朗读，请稍后再试。");
}

async function start(answer) {
  const current = { answer, source: null, controller: new AbortController() };
  state.current = current;
  note(answer, "");
  show(answer.button, "loading");
  const decoded = await sound(answer, state.lang, current.controller.signal);
  if (state.current !== current) return; // stopped, or another answer chosen, meanwhile
  if (!decoded) {
    finish(current);
    return;
  }
  const player = context();
  const source = player.createBufferSource();
  source.buffer = decoded;
  source.connect(player.destination);
  source.addEventListener("ended", () => finish(current));
  current.source = source;
  source.start();
  show(answer.button, "playing");
}

/** The current answer is done: its button back at rest, the next one in the queue read. */
function finish(current) {
  if (state.current !== current) return;
  state.current = null;
  show(current.answer.button, "idle");
  const next = state.queue.shift();
  if (next) start(next);
}

function stop() {
  const current = state.current;
  state.current = null;
  state.queue = [];
  if (!current) return;
  current.controller.abort();
  try {
    current.source?.stop();
  } catch {
    // not started yet
  }
  show(current.answer.button, "idle");
}

function play(answer) {
  stop();
  start(answer);
}

// ---- the buttons and the kiosk's switch ---------------------------------------------------------

function addButton(answer) {
  const button = el(
    "button",
    { type: "button", class: "read-aloud", "aria-label": "朗读这条回答", "aria-pressed": "false", "data-state": "idle" },
    el("span", { class: "read-aloud-icon", "aria-hidden": "true" }),
    el("span", { class: "read-aloud-label" }, "朗读"),
  );
  button.hidden = !state.on;
  button.addEventListener("click", () => {
    if (state.current?.answer === answer) stop();
    else play(answer);
  });
  answer.button = button;
  const text = answer.node.querySelector(".text");
  if (text) text.after(button);
  else answer.node.prepend(button);
  state.answers.push(answer);
}

function addControls() {
  const toggle = el(
    "button",
    { type: "button", role: "switch", "aria-checked": "false", class: "read-aloud-switch secondary" },
    "朗读回答",
    el("span", { class: "read-aloud-state", "aria-hidden": "true" }, "关"),
  );
  toggle.addEventListener("click", () => switchTo(!state.on));
  const languages = el("div", { class: "read-aloud-langs", role: "group", "aria-label": "朗读语言", hidden: true });
  for (const voice of state.voices) {
    if (!voice || typeof voice.lang !== "string") continue;
    const button = el("button", { type: "button", class: "secondary", "data-lang": voice.lang, "aria-pressed": String(voice.lang === state.lang) }, String(voice.label ?? voice.lang));
    button.addEventListener("click", () => speakIn(voice.lang));
    languages.append(button);
  }
  controls = el("div", { class: "read-aloud-controls" }, toggle, languages);
  const header = document.querySelector("header");
  const home = document.getElementById("home");
  if (home && home.parentElement === header) header.insertBefore(controls, home);
  else (header || document.getElementById("main") || document.body).append(controls);
}

function switchTo(on) {
  state.on = on;
  if (controls) {
    const toggle = controls.querySelector(".read-aloud-switch");
    toggle.setAttribute("aria-checked", String(on));
    toggle.querySelector(".read-aloud-state").textContent = on ? "开" : "关";
    controls.querySelector(".read-aloud-langs").hidden = !on;
  }
  for (const answer of state.answers) answer.button.hidden = !on;
  if (!on) {
    stop();
    return;
  }
  context(); // this tap lets the answers still to come be heard
  const last = state.answers[state.answers.length - 1];
  if (last && !last.button.disabled) play(last);
}

function speakIn(lang) {
  const again = state.current?.answer;
  state.lang = lang;
  for (const button of controls.querySelectorAll(".read-aloud-langs button")) button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  if (again) play(again); // heard from the start in the other language
}

function unavailable() {
  gone = true;
  stop();
  for (const answer of state.answers) answer.button.remove();
  state.answers = [];
  controls?.remove();
  controls = null;
}

// ---- wiring -----------------------------------------------------------------------------------

document.addEventListener("chat:answer", (event) => {
  const { reply, sender } = event.detail || {};
  const text = reply && reply.text;
  if (typeof text !== "string" || !text.trim() || typeof sender !== "string") return;
  if (UNSAID.has(reply.custom && reply.custom.response)) return;
  const answer = { node: event.target, text, sender, button: null, sounds: new Map() };
  ready.then((available) => {
    if (!available || gone) return;
    addButton(answer);
    if (MODE === "kiosk" && state.on) {
      if (state.current) state.queue.push(answer);
      else start(answer);
    }
  });
});

// The kiosk empties its log between citizens: the next one starts with the switch off, in Mandarin.
const log = document.getElementById("log");
if (log && MODE === "kiosk") {
  new MutationObserver(() => {
    if (log.children.length) return;
    stop();
    state.answers = [];
    if (controls) {
      switchTo(false);
      speakIn("cmn");
    }
  }).observe(log, { childList: true });
}
