/* Inside an LMS iframe: asks the LMS to make the frame as tall as the page (the lti.frameResize
   message, which Canvas and Brightspace honour, and Moodle with its message-handler plugin), so
   a page never scrolls inside a scrolling LMS page. Tables wider than a phone scroll inside their
   own box (senda.css); those that do are made reachable with the keyboard. */
(function () {
  "use strict";
  var framed = window.parent && window.parent !== window;
  var last = 0;
  var pending = null;

  function height() {
    var doc = document.documentElement;
    return Math.ceil(Math.max(doc.scrollHeight, document.body ? document.body.scrollHeight : 0));
  }

  function send() {
    pending = null;
    var now = height();
    if (now === last) { return; }
    last = now;
    /* Only a height: nothing about her leaves the frame, so any parent may read it. */
    window.parent.postMessage({ subject: "lti.frameResize", height: now }, "*");
  }

  function later() {
    if (pending === null) { pending = window.setTimeout(send, 100); }
  }

  function scrollBoxes() {
    Array.prototype.forEach.call(document.querySelectorAll(".prose table"), function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else {
        table.removeAttribute("tabindex");
      }
    });
  }

  scrollBoxes();
  window.addEventListener("resize", scrollBoxes);
  if (!framed) { return; }
  send();
  window.addEventListener("load", later);
  window.addEventListener("resize", later);
  document.addEventListener("toggle", later, true);  /* <details> opened or closed */
  if (typeof window.ResizeObserver === "function" && document.body) {
    new window.ResizeObserver(later).observe(document.body);
  }
}());
