// The department's queue board: ask GET /api/v1/queue/board/ every few seconds and redraw the lists in
// place (no page reload); waits tick every second in between. Text only (textContent): names never become HTML.
(function () {
  const board = document.getElementById("board");
  if (!board) return;
  const source = board.dataset.source;
  const every = Math.max(1, Number(board.dataset.pollSeconds || 3)) * 1000;
  const PRIORITY = { emergency: "Emergency", elderly: "Elderly", normal: "" };
  let skew = 0; // server clock minus this one (ms)
  let latest = null;

  function minutes(seconds) {
    if (seconds == null) return "";
    const m = Math.floor(seconds / 60);
    return m < 1 ? "<1 min" : m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  function clock(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }

  function waited(row) {
    return (Date.now() + skew - Date.parse(row.arrived_at)) / 1000;
  }

  function item(row, status) {
    const li = document.createElement("li");
    li.className = `board-item priority-${row.priority}`;
    const ticket = document.createElement("span");
    ticket.className = "ticket";
    ticket.textContent = row.ticket;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = row.display_name;
    const detail = document.createElement("span");
    detail.className = "detail";
    if (status === "waiting") {
      detail.dataset.arrived = row.arrived_at;
      detail.textContent = minutes(waited(row));
    } else if (status === "called") {
      detail.textContent = row.room ? `Room ${row.room}` : row.clinician;
    } else {
      detail.textContent = row.clinician;
    }
    li.append(ticket, name);
    if (PRIORITY[row.priority]) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = PRIORITY[row.priority];
      li.append(badge);
    }
    li.append(detail);
    return li;
  }

  function draw(data) {
    for (const status of ["waiting", "called", "in_consultation"]) {
      const list = board.querySelector(`[data-list="${status}"]`);
      const rows = data[status] || [];
      list.replaceChildren(...rows.map((row) => item(row, status)));
      if (!rows.length) {
        const empty = document.createElement("li");
        empty.className = "empty";
        empty.textContent = "Nobody";
        list.append(empty);
      }
      board.querySelector(`[data-total="${status}"]`).textContent = String(data.totals[status]);
    }
    board.querySelector('[data-total="longest"]').textContent = minutes(data.totals.longest_wait_seconds) || "–";
    const fresh = board.querySelector("[data-freshness]");
    const stale = data.stale_seconds == null || data.stale_seconds > 60;
    fresh.classList.toggle("stale", stale);
    const asOf = data.fresh_as_of ? clock(new Date(data.fresh_as_of)) : "unknown";
    fresh.textContent = `Updated ${clock(new Date())} (figures as of ${asOf}${stale ? ", may be out of date" : ""})`;
  }

  function tick() {
    board.querySelectorAll("[data-arrived]").forEach((el) => {
      el.textContent = minutes((Date.now() + skew - Date.parse(el.dataset.arrived)) / 1000);
    });
  }

  async function poll() {
    try {
      const response = await fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      latest = await response.json();
      skew = Date.parse(latest.now) - Date.now();
      draw(latest);
      board.classList.remove("offline");
    } catch (error) {
      board.classList.add("offline");
      board.querySelector("[data-freshness]").textContent = "Connection lost; retrying…";
    } finally {
      setTimeout(poll, every);
    }
  }

  poll();
  setInterval(tick, 1000);
})();
