// fixkb: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  // "/" focuses the search box (unless typing in a field).
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var box = document.getElementById("q");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });
})();
