// The device the app runs on. On an iPad only the app added to the Home Screen keeps its data: Safari deletes a
// site's storage after 7 days without use, and a Safari tab's storage is not the installed app's. So there the
// app captures only when installed, and says so.
import {t} from "./i18n.js";

function iPad() {
  // iPadOS 13 and later say "Macintosh" like a Mac: only a touch screen tells them apart.
  return /iPad|Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1;
}

// Safari's Home Screen app sets navigator.standalone; other browsers answer the display-mode query.
const installed = () => matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;

export const tabOnIPad = () => iPad() && !installed();  // capture is refused here

export const iPadNotice = () => t("On an iPad, capture only in the app added to the Home Screen: Safari tabs lose their data after 7 days.");
