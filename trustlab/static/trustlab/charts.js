/* The course's chart runtime: draws the Altair (Vega-Lite) charts embedded in a page and
 * makes them usable by every reader (issue #16).
 *
 * - Light pages (issue #17): each chart is inlined compiled to Vega (by the book build), its
 *   large datasets written column by column; a large chart's compiled spec is a file instead
 *   (data-vega). The first chart is drawn when the page loads, the others when they come
 *   within two screens of the view. A chart that fits its box as designed is drawn
 *   with vega-runtime.js (Vega only). Fitting a chart rewrites its Vega-Lite spec: only then
 *   are vega-lite-bundle.js (Vega and Vega-Lite) and the chart's spec file (data-spec, the
 *   Vega-Lite spec without the datasets the page already holds) fetched. Both are served by
 *   the book itself: no request leaves the site.
 * - Fit: a chart wider than its box (phones, 200% zoom) is drawn again to fit: side-by-side
 *   views are stacked, every width shrinks until the drawn chart fits, titles re-wrap,
 *   legends wrap, and the chart's own small-screen changes (usermeta.trustlab.narrow) apply.
 *   It is fitted again when the window is resized.
 * - Names: the drawn SVG is one image named by the chart's title and described by its text
 *   description (marks and guides are hidden from assistive technology by the theme).
 * - Controls: radio groups are labelled groups; sliders are named by their label only.
 * - Live line: usermeta.trustlab.live names a Vega signal stating the result of the current
 *   view; it is written into the chart's aria-live line whenever a control changes it.
 * - Tooltips stay while the pointer is on the mark or on the tooltip, and Esc hides them
 *   (WCAG 1.4.13). Their content is also in the data table under the chart.
 */
