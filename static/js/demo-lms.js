/* Demo LMS: answers the LTI client-side storage messages (lti-pm-s) of the tool in its iframe,
   the way Canvas's post_message_forwarding frame does. Only the tool's origin is served, and each
   origin gets its own storage. */
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main) { return; }
  var toolOrigin = main.dataset.toolOrigin;
  var store = {};
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || event.origin !== toolOrigin) { return; }
    var reply = { subject: data.subject + ".response", message_id: data.message_id, key: data.key };
    if (data.subject === "lti.put_data") {
      store[data.key] = data.value;
      reply.value = data.value;
    } else if (data.subject === "lti.get_data") {
      if (Object.prototype.hasOwnProperty.call(store, data.key)) {
        reply.value = store[data.key];
      } else {
        reply.error = { code: "not_found", message: "no such key" };
      }
    } else if (data.subject === "lti.capabilities") {
      reply.supported_messages = [{ subject: "lti.put_data" }, { subject: "lti.get_data" }];
    } else {
      return;
    }
    event.source.postMessage(reply, event.origin);
  });
}());
