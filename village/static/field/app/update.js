// The service worker and its updates: a new version waits until the outbox is empty or the worker agrees.
import {pending} from "./store.js";

let registration = null;
let onWaiting = () => {};

async function outboxEmpty() {
  return (await pending()).filter((e) => !e.refused).length === 0;
}

export async function maybeActivate() {
  // Let a waiting version take over now if nothing is waiting to be sent; say so otherwise.
  const waiting = registration && registration.waiting;
  if (!waiting) return onWaiting(false);
  if (await outboxEmpty()) waiting.postMessage("skipWaiting");
  else onWaiting(true);
}

export function activateNow() {
  if (registration && registration.waiting) registration.waiting.postMessage("skipWaiting");
}

export async function register(callback, onKilled) {
  onWaiting = callback;
  if (!("serviceWorker" in navigator)) return null;
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener("controllerchange", () => { if (hadController) location.reload(); });
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "killed") onKilled();
  });
  registration = await navigator.serviceWorker.register("/field/sw.js", {scope: "/field/"});
  registration.addEventListener("updatefound", () => {
    const installing = registration.installing;
    installing.addEventListener("statechange", () => installing.state === "installed" && maybeActivate());
  });
  await maybeActivate();
  return registration;
}

export const checkForUpdate = () => registration && registration.update().catch(() => {});
