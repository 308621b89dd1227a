// The token gate of the staff pages (/agent, /admin): asks for the bearer token once, keeps it in
// sessionStorage (gone when the browser tab closes), sends it on every staff API call and asks
// again when the API answers 401. The page's body says which key and which endpoint checks it:
// <body data-token-key="guide.agentToken" data-token-check="/api/agent/queue">.

import { request } from "./common.js";

export class TokenGate {
  constructor({ onReady }) {
    this.key = document.body.dataset.tokenKey;
    this.checkUrl = document.body.dataset.tokenCheck;
    this.onReady = onReady;
    this.login = document.getElementById("login");
    this.form = document.getElementById("login-form");
    this.input = document.getElementById("token");
    this.error = document.getElementById("login-error");
    this.main = document.getElementById("workspace");
    this.logout = document.getElementById("logout");
    this.ready = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.tryToken(this.input.value.trim());
    });
    this.logout.addEventListener("click", () => this.ask(""));
  }

  get token() {
    return sessionStorage.getItem(this.key) || "";
  }

  /** Open the page: straight in with a kept token, else the login form. */
  async start() {
    if (this.token) await this.tryToken(this.token, { quiet: true });
    else this.ask("");
  }

  /** Show the login form (again), with a reason. */
  ask(message) {
    sessionStorage.removeItem(this.key);
    this.ready = false;
    this.main.hidden = true;
    this.logout.hidden = true;
    this.login.hidden = false;
    this.error.textContent = message;
    this.input.value = "";
    this.input.focus();
  }

  async tryToken(token, { quiet = false } = {}) {
    if (!token) return this.ask("请输入令牌。");
    const result = await request("GET", this.checkUrl, { headers: { Authorization: `Bearer ${token}` } });
    if (result.status === 401 || result.status === 403) {
      return this.ask(quiet ? "登录已失效，请重新输入令牌。" : "令牌不正确，请重新输入。");
    }
    if (result.status === 0) {
      this.login.hidden = false;
      this.error.textContent = "无法连接服务器，请检查网络后重试。";
      return;
    }
    // Any other answer means the token was accepted; the panels report their own errors.
    sessionStorage.setItem(this.key, token);
    this.login.hidden = true;
    this.main.hidden = false;
    this.logout.hidden = false;
    this.error.textContent = "";
    const first = this.ready;
    this.ready = true;
    if (!first) this.onReady(result);
  }

  /** A staff API call with the token; on 401 the login form comes back and null is returned. */
  async call(method, url, options = {}) {
    const headers = { ...(options.headers || {}), Authorization: `Bearer ${this.token}` };
    const result = await request(method, url, { ...options, headers });
    if (result.status === 401) {
      this.ask("登录已失效或令牌不正确，请重新输入令牌。");
      return null;
    }
    return result;
  }
}
