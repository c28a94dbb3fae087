/* Render the course's Altair (Vega-Lite) charts from specs embedded in the page.
 * vega, vega-lite and vega-embed come from vega-bundle.js, served by the book itself:
 * no request leaves the site. */
(function () {
  "use strict";
  function renderChart(el) {
    var specNode = el.querySelector('script[type="application/json"]');
    var target = el.querySelector(".trustlab-chart-target");
    if (!specNode || !target || el.dataset.rendered) { return; }
    var spec = JSON.parse(specNode.textContent);
    window.vegaEmbed(target, spec, { actions: false, renderer: "svg" })
      .then(function () { el.dataset.rendered = "true"; })
      .catch(function (err) {
        el.dataset.rendered = "error";
        target.textContent = "This chart could not be drawn (" + err.message +
          "). Its text description below says what it shows.";
        console.error(err);
      });
  }
  function renderAll() {
    if (typeof window.vegaEmbed !== "function") {
      console.error("trustlab: vega-bundle.js did not load; charts cannot be drawn.");
      return;
    }
    document.querySelectorAll(".trustlab-chart").forEach(renderChart);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
