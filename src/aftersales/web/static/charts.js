// Charts and late fragments, after the first paint: the server-rendered page (KPI cards, tables) shows at once,
// then plotly.js (4.8 MB unpacked) is fetched and each chart is drawn from the figure JSON in the page, one per
// frame. A click on a point opens the rows behind it. Fragments ([data-fragment]) are fetched at the same time.
(function () {
  "use strict";
  var script = document.currentScript;
  var plotlySrc = script ? script.getAttribute("data-plotly") : null;
  var body = document.body;

  function ready() {
    document.documentElement.setAttribute("data-charts", "drawn");
    if (window.performance && performance.mark) performance.mark("charts-drawn");
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source) return Promise.resolve();
    var fig = JSON.parse(source.textContent);
    var config = { displayModeBar: false, responsive: true };
    return window.Plotly.newPlot(el, fig.data, fig.layout, config).then(function () {
      el.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (point && typeof point.customdata === "string") window.location.assign(point.customdata);
      });
      el.setAttribute("data-ready", "1");
    });
  }

  function drawAll() {
    var plots = Array.prototype.slice.call(document.querySelectorAll("[data-figure]"));
    function next() {
      var el = plots.shift();
      if (!el) { ready(); return; }
      draw(el).then(function () { window.requestAnimationFrame(next); });
    }
    next();
  }

  function loadPlotly() {
    if (!document.querySelector("[data-figure]")) { ready(); return; }
    if (window.Plotly) { drawAll(); return; }
    if (!plotlySrc) return;
    var tag = document.createElement("script");
    tag.src = plotlySrc;
    tag.onload = function () {
      if (window.performance && performance.mark) performance.mark("plotly-loaded");
      drawAll();
    };
    document.head.appendChild(tag);
  }

  function loadFragments() {
    document.querySelectorAll("[data-fragment]").forEach(function (box) {
      box.setAttribute("aria-busy", "true");
      fetch(box.getAttribute("data-fragment"), {
        credentials: "same-origin",
        headers: { "X-Partial": "1" }
      }).then(function (res) {
        return res.text().then(function (html) {
          box.removeAttribute("aria-busy");
          box.innerHTML = html;
          box.setAttribute("data-loaded", res.ok ? "1" : "error");
        });
      }).catch(function () {
        box.removeAttribute("aria-busy");
        box.textContent = body.getAttribute("data-msg-network");
        box.setAttribute("data-loaded", "error");
      });
    });
  }

  function start() {
    // One frame after the load event: the browser has painted the server's HTML before plotly.js is parsed.
    window.requestAnimationFrame(function () {
      window.setTimeout(function () { loadFragments(); loadPlotly(); }, 0);
    });
  }

  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();