(function () {
  "use strict";
  var NARROW = 640;           // below this box width (the charts' designed width) a
                              // chart's narrow changes apply
  var MAX_PASSES = 6;         // re-draws allowed to make a chart fit
  var LAZY_MARGIN = "200% 0px";  // a chart is drawn when it is within two screens of the view
  var charts = [];
  // The bundles and spec files live next to this script (in _static/trustlab/); they take
  // its cache-busting query.
  var here = (document.currentScript && document.currentScript.src) || "";
  var BASE = here.replace(/[^/]*$/, "");
  var QUERY = here.indexOf("?") < 0 ? "" : here.slice(here.indexOf("?")).replace(/#.*$/, "");
  var RUNTIME = "vega-runtime.js", LITE = "vega-lite-bundle.js";
  // The runtime's own words, in the page's language (the book's two editions: en, es).
  var WORDS = {
    en: { chart: "Chart", scrolls: " (scrolls sideways)",
          failed: "This chart could not be drawn ({why}). Its text description and data table below say what it shows.",
          noScript: "its script did not load" },
    es: { chart: "Gráfico", scrolls: " (se desplaza hacia los lados)",
          failed: "No se pudo dibujar este gráfico ({why}). Su descripción en texto y su tabla de datos, abajo, dicen lo que muestra.",
          noScript: "su código no se cargó" }
  };
  var W = WORDS[(document.documentElement.lang || "en").slice(0, 2)] || WORDS.en;

  // ---------------------------------------------------------------- loading on demand
  var scripts = {};
  function loadScript(name) {
    if (name === RUNTIME && window.vega && window.vega.View) {
      return Promise.resolve();  // the page loads the runtime itself (a deferred script)
    }
    if (!scripts[name]) {
      scripts[name] = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = BASE + name + QUERY;
        s.onload = function () { resolve(); };
        s.onerror = function () { reject(new Error("the file " + name + " did not load")); };
        document.head.appendChild(s);
      });
    }
    return scripts[name];
  }

  // The datasets the page holds for a chart (rows, or a map's geometry object), by name: the
  // spec and phone-layout files leave them out (null).
  function pageData(entry) {
    var inline = {};
    (entry.vg.data || []).forEach(function (d) {
      if (d.values !== undefined && d.values !== null) { inline[d.name] = d.values; }
    });
    return inline;
  }

  // Vega-Lite and the chart's Vega-Lite spec, for fitting it. The spec file leaves out the
  // datasets the page already holds (null): they are taken from the compiled spec.
  function liteReady(entry) {
    if (!entry.ready) {
      var url = BASE + entry.el.dataset.spec;
      entry.ready = Promise.all([
        loadScript(LITE),
        window.fetch(url).then(function (r) {
          if (!r.ok) { throw new Error("the chart's spec file did not load (" + r.status + ")"); }
          return r.json();
        })
      ]).then(function (done) {
        var spec = done[1], inline = pageData(entry);
        Object.keys(spec.datasets || {}).forEach(function (name) {
          if (spec.datasets[name] === null) {
            if (!inline[name]) { throw new Error("the page has no dataset " + name); }
            spec.datasets[name] = inline[name];
          }
        });
        entry.spec = spec;
      });
    }
    return entry.ready;
  }

  // The chart's phone layout, compiled to Vega when the book was built (trustlab/chartfit.py):
  // a narrow box draws it with Vega alone. Datasets the page holds are null in the file.
  var PHONE_BOX = 272;  // trustlab/chartfit.py makes the phone layout for this box
  function narrowReady(entry) {
    if (!entry.narrowVg) {
      entry.narrowVg = window.fetch(BASE + entry.el.dataset.narrow).then(function (r) {
        if (!r.ok) { throw new Error("the chart's phone layout did not load (" + r.status + ")"); }
        return r.json();
      }).then(function (vg) {
        var inline = pageData(entry);
        (vg.data || []).forEach(function (d) {
          if (d.values === null) {
            if (!inline[d.name]) { throw new Error("the page has no dataset " + d.name); }
            d.values = inline[d.name];
          }
        });
        return vg;
      });
    }
    return entry.narrowVg;
  }

  function usesPhoneLayout(el, avail) {
    return avail < NARROW && avail >= PHONE_BOX && !!el.dataset.narrow;
  }

  // Rows the build wrote column by column ({"trustlab:columns": {key: column}, rows: n}); a
  // column is a list of values or, for repeated strings, {levels: [...], codes: [index...]}.
  function unpackRows(values) {
    if (!isObj(values) || !isObj(values["trustlab:columns"])) { return values; }
    var cols = {}, keys = Object.keys(values["trustlab:columns"]), rows = [];
    keys.forEach(function (k) {
      var c = values["trustlab:columns"][k];
      cols[k] = Array.isArray(c) ? c : c.codes.map(function (i) { return c.levels[i]; });
    });
    for (var i = 0; i < values.rows; i += 1) {
      var row = {};
      for (var j = 0; j < keys.length; j += 1) { row[keys[j]] = cols[keys[j]][i]; }
      rows.push(row);
    }
    return rows;
  }
  window.trustlabUnpackRows = unpackRows;  // for the tests

  // ---------------------------------------------------------------- spec helpers
  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  function isObj(x) { return x !== null && typeof x === "object" && !Array.isArray(x); }

  function merge(target, patch) {
    Object.keys(patch).forEach(function (k) {
      var v = patch[k];
      if (Array.isArray(v) && Array.isArray(target[k])) {
        v.forEach(function (item, i) {
          if (isObj(item) && isObj(target[k][i])) { merge(target[k][i], item); }
          else if (item !== null) { target[k][i] = clone(item); }
        });
      } else if (isObj(v) && isObj(target[k])) {
        merge(target[k], v);
      } else {
        target[k] = clone(v);
      }
    });
    return target;
  }

  // Every view in a spec (the top level, concat members, layers, facet inner specs).
  function views(spec, out) {
    out = out || [];
    if (!isObj(spec)) { return out; }
    out.push(spec);
    ["hconcat", "vconcat", "concat", "layer"].forEach(function (k) {
      (spec[k] || []).forEach(function (s) { views(s, out); });
    });
    if (isObj(spec.spec)) { views(spec.spec, out); }
    return out;
  }

  function wrapText(text, chars) {
    var words = String(text).split(/\s+/), lines = [], line = "";
    words.forEach(function (w) {
      if (!w) { return; }
      if (line && (line + " " + w).length > chars) { lines.push(line); line = w; }
      else { line = line ? line + " " + w : w; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  // Subtitle lines were wrapped for a wide chart: join each paragraph (a new one starts at
  // "Source:") and wrap it again for the new width.
  function rewrapLines(lines, chars) {
    var paras = [];
    lines.forEach(function (l) {
      l = String(l);
      if (!paras.length || /^(Source|Fuente):/.test(l)) { paras.push(l); }
      else { paras[paras.length - 1] += " " + l; }
    });
    return paras.reduce(function (acc, p) { return acc.concat(wrapText(p, chars)); }, []);
  }

  function rewrapTitle(view, width, factor) {
    var t = view.title;
    if (!t) { return; }
    if (typeof t === "string" || Array.isArray(t)) { t = view.title = { text: t }; }
    var textChars = Math.max(12, Math.floor(factor * width / 10));  // 15 px bold
    var subChars = Math.max(18, Math.floor(factor * width / 6.1));
    var text = Array.isArray(t.text) ? t.text.join(" ") : t.text;
    if (text) { t.text = wrapText(text, textChars); }
    if (t.subtitle) {
      t.subtitle = rewrapLines(Array.isArray(t.subtitle) ? t.subtitle : [t.subtitle], subChars);
    }
  }

  // The spec for a box `avail` px wide. `fit.scale` shrinks every width (1 = as designed);
  // `fit.text` shortens title lines; `fit.legendColumns` and `fit.legendLimit` narrow the
  // legends (they start at the plot's left edge, after the axis labels).
  function fitted(original, avail, fit) {
    var scale = fit.scale;
    var spec = clone(original);
    var meta = (spec.usermeta && spec.usermeta.trustlab) || {};
    if (avail < NARROW && isObj(meta.narrow)) { merge(spec, meta.narrow); }
    views(spec).forEach(function (v) {
      if (v.hconcat) { v.vconcat = v.hconcat; delete v.hconcat; }
      if (v.concat) { v.columns = 1; }
      if (typeof v.columns === "number" && v.facet) { v.columns = 1; }
    });
    views(spec).forEach(function (v) {
      if (typeof v.width === "number") { v.width = Math.max(60, Math.floor(v.width * scale)); }
      else if (isObj(v.width) && typeof v.width.step === "number") {
        v.width.step = Math.max(8, Math.floor(v.width.step * scale));
      }
    });
    spec.config = spec.config || {};
    var view = spec.config.view = spec.config.view || {};
    ["continuousWidth", "discreteWidth"].forEach(function (k) {
      if (typeof view[k] === "number") { view[k] = Math.max(60, Math.floor(view[k] * scale)); }
    });
    if (view.continuousWidth === undefined) { view.continuousWidth = Math.floor(300 * scale); }
    // Legends go under the chart and wrap: at most one column per 170 px, labels that fit.
    var columns = fit.legendColumns || Math.max(1, Math.floor(avail / 170));
    var labelLimit = fit.legendLimit || Math.max(80, Math.floor(avail / columns) - 40);
    function narrowLegend(legend) {
      if (legend.orient === "left" || legend.orient === "right" || legend.orient === undefined) {
        legend.orient = "bottom";
      }
      if (legend.direction !== "vertical" || legend.columns) {
        legend.columns = Math.min(legend.columns || columns, columns);
      }
      legend.labelLimit = Math.min(legend.labelLimit || labelLimit, labelLimit);
      legend.titleLimit = Math.max(80, avail - 20);
    }
    narrowLegend(spec.config.legend = spec.config.legend || {});
    eachNode(spec, function (node) {
      if (node !== spec.config && isObj(node.legend)) { narrowLegend(node.legend); }
    });
    views(spec).forEach(function (v) { rewrapTitle(v, avail - 8, fit.text); });
    // Axis titles never shrink with the plot: wrap long ones.
    var axisChars = Math.max(20, Math.floor(avail / 7.2));
    views(spec).forEach(function (v) {
      ["x", "y", "x2", "y2"].forEach(function (ch) {
        var enc = v.encoding && v.encoding[ch];
        if (!isObj(enc)) { return; }
        [enc, isObj(enc.axis) ? enc.axis : null].forEach(function (o) {
          if (o && typeof o.title === "string" && o.title.length > axisChars) {
            o.title = wrapText(o.title, axisChars);
          }
        });
      });
    });
    spec.usermeta = spec.usermeta || {};
    spec.usermeta.trustlabNarrow = true;
    return spec;
  }

  function widestView(spec) {
    var widest = 0;
    views(spec).forEach(function (v) {
      if (typeof v.width === "number") { widest = Math.max(widest, v.width); }
    });
    var cw = spec.config && spec.config.view && spec.config.view.continuousWidth;
    return widest || (typeof cw === "number" ? cw : 0);
  }

  // ---------------------------------------------------------------- accessibility
  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function labelSvg(el) {
    var target = el.querySelector(".trustlab-chart-target");
    // Vega names its container with the long description too: one name is enough.
    ["role", "aria-label", "aria-roledescription"].forEach(function (a) {
      target.removeAttribute(a);
    });
    var svg = target.querySelector("svg");
    if (!svg) { return; }
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", el.dataset.title || "Chart");
    svg.removeAttribute("aria-roledescription");
    var desc = document.getElementById(el.id + "-desc");
    if (desc) { svg.setAttribute("aria-describedby", desc.id); }
    svg.setAttribute("focusable", "false");
  }

  function labelBindings(el) {
    el.querySelectorAll(".vega-bind").forEach(function (bind) {
      var name = bind.querySelector(".vega-bind-name");
      if (!name) { return; }
      if (!name.id) { name.id = nextId(el.id + "-control"); }
      var radios = bind.querySelectorAll("input[type=radio]");
      if (radios.length) {
        var group = bind.querySelector(".vega-bind-radio") || bind;
        group.setAttribute("role", "radiogroup");
        group.setAttribute("aria-labelledby", name.id);
        return;
      }
      // A slider's <label> also holds its value, so its name would read "Year 2012":
      // name it by its label text only (the slider states its value itself).
      bind.querySelectorAll("input, select").forEach(function (input) {
        input.setAttribute("aria-labelledby", name.id);
      });
    });
  }

  function connectLive(entry) {
    var el = entry.el, line = el.querySelector(".trustlab-chart-live");
    if (!line || !line.dataset.signal) { return; }
    var name = line.dataset.signal, view = entry.view;
    function write(value) {
      var text = value === null || value === undefined ? "" : String(value);
      if (line.textContent !== text) { line.textContent = text; }
    }
    try {
      write(view.signal(name));
      view.addSignalListener(name, function (_, value) { write(value); });
    } catch (err) {
      console.error("trustlab: chart " + el.id + " has no signal " + name, err);
      return;
    }
    // The first value is shown but not announced; changes after this are.
    window.setTimeout(function () { line.setAttribute("aria-live", "polite"); }, 0);
  }

  // ---------------------------------------------------------------- tooltips (WCAG 1.4.13)
  var tip = null, hideTimer = null;

  function tipElement() {
    if (tip) { return tip; }
    tip = document.createElement("div");
    tip.className = "trustlab-tooltip";
    tip.setAttribute("role", "tooltip");
    tip.hidden = true;
    tip.addEventListener("mouseenter", function () { window.clearTimeout(hideTimer); });
    tip.addEventListener("mouseleave", function () { hideSoon(); });
    document.body.appendChild(tip);
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !tip.hidden) { tip.hidden = true; }
    });
    return tip;
  }

  function hideSoon() {
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(function () { if (tip) { tip.hidden = true; } }, 600);
  }

  function showTooltip(handler, event, item, value) {
    var t = tipElement();
    if (value === null || value === undefined || value === "") { hideSoon(); return; }
    window.clearTimeout(hideTimer);
    t.textContent = "";
    if (isObj(value)) {
      var table = document.createElement("table");
      Object.keys(value).forEach(function (k) {
        if (k === "title") { return; }
        var tr = table.insertRow(), th = document.createElement("th"), td = tr.insertCell();
        th.scope = "row"; th.textContent = k; tr.insertBefore(th, td);
        td.textContent = String(value[k]);
      });
      if (value.title) {
        var h = document.createElement("p");
        h.className = "trustlab-tooltip-title"; h.textContent = String(value.title);
        t.appendChild(h);
      }
      t.appendChild(table);
    } else {
      t.textContent = String(value);
    }
    t.hidden = false;
    var pad = 12, w = t.offsetWidth, hgt = t.offsetHeight;
    var x = event.clientX + pad, y = event.clientY + pad;
    if (x + w > window.innerWidth - 4) { x = Math.max(4, event.clientX - w - pad); }
    if (y + hgt > window.innerHeight - 4) { y = Math.max(4, event.clientY - hgt - pad); }
    t.style.left = (x + window.scrollX) + "px";
    t.style.top = (y + window.scrollY) + "px";
  }

  // ---------------------------------------------------------------- drawing
  function boxWidth(el) {
    return Math.floor(el.querySelector(".trustlab-chart-target").getBoundingClientRect().width);
  }

  function drawnWidth(el) {
    var svg = el.querySelector(".trustlab-chart-target svg");
    return svg ? Math.ceil(svg.getBoundingClientRect().width) : 0;
  }

  // The reader's control settings, kept across a re-fit, as the controls' initial values.
  function withSettings(spec, kept) {
    if (!kept) { return spec; }
    spec = clone(spec);
    eachControl(spec, function (p) {
      if (Object.prototype.hasOwnProperty.call(kept, p.name)) { p.value = kept[p.name]; }
    });
    return spec;
  }

  // The same for a compiled (Vega) spec: its bound signals.
  function withSignalSettings(vg, kept) {
    if (!kept) { return vg; }
    (function walk(node) {
      (node.signals || []).forEach(function (sig) {
        if (isObj(sig.bind) && Object.prototype.hasOwnProperty.call(kept, sig.name)) {
          sig.value = kept[sig.name];
        }
      });
      (node.marks || []).forEach(walk);
    })(vg);
    return vg;
  }

  // Names of the bound signals (controls) of a compiled spec.
  function boundSignals(vg) {
    var names = [];
    (function walk(node) {
      (node.signals || []).forEach(function (sig) {
        if (isObj(sig.bind) && names.indexOf(sig.name) < 0) { names.push(sig.name); }
      });
      (node.marks || []).forEach(walk);
    })(vg);
    return names;
  }

  // Draw a Vega spec: `vg` is a fresh copy (it is changed). A Vega-Lite spec is compiled first.
  function embed(entry, spec, isLite) {
    var vg;
    if (isLite) {
      vg = window.vegaLite.compile(withSettings(spec, entry.kept)).spec;
    } else {
      vg = withSignalSettings(clone(spec), entry.kept);
    }
    hideMarks(vg.marks);
    if (isObj(vg.title)) { vg.title.aria = false; }
    if (isLite && spec.usermeta && spec.usermeta.trustlabNarrow) { stackLegends(vg); }
    var target = entry.el.querySelector(".trustlab-chart-target");
    if (entry.view) { entry.view.finalize(); entry.view = null; }
    target.textContent = "";
    target.classList.add("vega-embed");  // the chart styles (charts.css) use vega-embed's class
    var view = new window.vega.View(window.vega.parse(vg), { renderer: "svg" });
    view.tooltip(showTooltip);
    view.initialize(target);
    entry.view = view;
    return view.runAsync();
  }

  // Every mark (data, selection brushes, hover helpers) leaves the accessibility tree: the
  // chart is one image with a name and a description, and its data is in the table.
  function hideMarks(marks) {
    (marks || []).forEach(function (m) {
      m.aria = false;
      if (isObj(m.title)) { m.title.aria = false; }
      hideMarks(m.marks);
    });
  }

  // Several legends under a narrow chart go one above the other, not side by side.
  function stackLegends(vg) {
    vg.config = vg.config || {};
    vg.config.legend = vg.config.legend || {};
    vg.config.legend.layout = {
      bottom: { anchor: "start", direction: "vertical", margin: 8 },
      top: { anchor: "start", direction: "vertical", margin: 8 }
    };
    return vg;
  }

  // How far (px from the SVG's left edge) the parts of a drawn chart reach.
  function reach(el, selector) {
    var svg = el.querySelector(".trustlab-chart-target svg");
    if (!svg) { return 0; }
    var left = svg.getBoundingClientRect().left, right = 0;
    svg.querySelectorAll(selector).forEach(function (g) {
      var r = g.getBoundingClientRect();
      if (r.width > 0) { right = Math.max(right, r.right - left); }
    });
    return Math.ceil(right);
  }

  // Draw as designed; when the chart is wider than its box, draw it again, narrower: titles
  // that stick out get shorter lines, legends that stick out fewer columns and shorter
  // labels, and otherwise the plot gives up the difference.
  // A box at least NARROW wide first gets the compiled spec (Vega only); Vega-Lite is loaded
  // only when a chart must be fitted.
  function draw(entry) {
    var el = entry.el, avail = boxWidth(el), pass = 0;
    var fit = { scale: 1, text: 1, legendColumns: 0, legendLimit: 0 };
    entry.avail = avail;
    // `spec`: the Vega-Lite spec just drawn (null: the compiled spec, i.e. the wide one).
    function measure(spec) {
      var drawn = drawnWidth(el);
      if (drawn <= avail || pass >= MAX_PASSES || avail <= 0) { return; }
      if (spec === null && avail >= PHONE_BOX && el.dataset.narrow) {
        // The chart as designed is wider than its box: its phone layout (Vega only) fits any
        // box this wide; Vega-Lite comes only if that does not fit either.
        return drawPhone();
      }
      return liteReady(entry).then(function () {
        // (null: the compiled wide spec was drawn; "phone": the build's phone layout)
        spec = spec === "phone" ? fitted(entry.spec, avail, fit) : spec || entry.spec;
        pass += 1;
        var titles = reach(el, ".role-title");
        var legends = reach(el, ".role-legend");
        var shrinkPlot = true;
        // (Vega pads the drawing by a few pixels on the right.)
        if (titles > avail - 6) {
          fit.text = fit.text * (avail - 10) / titles;
          shrinkPlot = false;
        }
        if (legends > avail - 6) {
          var cols = fit.legendColumns || Math.max(1, Math.floor(avail / 170));
          var limit = fit.legendLimit || Math.max(80, Math.floor(avail / cols) - 40);
          if (cols > 1) { fit.legendColumns = cols - 1; }
          else {
            fit.legendColumns = 1;
            fit.legendLimit = Math.max(50, limit - (legends - avail) - 10);
          }
          shrinkPlot = false;
        }
        if (shrinkPlot) {
          // Axes, labels and legends keep their size: the widest view gives up the rest.
          var widest = widestView(spec);
          var k = widest > 0 ? (widest - (drawn - avail) - 4) / widest : (avail - 2) / drawn;
          fit.scale = fit.scale * Math.min(0.97, Math.max(0.25, k));
        }
        return step(fitted(entry.spec, avail, fit));
      });
    }
    function drawPhone() {
      return narrowReady(entry).then(function (vg) {
        // the plot scale the build drew it at: further fitting goes on from there
        fit.scale = (vg.usermeta && vg.usermeta.trustlabScale) || 1;
        return embed(entry, clone(vg), false);
      }).then(function () { return measure("phone"); });
    }
    function step(spec) {
      return embed(entry, spec, true).then(function () { return measure(spec); });
    }
    var first;
    if (usesPhoneLayout(el, avail)) {
      first = drawPhone();
    } else if (avail < NARROW) {
      first = liteReady(entry).then(function () { return step(fitted(entry.spec, avail, fit)); });
    } else {
      first = embed(entry, entry.vg, false).then(function () { return measure(null); });
    }
    return first.then(function () {
      labelSvg(el);
      labelBindings(el);
      connectLive(entry);
      var fits = drawnWidth(el) <= avail;
      el.dataset.fit = fits ? "true" : "false";
      // A chart that still does not fit scrolls in its box: keyboard users can scroll it.
      var target = el.querySelector(".trustlab-chart-target");
      if (fits) { target.removeAttribute("tabindex"); }
      else {
        target.setAttribute("tabindex", "0");
        target.setAttribute("role", "group");
        target.setAttribute("aria-label", (el.dataset.title || W.chart) + W.scrolls);
      }
      el.dataset.fitWidth = String(avail);
      el.dataset.fitPasses = String(pass);  // measured re-draws after the first drawing
      el.dataset.rendered = "true";
    });
  }

  // A chart's compiled spec: inline in the page, or (a large chart) a file fetched now.
  function compiledSpec(el) {
    var specNode = el.querySelector('script[type="application/json"]');
    if (specNode) { return Promise.resolve(JSON.parse(specNode.textContent)); }
    var name = el.dataset.vega;
    if (!name) { return Promise.reject(new Error("the chart has no spec")); }
    return window.fetch(BASE + name).then(function (r) {
      if (!r.ok) { throw new Error("the file " + name + " did not load"); }
      return r.json();
    });
  }

  function renderChart(el) {
    var target = el.querySelector(".trustlab-chart-target");
    if (!target || el.dataset.rendered || el.dataset.started) { return el.drawn; }
    el.dataset.started = "true";
    delete el.dataset.waiting;
    el.drawn = compiledSpec(el).then(function (vg) {
      (vg.data || []).forEach(function (d) {
        if ("values" in d) { d.values = unpackRows(d.values); }
      });
      var entry = { el: el, vg: vg, spec: null, ready: null, view: null, avail: 0 };
      charts.push(entry);
      return draw(entry);
    }).catch(function (err) {
      el.dataset.rendered = "error";
      target.textContent = W.failed.replace("{why}", err.message);
      console.error(err);
    });
    return el.drawn;
  }

  // Every object in a spec except inline data and the course's metadata, the spec first.
  function eachNode(spec, fn) {
    (function walk(node) {
      if (Array.isArray(node)) { node.forEach(walk); return; }
      if (!isObj(node)) { return; }
      fn(node);
      Object.keys(node).forEach(function (k) {
        if (k !== "data" && k !== "datasets" && k !== "usermeta") { walk(node[k]); }
      });
    })(spec);
  }

  // Every bound parameter (control) of a spec.
  function eachControl(spec, fn) {
    eachNode(spec, function (node) {
      (node.params || []).forEach(function (p) { if (isObj(p) && isObj(p.bind)) { fn(p); } });
    });
  }

  // Fit again when the box changes width (rotation, window resize, zoom). The reader's
  // control settings are kept: read from the old view, they become the new controls'
  // initial values (only the controls: restoring every signal would restore old widths).
  var resizeTimer = null;
  function refit() {
    charts.forEach(function (entry) {
      var avail = boxWidth(entry.el);
      if (!entry.view || Math.abs(avail - entry.avail) < 8) { return; }
      var kept = {};
      boundSignals(entry.vg).forEach(function (name) {
        try { kept[name] = entry.view.signal(name); } catch (err) { /* not a signal */ }
      });
      entry.kept = kept;
      draw(entry);
    });
  }

  // One bundle per page: Vega alone when every chart's box is wide enough for the chart as
  // designed or for its phone layout, or else Vega with Vega-Lite (a box narrower than the
  // phone layout means fitting). A drawing that still does not fit loads Vega-Lite then.
  function renderAll() {
    var els = Array.prototype.slice.call(document.querySelectorAll(".trustlab-chart"));
    if (!els.length) { return; }
    loadScript(els.some(needsLite) ? LITE : RUNTIME).then(function () {
      // The page's first chart is drawn now; the others as they come within two screens of
      // the view, so a long page draws (and fetches the data of) only what its reader is
      // near. Printing draws them all.
      renderChart(els[0]);
      if (!("IntersectionObserver" in window)) { els.forEach(renderChart); return; }
      var near = new window.IntersectionObserver(function (seen) {
        seen.forEach(function (s) {
          if (s.isIntersecting) { near.unobserve(s.target); renderChart(s.target); }
        });
      }, { rootMargin: LAZY_MARGIN });
      els.forEach(function (el) {
        if (!el.dataset.started) { el.dataset.waiting = "true"; near.observe(el); }
      });
    }, function (err) {
      console.error("trustlab: " + err.message + "; charts cannot be drawn.");
      els.forEach(function (el) {
        var target = el.querySelector(".trustlab-chart-target");
        el.dataset.rendered = "error";
        if (target) {
          target.textContent = W.failed.replace("{why}", W.noScript);
        }
      });
    });
    window.addEventListener("resize", function () {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(refit, 250);
    });
    window.addEventListener("beforeprint", drawAll);
  }

  // Draw every chart of the page now (printing; tests), once the runtime is loaded.
  function drawAll() {
    var els = Array.prototype.slice.call(document.querySelectorAll(".trustlab-chart"));
    return Promise.all(els.map(function (el) {
      return loadScript(needsLite(el) ? LITE : RUNTIME).then(function () {
        return renderChart(el);
      });
    }));
  }

  // Whether a chart's box is narrower than its phone layout (fitting it needs Vega-Lite).
  function needsLite(el) {
    var target = el.querySelector(".trustlab-chart-target");
    var avail = target ? boxWidth(el) : NARROW;
    return avail < NARROW && !usesPhoneLayout(el, avail);
  }
  // The first fitting, for tests/test_chartfit.py: the build makes the same (chartfit.py).
  window.trustlabCharts = { fitted: function (spec, avail, scale) {
    return fitted(spec, avail, { scale: scale || 1, text: 1, legendColumns: 0, legendLimit: 0 });
  }, drawAll: drawAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
