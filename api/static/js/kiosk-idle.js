// The kiosk's idle reset: after `seconds` without a touch or a key, ask "还在吗？" for ten
// seconds, then clear. Armed only while there is a conversation to clear, so an untouched home
// screen is left alone. The question is a panel in the page, not a modal: elderly citizens lose
// their place when something covers the screen, and a modal traps a screen reader's user.

const COUNTDOWN = 10;
const ACTIVITY = ["pointerdown", "touchstart", "keydown", "wheel", "input", "click"];

export class IdleTimer {
  /**
   * @param {object} options
   * @param {number} options.seconds
   * @param {HTMLElement} options.panel      the question, hidden until asked
   * @param {HTMLElement} options.countdown
   * @param {HTMLElement} options.stay       "I'm still here"
   * @param {HTMLElement} options.returnFocus where focus goes when the question is answered by key
   * @param {Function} options.onExpire
   */
  constructor({ seconds, panel, countdown, stay, returnFocus, onExpire }) {
    Object.assign(this, { seconds, panel, countdown, stay, returnFocus, onExpire });
    this.armed = false;
    this.timer = null;
    this.tick = null;
  }

  listen() {
    const onActivity = (event) => {
      // While the question shows, only a completed tap (click) or a key answers it. Hiding the
      // panel on pointerdown would move the page under the finger before it lifts, and the tap
      // would land on something else.
      if (this.tick && event.type !== "click" && event.type !== "keydown") return;
      this.touch();
    };
    // Capture phase: a touch counts even where a handler stops it.
    for (const type of ACTIVITY) document.addEventListener(type, onActivity, { capture: true, passive: true });
  }

  arm() {
    this.armed = true;
    this.touch();
  }

  disarm() {
    this.armed = false;
    clearTimeout(this.timer);
    this.stopCountdown();
  }

  /** Someone is here: hide the question and start the wait again. */
  touch() {
    this.stopCountdown();
    clearTimeout(this.timer);
    if (this.armed) this.timer = setTimeout(() => this.ask(), this.seconds * 1000);
  }

  ask() {
    let left = COUNTDOWN;
    this.countdown.textContent = String(left);
    this.panel.hidden = false;
    this.panel.scrollIntoView({ block: "start" });
    this.stay.focus();
    this.tick = setInterval(() => {
      left -= 1;
      this.countdown.textContent = String(Math.max(left, 0));
      if (left <= 0) {
        this.stopCountdown();
        this.armed = false;
        this.onExpire();
      }
    }, 1000);
  }

  stopCountdown() {
    clearInterval(this.tick);
    this.tick = null;
    if (this.panel.hidden) return;
    const hadFocus = this.panel.contains(document.activeElement);
    this.panel.hidden = true;
    // Focus was on the hidden button: put it somewhere useful once this key or click is done
    // (moving it now would hand the same key press to the new element), unless something else
    // (the reset) has placed it meanwhile.
    if (!hadFocus) return;
    setTimeout(() => {
      const now = document.activeElement;
      if (!now || now === document.body || this.panel.contains(now)) this.returnFocus?.focus({ preventScroll: true });
    }, 0);
  }
}
