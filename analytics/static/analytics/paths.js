// Paths: draw the Sankey (chartjs-chart-sankey on the vendored Chart.js) from #paths-data; detours in orange.
(function () {
  "use strict";
  var MAP = "#4f46e5", DETOUR = "#c2410c", OTHER = "#9ca3af";
  function draw() {
    var data = document.getElementById("paths-data");
    var canvas = document.getElementById("paths-sankey");
    if (!data || !canvas || !window.Chart) return;
    if (window.Chart.getChart && window.Chart.getChart(canvas)) return;  // already drawn
    var d = JSON.parse(data.textContent);
    var detours = new Set(d.detours), other = new Set(d.other);
    function colour(id) { return detours.has(id) ? DETOUR : other.has(id) ? OTHER : MAP; }
    new window.Chart(canvas, {
      type: "sankey",
      data: { datasets: [{
        data: d.flows, labels: d.labels,
        colorFrom: function (c) { return colour(c.dataset.data[c.dataIndex].from); },
        colorTo: function (c) { return colour(c.dataset.data[c.dataIndex].to); },
        colorMode: "gradient", size: "max", nodeWidth: 10
      }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false }
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
