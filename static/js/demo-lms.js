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
    if (data.subject === "lti.frameResize") {
      /* As Canvas does: the tool's frame takes the height the tool asks for (within bounds). */
      var frame = document.getElementById("senda-frame");
      var height = Number(data.height);
      if (frame && isFinite(height) && height > 0) {
        frame.style.height = Math.min(Math.max(height, 320), 20000) + "px";
      }
      return;
    }
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
