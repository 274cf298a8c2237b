// Draws the charts a report page describes in its "chart-data" JSON (the same numbers are in its tables).
(function () {
  const node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") return;
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
        scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
})();
