// Show the red banner when the field app is opened without a secure context (e.g. plain http:// on the LAN):
// service workers, storage that lasts and WebCrypto exist only in one, so the tablet cannot work offline.
(function () {
  "use strict";
  var banner = document.getElementById("insecure-banner");
  if (banner && !window.isSecureContext) banner.hidden = false;
}());
