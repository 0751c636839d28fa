/* Help pages: the quick exit and the links between help pages replace the current page in the
   frame's history instead of adding to it, so that Back never returns to a help page. Without
   JavaScript the same links still work, and the server shows the neutral page for any help page
   reached again after a quick exit. */
(function () {
  "use strict";
  function replace(event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    window.location.replace(event.currentTarget.href);
  }
  Array.prototype.forEach.call(
    document.querySelectorAll("a[data-quick-exit], a[data-replace]"),
    function (link) { link.addEventListener("click", replace); }
  );
}());
