/* Read aloud: a speaker button plays the audio the node made of what it shows (village/kiosk/speech.py),
   one sound at a time, with a stop button while it plays. A typed number is read back key by key.
   An emergency alert is read out on its own the first time this kiosk shows it (once). */
(function () {
  "use strict";
  var SPOKEN_ALERTS = "village-spoken-alerts";
  var audio = new Audio();
  var queue = [];
  var playing = null;
  var stop = document.querySelector("[data-stop-speech]");

  function mark(button, on) {
    if (button) { button.setAttribute("aria-pressed", on ? "true" : "false"); }
  }

  function finished() {
    mark(playing, false);
    playing = null;
    queue = [];
    if (stop) { stop.hidden = true; }
  }

  function halt() {
    audio.pause();
    finished();
  }

  // Play `urls` one after the other; the promise fails when the browser refuses to play.
  function play(urls, button, byResident) {
    halt();
    asked = byResident;
    queue = urls.slice(1);
    playing = button;
    mark(button, true);
    if (stop) { stop.hidden = false; }
    audio.src = urls[0];
    return audio.play().catch(function (error) { finished(); throw error; });
  }

  audio.addEventListener("ended", function () {
    if (queue.length) {
      audio.src = queue.shift();
      audio.play().catch(finished);
    } else {
      finished();
    }
  });
  audio.addEventListener("error", finished);
  // Someone who asked to listen is not idle: the kiosk must not go home in the middle of a notice.
  // (An alert read out on its own keeps nobody's session alive.)
  var asked = false;
  audio.addEventListener("timeupdate", function () {
    if (asked) { window.dispatchEvent(new Event("kiosk-busy")); }
  });

  function readBack(button) {
    var input = document.getElementById(button.dataset.readback);
    var keys = (input ? input.value.toUpperCase() : "").replace(/[^0-9A-Z]/g, "").split("");
    if (!keys.length) { return; }
    play(keys.map(function (key) { return button.dataset.keyUrl.replace("KEY", key); }), button, true).catch(function () {});
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.speak");
    if (!button) { return; }
    if (button.hasAttribute("data-stop-speech") || button === playing) {
      halt();
    } else if (button.dataset.readback) {
      readBack(button);
    } else if (button.dataset.speak) {
      play([button.dataset.speak], button, true).catch(function () {});
    }
  });

  function spokenAlerts() {
    try { return JSON.parse(localStorage.getItem(SPOKEN_ALERTS)) || []; } catch (e) { return []; }
  }

  // The first emergency this kiosk has not read out yet; marked as read only once it really plays.
  var fresh = Array.prototype.filter.call(document.querySelectorAll("[data-alert]"), function (alert) {
    return spokenAlerts().indexOf(alert.dataset.alert) < 0 && alert.querySelector("button.speak");
  })[0];
  if (fresh) {
    var button = fresh.querySelector("button.speak");
    play([button.dataset.speak], button, false).then(function () {
      var spoken = spokenAlerts().concat([fresh.dataset.alert]).slice(-50);
      try { localStorage.setItem(SPOKEN_ALERTS, JSON.stringify(spoken)); } catch (e) { /* full: read again */ }
    }, function () {});
  }
})();
