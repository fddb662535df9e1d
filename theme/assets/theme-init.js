/* Runs in <head> before the page paints: apply the reader's saved light/dark choice. */
(function () {
  var root = document.documentElement;
  root.className = root.className.replace(/\bno-js\b/, "js");
  try {
    var saved = window.localStorage.getItem("jm-theme");
    if (saved === "light" || saved === "dark") {
      root.setAttribute("data-theme", saved);
    }
  } catch (e) {
    /* storage may be disabled: follow the system setting */
  }
})();
