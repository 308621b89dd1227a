// The kiosk's idle reset: after `seconds` without a touch or a key, ask "还在吗？" for ten
// seconds, then clear. Armed only while there is a conversation to clear, so an untouched home
// screen is left alone.

const COUNTDOWN = 10;
const ACTIVITY = ["pointerdown", "touchstart", "keydown", "wheel", "input"];

export class IdleTimer {
  constructor({ seconds, dialog, countdown, stay, onExpire }) {
    Object.assign(this, { seconds, dialog, countdown, stay, onExpire });
    this.armed = false;
    this.timer = null;
    this.tick = null;
  }

  listen() {
    // While the question shows, only a click on it (or its backdrop) answers: closing it on
    // pointerdown would let the same tap's click land on the page underneath.
    const onActivity = () => {
      if (!this.tick) this.touch();
    };
    // Capture phase: a touch counts even where a handler stops it.
    for (const type of ACTIVITY) document.addEventListener(type, onActivity, { capture: true, passive: true });
    this.dialog.addEventListener("click", () => this.touch());
    // Escape closes a <dialog> natively: treat it as "still here", not as a dismissal that
    // leaves the countdown running.
    this.dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      this.touch();
    });
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
    if (!this.dialog.open) this.dialog.showModal();
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
    if (this.dialog.open) this.dialog.close();
  }
}
