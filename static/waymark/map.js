// The map page: emotion curve (Chart.js), drag and drop (SortableJS), the editing panel.
(function () {
  "use strict";
  var chart = null;

  function drawCurve() {
    var canvas = document.getElementById("emotion-curve");
    var data = document.getElementById("emotion-data");
    if (chart) { chart.destroy(); chart = null; }
    if (!canvas || !data || !window.Chart) return;
    var curve = JSON.parse(data.textContent);
    var accent = getComputedStyle(document.documentElement).getPropertyValue("--wm-accent").trim() || "#4f46e5";
    var labels = curve.labels.map(function (name, i) {
      return i === 0 || curve.stages[i] !== curve.stages[i - 1] ? [curve.stages[i], name] : ["", name];
    });
    chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [{
          label: "Emotion",
          data: curve.scores,
          borderColor: accent,
          backgroundColor: "rgba(79,70,229,.08)",
          fill: "origin",
          tension: 0.35,
          pointRadius: 5,
          pointStyle: curve.scores.map(function (s) { return s < 0 ? "triangle" : s > 0 ? "circle" : "rect"; }),
          pointBackgroundColor: curve.scores.map(function (s) { return s < 0 ? "#b42318" : s > 0 ? "#0f7b45" : "#5b6472"; }),
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return curve.emotions[ctx.dataIndex] + " (" + (ctx.parsed.y > 0 ? "+" : "") + ctx.parsed.y + ")"; } } },
        },
        scales: {
          y: { min: -2, max: 2, ticks: { stepSize: 1, callback: function (v) { return { "-2": "Frustrated", "-1": "Uneasy", "0": "Neutral", "1": "Positive", "2": "Delighted" }[v]; } }, grid: { color: "#eef0f4" } },
          x: { ticks: { autoSkip: false, maxRotation: 0, font: { size: 10 } }, grid: { display: false } },
        },
      },
    });
  }

  function revision() {
    var ws = document.getElementById("map-workspace");
    return ws ? ws.dataset.revision : "";
  }

  function enableDrag() {
    if (!window.Sortable) return;
    document.querySelectorAll(".wm-stage-cards").forEach(function (list) {
      if (list._sortable) return;
      list._sortable = window.Sortable.create(list, {
        group: "touchpoints",
        draggable: ".wm-tp",
        handle: ".wm-tp",
        filter: "button",
        preventOnFilter: false,
        animation: 120,
        ghostClass: "wm-tp-ghost",
        onEnd: function (evt) {
          if (evt.from === evt.to && evt.oldDraggableIndex === evt.newDraggableIndex) return;
          var card = evt.item;
          window.htmx.ajax("POST", card.dataset.moveUrl, {
            target: "#panel",
            values: { stage: evt.to.dataset.stage, position: evt.newDraggableIndex, revision: revision() },
          });
        },
      });
    });
  }

  function closePanel() {
    var panel = document.getElementById("panel");
    if (panel) panel.innerHTML = "";
  }

  function setup() { drawCurve(); enableDrag(); }

  document.addEventListener("DOMContentLoaded", setup);
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!document.getElementById("map-workspace")) return;
    setup();
    if (target && target.id === "panel" && target.firstElementChild) {
      var title = document.getElementById("panel-title");
      var first = target.querySelector(".has-error input, .has-error select, .has-error textarea, form input:not([type=hidden]), form select, form textarea");
      (first || title).focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-panel]")) closePanel();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.querySelector("#panel .wm-panel-inner")) closePanel();
  });
})();
