/* Elder mode: a form of several steps shows one step at a time, with Back and Next, and its send
   button on the last step only. Without this script every step shows, as in the standard mode. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-steps]");
  var nav = form && form.querySelector("[data-step-nav]");
  var steps = form ? Array.prototype.slice.call(form.querySelectorAll(".step")) : [];
  if (!nav || steps.length < 2) { return; }
  var back = nav.querySelector("[data-step-back]");
  var next = nav.querySelector("[data-step-next]");
  var send = form.querySelector("[type=submit]");

  function off(element, hide) {
    if (hide) { element.setAttribute("data-off", ""); } else { element.removeAttribute("data-off"); }
  }

  function show(index, moved) {
    steps.forEach(function (step, i) { off(step, i !== index); });
    off(back, index === 0);
    off(next, index === steps.length - 1);
    off(send, index !== steps.length - 1);
    form.dataset.step = String(index);
    if (moved) {
      var heading = steps[index].querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
      steps[index].scrollIntoView({ block: "start" });
    }
  }

  // A form sent back with problems opens at the first step that has one.
  var start = steps.findIndex(function (step) { return step.querySelector(".has-problem"); });
  form.setAttribute("data-steps-on", "");
  nav.hidden = false;
  show(Math.max(0, start), false);
  back.addEventListener("click", function () { show(Math.max(0, Number(form.dataset.step) - 1), true); });
  next.addEventListener("click", function () { show(Math.min(steps.length - 1, Number(form.dataset.step) + 1), true); });
})();
