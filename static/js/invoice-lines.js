// The new-invoice form (billing/new_invoice.html): rows of services added and removed, a running total.
// Without JavaScript the form still works: one service row, and "Remove" is a checkbox.
(function () {
  const form = document.querySelector("[data-invoice-lines]");
  if (!form) return;
  document.documentElement.classList.add("js");
  const body = form.querySelector("[data-service-rows]");
  const template = form.querySelector("[data-service-template]");
  const total = form.querySelector("[data-total]");
  const count = form.querySelector("input[name='lines-TOTAL_FORMS']");
  const addButton = form.querySelector("[data-add-row]");
  const cents = (text) => Math.round(parseFloat(text || "0") * 100) || 0;
  const money = (value) => (value / 100).toFixed(2);

  function serviceAmount(row) {
    const select = row.querySelector("select");
    const option = select && select.selectedOptions[0];
    const price = option ? cents(option.dataset.price) : 0;
    const quantity = parseFloat(row.querySelector("input[name$='-quantity']").value || "1") || 0;
    const discount = cents(row.querySelector("input[name$='-discount']").value);
    row.querySelector("[data-unit-price]").textContent = option && option.value ? money(price) : "—";
    const amount = option && option.value ? Math.max(Math.round(price * quantity) - discount, 0) : 0;
    row.querySelector("[data-line-amount]").textContent = option && option.value ? money(amount) : "—";
    return amount;
  }

  function recount() {
    let sum = 0;
    form.querySelectorAll("[data-row]").forEach((row) => {
      if (row.hidden) return;
      sum += row.hasAttribute("data-service-row") ? serviceAmount(row) : cents(row.dataset.amount);
    });
    total.textContent = money(sum);
  }

  function remove(row) {
    const box = row.querySelector("input[name$='-DELETE']");
    if (box) box.checked = true;
    row.hidden = true;
    recount();
  }

  form.querySelectorAll("[data-row]").forEach((row) => {
    const box = row.querySelector("input[name$='-DELETE']");
    if (box && box.checked) row.hidden = true; // removed before the form came back with an error
  });
  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove]");
    if (button) remove(button.closest("[data-row]"));
  });
  form.addEventListener("input", recount);
  form.addEventListener("change", recount);
  addButton.hidden = false;
  addButton.addEventListener("click", () => {
    const index = parseInt(count.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    count.value = String(index + 1);
    const added = body.lastElementChild;
    added.querySelector("select").focus();
    recount();
  });
  recount();
})();
