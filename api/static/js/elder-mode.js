// Elder mode (适老化 / 大字模式): a class on <html> that elder.css keys every larger size,
// taller target and stronger focus ring on. The toggle names the mode it switches to.

const root = document.documentElement;
const LABEL = { elder: "标准模式", standard: "大字模式" };
const ANNOUNCE = { elder: "已切换到大字模式", standard: "已切换到标准模式" };

export const isElder = () => root.classList.contains("elder");

/**
 * Wire the toggle button. `key` is where the choice is remembered (localStorage), or null where
 * nothing may be kept (the kiosk: the next citizen starts from the default again); `onChange`
 * is for whatever the page sized from the old text (a grown textarea).
 * Returns set(on), for a page that resets the mode itself.
 */
export function elderToggle(button, { key = null, status = null, onChange = null } = {}) {
  const show = () => {
    button.textContent = isElder() ? LABEL.elder : LABEL.standard;
  };
  const set = (on, { announce = false } = {}) => {
    root.classList.toggle("elder", on);
    show();
    if (key) {
      try {
        localStorage.setItem(key, on ? "1" : "0");
      } catch {
        // Not remembered; the mode still changes for this visit.
      }
    }
    // The button keeps focus and changes its name; some screen readers do not read a changed
    // name, so the change is also said in a status line.
    if (announce && status) status.textContent = on ? ANNOUNCE.elder : ANNOUNCE.standard;
    onChange?.(on);
  };
  button.addEventListener("click", () => set(!isElder(), { announce: true }));
  show();
  return set;
}
