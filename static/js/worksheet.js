/* Worksheets save as she types: a second after the last key, the fields are sent as JSON.
   Without JavaScript only the Save button saves (the page says so).

   Saves are ordered: each names the revision of her work it started from, and only one is in
   flight at a time (the next waits for its answer and takes the newest text). The server
   refuses a save from an older revision (409), so an old page or another tab never overwrites
   newer text. The form's hidden revision follows, so the Save buttons name the right one.
   Every message is the page's own (translated): saved, no connection (tried again), changed
   elsewhere, session ended, invalid answer, or a problem on Senda's side. */
(function () {
  "use strict";
  var form = document.getElementById("worksheet");
  if (!form || !form.dataset.autosave || !window.fetch) { return; }
  var status = document.getElementById("saved");
  var help = document.getElementById("saving-help");
  var token = form.elements.csrf_token.value;
  var revision = form.elements.revision;
  var timer = null;
  var inFlight = false;
  var pending = false;
  var stopped = false;
  var retryDelay = 2000;
  var submitter = null;  // a Save button pressed while a save was in flight

  if (help && help.dataset.typing) { help.textContent = help.dataset.typing; }

  function say(key) { status.textContent = status.dataset[key] || ""; }

  function values() {
    var result = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[type=text], textarea"), function (el) {
      result[el.name] = el.value;
    });
    return result;
  }

  function next() {
    inFlight = false;
    if (submitter) { sendForm(); return; }
    if (pending && !stopped) { pending = false; save(); }
  }

  // The form, sent once no save is in flight, so it names the newest revision (else the
  // server would rightly take it for an older page).
  function sendForm() {
    var action = document.createElement("input");
    action.type = "hidden";
    action.name = "action";
    action.value = submitter.value;
    form.appendChild(action);
    submitter = null;
    form.submit();
  }

  function refused(response) {
    if (response.status === 409) {
      stopped = true;  // another window saved newer text: never overwrite it from here
      say("stale");
      return;
    }
    if (response.status === 413) { say("invalid"); return; }
    // A 400 of ours names its reason; any other refusal (an expired form or session) is not
    // about what she wrote.
    return response.json().then(function (body) {
      say(body && body.reason === "invalid" ? "invalid" : "failed");
    }, function () {
      if (response.status >= 500) { say("failed"); return; }
      stopped = true;
      say("session");
    });
  }

  function save() {
    if (stopped) { return; }
    if (inFlight) { pending = true; return; }
    inFlight = true;
    pending = false;
    say("saving");
    fetch(form.dataset.autosave, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ values: values(), submit: false, revision: Number(revision.value) })
    }).then(function (response) {
      if (!response.ok) { return refused(response); }
      return response.json().then(function (body) {
        revision.value = body.revision;
        retryDelay = 2000;
        say("saved");
      });
    }).then(next, function () {
      // No answer at all: the connection. Try again, a little later each time.
      inFlight = false;
      if (submitter) { sendForm(); return; }
      say("offline");
      setTimeout(save, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  form.addEventListener("submit", function (event) {
    if (timer) { clearTimeout(timer); timer = null; }
    pending = false;
    if (inFlight) {
      event.preventDefault();
      submitter = event.submitter || form.querySelector("button[name=action]");
      say("saving");
    }
  });

  form.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1000);
  });
}());
