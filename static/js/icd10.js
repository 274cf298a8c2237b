// ICD-10-CM suggestions as the clinician types a code or words (fills the shared <datalist>).
(function () {
  const list = document.getElementById("icd10-options");
  let timer;
  document.querySelectorAll("input[data-icd10-search]").forEach((input) => {
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) return;
      timer = setTimeout(async () => {
        const response = await fetch("/patients/icd10/?q=" + encodeURIComponent(q), { credentials: "same-origin" });
        if (!response.ok) return;
        const { results } = await response.json();
        list.replaceChildren(...results.map((r) => { const o = document.createElement("option"); o.value = r.code; o.label = r.code + " " + r.description; return o; }));
      }, 250);
    });
  });
})();
