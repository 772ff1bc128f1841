// The account form shows the fields of the chosen role only (the organization for a
// secretary, the username for anyone else, the committee for a committee viewer); without
// script every field shows, each saying which role it is for.
(function () {
  "use strict";
  const role = document.getElementById("id_role");
  if (!role) return;
  const show = () => {
    document.querySelectorAll("[data-role-only]").forEach((el) => {
      el.hidden = el.dataset.roleOnly !== role.value;
    });
    document.querySelectorAll("[data-role-except]").forEach((el) => {
      el.hidden = el.dataset.roleExcept === role.value;
    });
  };
  role.addEventListener("change", show);
  show();
})();
