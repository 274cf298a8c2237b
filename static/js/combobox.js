// Boxes that suggest as one types: <input data-combobox="URL"> (core.widgets.Combobox, NameLookup): the
// diagnosis picker on the chart, the payer / patient / department filters of the reports.
// The WAI-ARIA 1.2 combobox pattern: the input owns a listbox (aria-controls, aria-expanded,
// aria-activedescendant); Down/Up move through the suggestions, Enter picks, Escape closes, a status line
// announces how many suggestions there are. URL?q=... answers {"results": [{value, label, detail,
// disabled, id}]}; a picked result's `value` goes into the box and its `id` (if any) into the hidden
// input before it (<input type=hidden data-combobox-value>, what the form submits).
(function () {
  "use strict";
  let count = 0;

  function setUp(input) {
    const source = input.dataset.combobox;
    const hidden = input.previousElementSibling && input.previousElementSibling.matches("[data-combobox-value]")
      ? input.previousElementSibling : null;
    const id = input.id || "combobox-" + ++count;
    input.id = id;
    const wrap = document.createElement("div");
    wrap.className = "combobox";
    input.parentNode.insertBefore(wrap, input);
    if (hidden) wrap.appendChild(hidden);
    wrap.appendChild(input);
    const list = document.createElement("ul");
    list.id = id + "-listbox";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    const text = (name, fallback, values) => Object.entries(values || {}).reduce(
      (out, [key, value]) => out.replace("{" + key + "}", value), input.dataset[name] || fallback);
    list.setAttribute("aria-label", text("textList", "Suggestions"));
    wrap.appendChild(list);
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    wrap.appendChild(status);
    input.setAttribute("aria-controls", list.id);

    let results = [];
    let active = -1;
    let timer;
    let asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function show(found) {
      results = found;
      active = -1;
      list.replaceChildren(...found.map((r, i) => {
        const option = document.createElement("li");
        option.id = id + "-option-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        if (r.disabled) option.setAttribute("aria-disabled", "true");
        const main = document.createElement("span");
        main.textContent = r.label;
        option.appendChild(main);
        if (r.detail) {
          const detail = document.createElement("span");
          detail.className = "option-detail";
          detail.textContent = r.detail;
          option.appendChild(detail);
        }
        option.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the box
        option.addEventListener("click", () => pick(i));
        return option;
      }));
      const open = found.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      input.removeAttribute("aria-activedescendant");
      status.textContent = found.length
        ? text("textSome", "{count} suggestions, use the arrow keys", { count: found.length })
        : text("textNone", "No suggestions");
    }

    function move(to) {
      if (!results.length) return;
      const options = list.querySelectorAll("[role=option]");
      if (active >= 0) options[active].setAttribute("aria-selected", "false");
      active = (to + results.length) % results.length;
      options[active].setAttribute("aria-selected", "true");
      options[active].scrollIntoView({ block: "nearest" });
      input.setAttribute("aria-activedescendant", options[active].id);
    }

    function pick(i) {
      const r = results[i];
      if (!r || r.disabled) return;
      input.value = r.value;
      if (hidden) hidden.value = r.id == null ? "" : String(r.id);
      close();
      status.textContent = text("textPicked", "{label} picked", { label: r.label });
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    async function ask(q) {
      const mine = ++asked;
      const url = source + (source.includes("?") ? "&" : "?") + "q=" + encodeURIComponent(q);
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || mine !== asked) return; // a later keystroke asked again: its answer counts
      show((await response.json()).results || []);
    }

    input.addEventListener("input", () => {
      if (hidden) hidden.value = ""; // typed over: the name no longer stands for the picked id
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) { asked++; close(); return; }
      timer = setTimeout(() => ask(q), 200);
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (open) move(active + 1); else if (results.length) { show(results); move(0); }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) move(active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); // pick, don't submit the form
        pick(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  document.querySelectorAll("input[data-combobox]").forEach(setUp);
})();
