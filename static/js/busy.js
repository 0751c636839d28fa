/* Long operations (the LMS roster, importing content, moving a cohort) say they are working and
   cannot be submitted twice. Forms work the same without JavaScript. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("form[data-busy]"), function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) { return; }
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = form.getAttribute("data-busy");
    });
  });
}());
