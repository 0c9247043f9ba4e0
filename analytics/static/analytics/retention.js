// Draw the chart of a retention, lifecycle or moments page from its JSON (json_script), again
// after HTMX swaps the results in.
(function () {
  "use strict";
  var palette = ["#4f46e5", "#0f766e", "#b45309", "#be185d", "#475569", "#0369a1"];
  function draw() {
    var canvas = document.getElementById("rt-chart");
    var source = document.getElementById("rt-chart-data");
    if (!window.Chart || !canvas || !source || canvas.dataset.drawn) return;
    canvas.dataset.drawn = "1";
    var data = JSON.parse(source.textContent);
    var scales = {
      x: { stacked: !!data.stacked },
      y: { stacked: !!data.stacked, title: { display: true, text: data.y } }
    };
    if (data.y2) scales.y2 = { position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: data.y2 } };
    new window.Chart(canvas, {
      type: data.type,
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (d, i) {
          return {
            label: d.label, data: d.data, yAxisID: d.axis || "y", spanGaps: true, tension: 0.2,
            borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length]
          };
        })
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: scales }
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("load", draw);
})();
