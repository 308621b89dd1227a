// Helpers shared by the pages. Every text that comes from the server goes into the page as a
// text node (textContent / createTextNode): nothing from the server is ever parsed as HTML.

/** Build an element: el("a", {href: "/x", class: "link"}, "text", otherNode). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) {
      // Handlers are functions only: a string would be inline script (and refused by the CSP).
      if (typeof value === "function") node.addEventListener(name.slice(2), value);
    }
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Links the assistant writes: absolute http(s) URLs, and this site's own item and draft paths.
// A link ends at white space, quotes, or any CJK character or full-width punctuation (Chinese
// text runs straight on after a URL: "详见https://…办理"). The path alternative must not start
// inside a word or a URL (the lookbehind).
const LINK = /https?:\/\/[^\s<>"'\u3000-\u9fff\uff00-\uffef]+|(?<![\w/.:-])\/(?:api\/items|apply)\/[^\s<>"'\u3000-\u9fff\uff00-\uffef]+/g;
// Punctuation that ends a sentence rather than the link.
const TRAILING = /[.,;:!?)\]}'"]+$/;

// This site's own pages named by what they are: a 40-character path is no label for a person
// (nor for a screen reader), and at the kiosk it wraps over several lines.
const SITE_LABELS = [
  [/^\/api\/items\/[^/?#]+\/guide$/, "查看办事指南"],
  [/^\/api\/items\/[^/?#]+\/manual$/, "查看业务手册"],
  [/^\/api\/items\/[^/?#]+\/checklist\/print$/, "打开材料清单（可打印）"],
  [/^\/api\/items\/compare$/, "查看完整对比表"],
  [/^\/apply\/[^/?#]+$/, "打开申请表"],
];

/** How a link is shown: this site's pages by name, any other address as it is. */
export function linkLabel(url) {
  let path = null;
  try {
    const parsed = new URL(url, window.location.origin);
    if (parsed.origin === window.location.origin) path = parsed.pathname;
  } catch {
    return url;
  }
  const known = path && SITE_LABELS.find(([pattern]) => pattern.test(path));
  return known ? known[1] : url;
}

/** Text as a fragment of text nodes and <a> elements (http, https and site paths only). */
export function linkify(text, { target = "_blank" } = {}) {
  const fragment = document.createDocumentFragment();
  const source = String(text ?? "");
  let last = 0;
  for (const match of source.matchAll(LINK)) {
    let url = match[0];
    const trailing = url.match(TRAILING);
    if (trailing) url = url.slice(0, -trailing[0].length);
    if (!url || url.endsWith("//")) continue;
    fragment.append(source.slice(last, match.index));
    const link = el("a", { href: url, class: "link" }, linkLabel(url));
    if (target) {
      link.target = target;
      link.rel = "noopener noreferrer";
    }
    fragment.append(link);
    last = match.index + url.length;
  }
  fragment.append(source.slice(last));
  return fragment;
}

/** A URL from the server fit for href/src: http(s) or a path on this site, else null (no
 * javascript:, data: or other schemes). */
export function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A random conversation id. crypto.randomUUID needs a secure context (https or localhost); a
 * kiosk on a hall LAN over plain http has only getRandomValues, which is as random. */
export function newSender(prefix = "web") {
  if (globalThis.crypto?.randomUUID) return `${prefix}-${crypto.randomUUID()}`;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** fetch that never throws: {ok, status, data} with data parsed from JSON when there is any;
 * status 0 means the network failed. */
export async function request(method, url, { json, body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal, credentials: "same-origin" };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    return { ok: false, status: 0, data: null };
  }
  let data = null;
  const type = response.headers.get("content-type") || "";
  try {
    if (type.includes("json")) data = await response.json();
    else if (response.status !== 204) data = await response.text();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

/** A message for a failed API call, from FastAPI's {"detail": ...} when it says something useful. */
export function problemText(result, fallback = "操作未能完成，请稍后再试。") {
  if (result.status === 0) return "无法连接服务器，请检查网络后重试。";
  const detail = result.data && typeof result.data === "object" ? result.data.detail : null;
  if (typeof detail === "string" && detail) return detail;
  if (detail && typeof detail === "object" && !Array.isArray(detail) && typeof detail.message === "string") return detail.message;
  if (Array.isArray(detail) && detail.length) {
    // Pydantic validation errors: say which fields, not the raw structure.
    return "输入有误：" + detail.map((d) => `${(d.loc || []).slice(1).join(".") || "请求"} ${d.msg || ""}`.trim()).join("；");
  }
  if (result.status >= 500) return "服务暂时不可用，请稍后再试。";
  return fallback;
}

/** Seconds since the epoch (the API's created_at) as local date and time. */
export function formatTime(seconds) {
  if (typeof seconds !== "number") return "";
  return new Date(seconds * 1000).toLocaleString("zh-CN", { hour12: false });
}

/** Remove every child of a node. */
export function clear(node) {
  node.replaceChildren();
}
