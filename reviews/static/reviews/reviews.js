// Reviews: the dashboard's NPS chart (with its 95 % interval) and the review form's action rows.
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var fmt = window.interpolate || function (s, o) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return o[k]; }); };
  function drawNps() {
    var canvas = document.getElementById("rv-nps-chart");
    var source = document.getElementById("rv-nps-data");
    if (!canvas || !source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var accent = getComputedStyle(document.documentElement).getPropertyValue("--wm-accent").trim() || "#4f46e5";
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: gettext("95 % interval, high"), data: data.high, borderWidth: 0, pointRadius: 0, backgroundColor: accent + "22", fill: "+1" },
          { label: gettext("95 % interval, low"), data: data.low, borderWidth: 0, pointRadius: 0, fill: false },
          { label: "NPS", data: data.nps, borderColor: accent, backgroundColor: accent, borderWidth: 2, pointRadius: 3, tension: 0.25 }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { suggestedMin: -100, suggestedMax: 100, title: { display: true, text: "NPS" } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { afterBody: function (items) { var i = items[0].dataIndex; return fmt(gettext("n = %(n)s (%(low)s to %(high)s)"), { n: data.n[i], low: data.low[i], high: data.high[i] }, true); } } }
        }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", drawNps);
  // Remove a blank action-item row; focus the new row's title after HTMX adds one.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-rv-remove-row]");
    if (!button) return;
    event.preventDefault();
    var row = button.closest(".rv-row");
    var next = document.getElementById("rv-add-row");
    if (row) row.remove();
    if (next) next.focus();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var focus = event.detail.target && event.detail.target.querySelector("[data-rv-focus]");
    if (focus) { focus.removeAttribute("data-rv-focus"); focus.focus(); }
  });
})();
