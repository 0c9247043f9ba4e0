// Draw each metric chart on an experiment or metric page; shade the experiment's windows.
(function () {
  "use strict";
  var palette = ["#4f46e5", "#0f766e", "#b45309", "#be185d", "#475569"];
  var shade = ["rgba(100,116,139,0.10)", "rgba(79,70,229,0.12)"];
  var windowsPlugin = {
    id: "wmWindows",
    beforeDatasetsDraw: function (chart, args, options) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      (options.windows || []).forEach(function (w, i) {
        var half = x.getPixelForValue(1) - x.getPixelForValue(0);
        half = isFinite(half) && half > 0 ? half / 2 : 8;
        var left = Math.max(area.left, x.getPixelForValue(w.from) - half);
        var right = Math.min(area.right, x.getPixelForValue(w.to) + half);
        ctx.save();
        ctx.fillStyle = shade[i % shade.length];
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        ctx.fillStyle = "#475569";
        ctx.font = "12px system-ui, sans-serif";
        ctx.fillText(w.label, left + 6, area.top + 14);
        ctx.restore();
      });
    }
  };
  function draw() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[id^='chart-']").forEach(function (canvas) {
      var source = document.getElementById(canvas.id + "-data");
      if (!source || canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      var data = JSON.parse(source.textContent);
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: data.datasets.map(function (d, i) {
            return {
              label: d.label, data: d.data, spanGaps: true, tension: 0.25, pointRadius: 3,
              borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length],
              borderDash: i === 1 ? [6, 4] : []
            };
          })
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom" }, wmWindows: { windows: data.windows } },
          scales: { y: { title: { display: !!data.unit, text: data.unit } } }
        },
        plugins: [windowsPlugin]
      });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
