// The record form shows the 评分标准 of the item chosen, and only that one.
(function () {
  "use strict";
  const select = document.getElementById("id_item");
  if (!select) return;
  const show = () => {
    for (const el of document.querySelectorAll("[data-standard]")) {
      el.hidden = el.dataset.standard !== select.value;
    }
  };
  select.addEventListener("change", show);
  show();
})();
