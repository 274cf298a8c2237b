// Search as you type: fetch the same page with ?partial=1 and swap in its results (the form still works without JS).
(function () {
  document.querySelectorAll("input[data-live-search]").forEach((input) => {
    const target = document.getElementById(input.dataset.liveSearch);
    let timer;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const url = new URL(window.location.href);
        url.searchParams.set("q", input.value.trim());
        url.searchParams.set("partial", "1");
        const response = await fetch(url, { credentials: "same-origin" });
        if (response.ok) target.innerHTML = await response.text();
      }, 250);
    });
  });
})();
