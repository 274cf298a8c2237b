// The bed board keeps itself current: it polls the board's version (a small JSON answer that names no
// patient) and, when it has moved, fetches the board part of the page again and swaps it in.
// A ward chooser submits itself on change (both the board and the ward list).
(function () {
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  const board = document.getElementById("board");
  if (!board) return;
  const POLL_MS = 5000;
  const poll = async () => {
    try {
      const url = new URL(board.dataset.boardUrl, window.location.href);
      url.searchParams.set("brief", "1");
      url.searchParams.set("since", board.dataset.version || "");
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const answer = await response.json();
        if (!answer.unchanged) {
          const page = new URL(window.location.href);
          page.searchParams.set("partial", "1");
          const part = await fetch(page, { credentials: "same-origin" });
          if (part.ok) {
            board.innerHTML = await part.text();
            board.dataset.version = answer.version;
          }
        }
      }
    } catch (error) {
      // Offline for a moment: try again at the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  };
  window.setTimeout(poll, POLL_MS);
})();
