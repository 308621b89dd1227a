// A classic script in <head>, not a module: it has to run before the first paint, so that a
// citizen who chose large type (大字模式) on an earlier visit never sees the page drawn small
// and then jump. The page names its storage key in <html data-elder-key>; without one (the
// kiosk, which keeps nothing in the browser) the class the server wrote stands.
(function () {
  var root = document.documentElement;
  var key = root.getAttribute("data-elder-key");
  if (!key) return;
  try {
    var saved = window.localStorage.getItem(key);
    if (saved === "1") root.classList.add("elder");
    else if (saved === "0") root.classList.remove("elder");
  } catch (e) {
    // Storage refused (a locked-down in-app browser): the server's default stands.
  }
})();
