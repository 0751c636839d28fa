/* LTI client-side postMessage storage (lti-cs-oidc, lti-pm-s): keeps the OIDC state in the
   platform's storage frame when the browser blocks cookies inside the LMS iframe. Messages go only
   to the platform's OIDC origin, and replies are accepted only from it, with our message_id. */
(function () {
  "use strict";

  function storageFrame(target) {
    if (target === "_parent") { return window.parent; }
    try { return window.parent.frames[target] || window.parent; } catch (e) { return window.parent; }
  }

  function send(el, message, onReply, onFail) {
    var origin = el.dataset.origin;
    var id = "senda-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    message.message_id = id;
    var done = false;
    function listener(event) {
      var data = event.data;
      if (event.origin !== origin || !data || data.message_id !== id) { return; }
      if (data.subject !== message.subject + ".response") { return; }
      done = true;
      window.removeEventListener("message", listener);
      if (data.error) { onFail(); } else { onReply(data); }
    }
    window.addEventListener("message", listener);
    setTimeout(function () { if (!done) { window.removeEventListener("message", listener); onFail(); } }, 4000);
    try { storageFrame(el.dataset.target).postMessage(message, origin); } catch (e) { onFail(); }
  }

  var el = document.getElementById("lti-storage");
  if (el && el.dataset.mode === "put") {
    var go = function () { window.location.replace(el.dataset.authUrl); };
    send(el, { subject: "lti.put_data", key: "state-" + el.dataset.state, value: el.dataset.state }, go, go);
  } else if (el && el.dataset.mode === "get") {
    var form = document.getElementById("lti-confirm");
    send(el, { subject: "lti.get_data", key: "state-" + el.dataset.state }, function (reply) {
      if (reply.value !== el.dataset.state) { document.getElementById("lti-storage-failed").hidden = false; return; }
      form.elements.state.value = reply.value;
      form.submit();
    }, function () { document.getElementById("lti-storage-failed").hidden = false; });
  }

  var check = document.getElementById("session-check");
  if (check) {
    fetch(check.dataset.checkUrl, { credentials: "same-origin" }).then(function (response) {
      if (response.ok) { window.location.replace(check.dataset.next); return; }
      document.getElementById("new-window").hidden = false;
    }).catch(function () { document.getElementById("new-window").hidden = false; });
  }
}());
