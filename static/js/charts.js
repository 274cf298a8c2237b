// Draws the charts a report page describes in its "chart-data" JSON (the same numbers are in its tables).
(function () {
  const node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") return;
  const counts = (spec) => spec.integer || spec.datasets.every((d) => d.data.every((v) => v == null || Number.isInteger(v)));
  for (const spec of JSON.parse(node.textContent)) {
    const canvas = document.getElementById("chart-" + spec.id);
    if (!canvas) continue;
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d) => ({
          label: d.label, data: d.data, backgroundColor: d.color, borderColor: d.color, fill: false, tension: 0.2,
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { stacked: !!spec.stacked },
          // counts (every value whole) get whole-number ticks: no "2.5 admissions"
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: counts(spec) ? { precision: 0 } : {} },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
})();
