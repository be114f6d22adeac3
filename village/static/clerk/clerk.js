// Shared machine: after the idle time, log the clerk out (the server enforces it too).
(function () {
  "use strict";
  var root = document.getElementById("clerk");
  var seconds = root && parseInt(root.getAttribute("data-idle-seconds"), 10);
  var form = document.getElementById("logout-form");
  if (seconds && form) {
    var timer;
    var reset = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { form.submit(); }, seconds * 1000);
    };
    ["pointerdown", "keydown", "scroll", "touchstart"].forEach(function (name) {
      document.addEventListener(name, reset, { passive: true });
    });
    reset();
  }
  var print = document.getElementById("print-button");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
})();
