// The patient chart: land on a form's error summary (focused, so the page scrolls to it and a screen reader
// reads it), and draw the vitals and lab trends described in the page's "chart-data" JSON (the same numbers
// are in its tables). No inline script: the Content Security Policy forbids it.
(function () {
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) {
    const closed = summary.closest("details");
    if (closed) closed.open = true;
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "start" });
  }

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
          label: d.label, data: d.data, borderColor: d.color, backgroundColor: d.color, fill: false,
          tension: 0.2, spanGaps: true, pointRadius: d.dashed ? 0 : 3, borderDash: d.dashed ? [6, 4] : [],
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: false } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
})();
