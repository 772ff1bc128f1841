// Behaviour every page shares, kept out of the markup for the Content-Security-Policy:
// a form (or a submit button) with data-confirm asks first; a button with data-print prints
// the page.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
    if (event.target.closest("[data-print]")) window.print();
  });
})();
