// The survey results and map scores trend: the figure per period with its 95 % interval drawn as a band.
(function () {
  "use strict";
  function draw() {
    var data = document.getElementById("trend-data");
    var canvas = document.getElementById("trend-chart");
    if (!data || !canvas || !window.Chart) return;
    if (window.Chart.getChart && window.Chart.getChart(canvas)) return;  // already drawn
    var d = JSON.parse(data.textContent);
    var accent = getComputedStyle(document.documentElement).getPropertyValue("--wm-accent").trim() || "#4f46e5";
    var lowLabel = gettext("95 % interval (low)");
    var thin = d.n.map(function (n) { return n < 30; });
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: [
          { label: lowLabel, data: d.low, borderWidth: 0, pointRadius: 0, fill: false },
          { label: gettext("95 % interval"), data: d.high, borderWidth: 0, pointRadius: 0, fill: "-1",
            backgroundColor: accent + "22" },
          { label: d.metric.toUpperCase(), data: d.values, borderColor: accent, backgroundColor: accent,
            tension: 0.25, spanGaps: true,
            pointStyle: "circle", pointRadius: 4,
            pointBackgroundColor: thin.map(function (t) { return t ? "#fff" : accent; }) }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { labels: { filter: function (item) { return item.text !== lowLabel; } } },
          tooltip: { callbacks: { afterBody: function (items) {
            var i = items[0].dataIndex;
            var n = interpolate(gettext("n = %(n)s"), { n: d.n[i] }, true) + (thin[i] ? " (" + gettext("thin") + ")" : "");
            return n + "\n" + interpolate(gettext("95 % interval: %(low)s to %(high)s"), { low: d.low[i], high: d.high[i] }, true);
          } } }
        },
        scales: { y: d.metric === "nps" ? { min: -100, max: 100 } : d.metric === "ces" ? { min: 1, max: 7 } : { min: 0, max: 100 } }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
  // Pages that swap their figures in with HTMX (a map's scores) get a fresh canvas to draw on.
  document.addEventListener("htmx:afterSettle", draw);
})();
