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
    var labels = curve.labels.map(function (name, i) { return curve.stages[i] + " · " + name; });
    chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [{
          label: curve.series || "Emotion",
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
      plugins: [{ id: "wmLabels", afterDraw: function (c) { placeLabels(c, curve); } }],
      options: {
        layout: { padding: { bottom: LABEL_ROWS } },
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return curve.emotions[ctx.dataIndex] + " (" + (ctx.parsed.y > 0 ? "+" : "") + ctx.parsed.y + ")"; } } },
        },
        scales: {
          y: { min: -2, max: 2, ticks: { stepSize: 1, callback: function (v) { return (curve.axis || { "-2": "Frustrated", "-1": "Uneasy", "0": "Neutral", "1": "Positive", "2": "Delighted" })[v]; } }, grid: { color: "#eef0f4" } },
          // Names are placed by placeLabels: Chart.js draws every tick label centred on its point,
          // so the names of a stage's touchpoints ran into each other.
          x: { offset: true, ticks: { display: false }, grid: { display: false } },
        },
      },
    });
  }

  // The curve's x-axis names as HTML under the canvas: each touchpoint's name in its own slot
  // (cut with an ellipsis, or its number in the list below when the slot is narrow) and each
  // stage's name once, across its touchpoints' slots, so no two names can overlap.
  var LABEL_ROWS = 34;
  function placeLabels(c, curve) {
    var area = c.chartArea;
    var n = curve.labels.length;
    var key = JSON.stringify([c.width, area.left, area.right, curve.labels, curve.stages]);
    var box = c.canvas.parentNode;
    var layer = box.querySelector(".wm-curve-labels");
    if (layer && layer.dataset.key === key) return;
    if (!layer) {
      layer = document.createElement("div");
      layer.className = "wm-curve-labels";
      layer.setAttribute("aria-hidden", "true");
      box.appendChild(layer);
    }
    layer.dataset.key = key;
    layer.textContent = "";
    var step = (area.right - area.left) / n;
    function add(text, title, left, width, top, cls) {
      var el = document.createElement("span");
      el.className = "wm-curve-label " + cls;
      el.textContent = text;
      el.title = title;
      el.style.left = left + 1 + "px";
      el.style.width = Math.max(width - 2, 0) + "px";
      el.style.top = top + "px";
      layer.appendChild(el);
    }
    var top = area.bottom + 3;
    var first = 0;
    curve.labels.forEach(function (name, i) {
      var left = area.left + i * step;
      add(step < 48 ? String(i + 1) : name, (i + 1) + ". " + name, left, step, top, "wm-curve-label-tp");
      if (i === n - 1 || curve.stages[i + 1] !== curve.stages[i]) {
        add(curve.stages[i], curve.stages[i], area.left + first * step, (i - first + 1) * step, top + 15, "wm-curve-label-stage");
        first = i + 1;
      }
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

  // The board scrolls sideways inside its frame: show which edges have more stages (shadows) and
  // the scroll buttons only when it does overflow.
  function boardEdges() {
    var scroller = document.getElementById("map-board");
    var tools = document.querySelector("[data-board-tools]");
    if (!scroller) return;
    var frame = scroller.parentNode;
    var max = scroller.scrollWidth - scroller.clientWidth;
    var left = scroller.scrollLeft > 1;
    var right = scroller.scrollLeft < max - 1;
    frame.classList.toggle("wm-more-left", left);
    frame.classList.toggle("wm-more-right", right);
    if (tools) {
      tools.hidden = max <= 1;
      tools.querySelector("[data-board-scroll='-1']").disabled = !left;
      tools.querySelector("[data-board-scroll='1']").disabled = !right;
    }
  }

  function closePanel() {
    var panel = document.getElementById("panel");
    if (panel) panel.innerHTML = "";
  }

  // Presentation mode (?present=1, [data-present]): Escape leaves it, the arrow keys and
  // PageUp/PageDown move the focus from stage to stage (each column has tabindex="0").
  function presenting() { return document.querySelector("[data-present]"); }

  function presentKeys(event) {
    var root = presenting();
    if (!root || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Escape") {
      event.preventDefault();
      window.location.assign(root.dataset.exitUrl);
      return;
    }
    var step = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 }[event.key];
    if (!step) return;
    var stages = Array.prototype.slice.call(root.querySelectorAll(".wm-stage[tabindex], .wm-funnel-stage[tabindex]"));
    if (!stages.length) return;
    var current = stages.indexOf(document.activeElement && document.activeElement.closest(".wm-stage[tabindex], .wm-funnel-stage[tabindex]"));
    var next = current < 0 ? (step > 0 ? 0 : stages.length - 1) : Math.min(Math.max(current + step, 0), stages.length - 1);
    event.preventDefault();
    stages[next].focus();
    stages[next].scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function setup() { drawCurve(); if (!presenting()) enableDrag(); boardEdges(); }

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
    var scrollButton = event.target.closest("[data-board-scroll]");
    var scroller = document.getElementById("map-board");
    if (scrollButton && scroller) {
      var smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      scroller.scrollBy({ left: Number(scrollButton.dataset.boardScroll) * scroller.clientWidth * 0.8, behavior: smooth ? "smooth" : "auto" });
    }
  });
  // Scroll events do not bubble: listen in the capture phase so a swapped-in board needs no set-up.
  document.addEventListener("scroll", function (event) { if (event.target.id === "map-board") boardEdges(); }, true);
  window.addEventListener("resize", boardEdges);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.querySelector("#panel .wm-panel-inner")) closePanel();
    presentKeys(event);
  });
})();
