/* Submits a form that carries a signed LTI message (id_token or deep-linking JWT) on load. */
(function () {
  "use strict";
  var form = document.getElementById("autopost");
  if (form) { form.submit(); }
}());
