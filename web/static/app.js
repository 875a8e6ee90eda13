/* Small enhancements; every page works without this file.
 *  - "/" focuses the search box (unless typing in a field); Esc leaves it.
 *  - On a phone the filters open as a panel from the 筛选 button (without
 *    script they simply follow the results).
 *  - Long facet lists get a filter box.
 *  - The timeline is one tab stop; arrow keys, Home and End move inside.
 *  - The print button on document pages.
 */
(function () {
  "use strict";

  var NARROW = "(max-width: 760px)";

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

  function filterPanel() {
    var toggle = document.querySelector("[data-filter-toggle]");
    var panel = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (!panel) return;
    var close = panel.querySelector("[data-filter-close]");
    var root = document.documentElement;
    var narrow = window.matchMedia(NARROW);

    // While the panel covers the page, the page behind it is inert: Tab
    // stays in the panel and screen readers read only the panel.
    var behind = document.querySelectorAll(".skip-link, .site-header, .search-form, .results, .site-footer");

    function setOpen(open, returnFocus) {
      behind.forEach(function (el) { el.inert = open; });
      panel.classList.toggle("is-open", open);
      root.classList.toggle("filters-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        panel.setAttribute("role", "dialog");
        panel.setAttribute("aria-modal", "true");
        close.focus();
      } else {
        panel.removeAttribute("role");
        panel.removeAttribute("aria-modal");
        if (returnFocus) toggle.focus();
      }
    }
    function apply() {
      root.classList.toggle("filters-collapsible", narrow.matches);
      toggle.hidden = !narrow.matches;
      close.hidden = !narrow.matches;
      if (!narrow.matches) setOpen(false, false);
    }
    toggle.addEventListener("click", function () { setOpen(true); });
    close.addEventListener("click", function () { setOpen(false, true); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && panel.classList.contains("is-open")) setOpen(false, true);
    });
    if (narrow.addEventListener) narrow.addEventListener("change", apply);
    apply();
  }

  function facetFilters() {
    document.querySelectorAll("[data-facet-filter]").forEach(function (section, n) {
      var heading = section.querySelector("h3");
      var more = section.querySelector("details.facet-more");
      var items = section.querySelectorAll(".facet-top > li, .facet-more > ul > li, .facet-missing > li");
      var label = document.createElement("label");
      var input = document.createElement("input");
      var none = document.createElement("p");
      input.type = "search";
      input.id = "facet-filter-" + n;
      input.className = "facet-filter";
      input.placeholder = "输入文字筛选";
      input.setAttribute("autocomplete", "off");
      label.htmlFor = input.id;
      label.className = "visually-hidden";
      label.textContent = "筛选" + section.getAttribute("data-facet-filter");
      none.className = "facet-empty";
      none.hidden = true;
      none.setAttribute("role", "status");
      heading.after(label, input);
      section.appendChild(none);
      input.addEventListener("input", function () {
        var term = input.value.trim().toLowerCase();
        var shown = 0;
        items.forEach(function (li) {
          var value = li.querySelector(".facet-value").textContent.toLowerCase();
          var match = !term || value.indexOf(term) !== -1;
          li.hidden = !match;
          if (match) shown += 1;
        });
        if (term && more) more.open = true;
        none.hidden = shown > 0;
        none.textContent = shown ? "" : "没有包含“" + input.value.trim() + "”的项";
      });
    });
  }

  function timelines() {
    document.querySelectorAll("[data-timeline]").forEach(function (chart) {
      var bars = Array.prototype.slice.call(chart.querySelectorAll("a.tl-bar"));
      if (!bars.length) return;
      var current = bars.filter(function (b) { return b.hasAttribute("aria-current"); })[0] || bars[0];
      bars.forEach(function (b) { b.tabIndex = b === current ? 0 : -1; });
      chart.addEventListener("keydown", function (event) {
        var at = bars.indexOf(document.activeElement);
        if (at < 0) return;
        var to = {ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1,
                  Home: 0, End: bars.length - 1}[event.key];
        if (to === undefined) return;
        event.preventDefault();
        to = Math.max(0, Math.min(bars.length - 1, to));
        bars[at].tabIndex = -1;
        bars[to].tabIndex = 0;
        bars[to].focus();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    filterPanel();
    facetFilters();
    timelines();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
