/* Small enhancements; every page works without this file.
 *  - "/" focuses the search box (unless typing in a field); Esc leaves it.
 *  - The filter panel starts folded on narrow screens.
 *  - The print button on document pages.
 */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" ||
      (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    var box = document.querySelector("[data-search-box]");
    if (!box) return;
    if (event.key === "/" && !typing(event.target) && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && event.target === box) {
      box.blur();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia("(max-width: 760px)").matches) {
      document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) {
        d.removeAttribute("open");
      });
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
