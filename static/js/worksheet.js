/* Worksheets save as she types: a second after the last key, the fields are sent as JSON.
   Without JavaScript the Save button does the same. */
(function () {
  "use strict";
  var form = document.getElementById("worksheet");
  if (!form || !form.dataset.autosave || !window.fetch) { return; }
  var status = document.getElementById("saved");
  var token = form.elements.csrf_token.value;
  var timer = null;
  var labels = { es: ["Guardando…", "Guardado", "No se pudo guardar. Revisa tu conexión."],
                 en: ["Saving…", "Saved", "Could not save. Check your connection."] };
  var text = labels[document.documentElement.lang] || labels.es;

  function values() {
    var result = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[type=text], textarea"), function (el) {
      result[el.name] = el.value;
    });
    return result;
  }

  function save() {
    status.textContent = text[0];
    fetch(form.dataset.autosave, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ values: values(), submit: false })
    }).then(function (response) {
      status.textContent = response.ok ? text[1] : text[2];
    }).catch(function () { status.textContent = text[2]; });
  }

  form.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1000);
  });
}());
