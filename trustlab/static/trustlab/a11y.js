/* Accessibility fixes to the book theme, loaded on every page (issue #16).
 * Each fix is here because the theme's own markup or script gets it wrong, and the course
 * cannot change the theme without forking it. */
(function () {
  "use strict";
  var root = document.documentElement;
  // pydata-sphinx-theme reads the colour mode from localStorage and, on a first visit,
  // finds "" and logs "Got invalid theme mode" as a console error before using "auto".
  // Start from the theme's own default instead (this runs before the theme's script).
  if (!root.dataset.mode) { root.dataset.mode = root.dataset.defaultMode || "auto"; }

  var ES = /^es\b/.test(document.documentElement.lang || "");  // the Spanish edition

  function fix() {
    // The search button is named "Search" but shows "Search Ctrl+K": a voice-control user
    // saying what they see would not match its name (WCAG 2.5.3). Name it by its text.
    // (Only the button that shows text: the icon-only one on phones keeps its name.)
    document.querySelectorAll(".search-button-field[aria-label]").forEach(function (b) {
      b.removeAttribute("aria-label");
    });
    // The sidebar (logo, search, site navigation) sits outside every landmark.
    var side = document.getElementById("pst-primary-sidebar");
    if (side && !side.hasAttribute("role")) {
      side.setAttribute("role", "navigation");
      side.setAttribute("aria-label", ES ? "Curso" : "Course");
    }
    // The "toggle primary sidebar" button in the article header has a tooltip but no name.
    document.querySelectorAll("button.sidebar-toggle:not([aria-label])").forEach(function (b) {
      b.setAttribute("aria-label", b.getAttribute("title") ||
        (ES ? "Mostrar u ocultar la barra lateral" : "Toggle the sidebar"));
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fix);
  } else {
    fix();
  }
})();
