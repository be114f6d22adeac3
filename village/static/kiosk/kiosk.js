/* Kiosk behaviour: return home when idle (forgetting anything typed), the on-screen keypad, printing.
   Plain JavaScript, no framework, nothing fetched from elsewhere. */
(function () {
  "use strict";
  var script = document.currentScript;
  var idleMs = Math.max(1, Number(script.dataset.idleSeconds) || 90) * 1000;
  var home = script.dataset.home;
  var timer = null;

  function forget() {
    document.querySelectorAll("form").forEach(function (form) { form.reset(); });
  }

  function goHome() {
    forget();
    location.replace(home);
  }

  function restart() {
    clearTimeout(timer);
    timer = setTimeout(goHome, idleMs);
  }

  // "kiosk-busy": speech.js while a resident listens to something read aloud.
  ["pointerdown", "keydown", "input", "touchstart", "wheel", "scroll", "kiosk-busy"].forEach(function (name) {
    window.addEventListener(name, restart, { passive: true, capture: true });
  });
  // A page shown again from the back/forward cache must not show the last resident's answers.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { forget(); }
    restart();
  });
  restart();

  // One keypad at a time: the one of the field last tapped (or the page's only one).
  var pads = Array.prototype.slice.call(document.querySelectorAll("[data-keypad]"));
  function show(open) {
    pads.forEach(function (pad) { pad.hidden = pad !== open; });
  }
  if (pads.length === 1) { show(pads[0]); }
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("input, textarea, select")) { return; }
    var mine = pads.filter(function (pad) { return pad.dataset.keypad === field.id; })[0];
    show(mine || null);
  });
  pads.forEach(function (pad) {
    var input = document.getElementById(pad.dataset.keypad);
    if (!input) { return; }
    pad.addEventListener("click", function (event) {
      var key = event.target.closest("button[data-key]");
      if (!key) { return; }
      var value = key.dataset.key;
      var limit = Number(input.getAttribute("maxlength")) || 64;
      if (value === "back") {
        input.value = input.value.slice(0, -1);
      } else if (value === "clear") {
        input.value = "";
      } else if (input.value.length < limit) {
        input.value += value;
      }
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
