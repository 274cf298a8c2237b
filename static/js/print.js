// Print buttons: <button data-print>. (No inline handlers: the Content Security Policy forbids them.)
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
