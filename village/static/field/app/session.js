// Several workers on one tablet: one online login each, then offline unlock with their password.
// Limits (attempts, offline age, idle time, PBKDF2 rounds) come from the node at each online login.
import {makeProfile, openProfile} from "./crypt.js";
import {all, forgetWorker, get, pending, put} from "./store.js";

const DAY_MS = 86400000;
let current = null;  // {username, key, profile} while unlocked; the key never leaves memory
let idleTimer = null;
let lastTouch = 0;  // when the unlocked worker last touched the app (wall clock, ms)
let onLock = () => {};

export const worker = () => current;

export async function enroll(online, password) {
  // After the node confirmed `password` for the online session `online`: make or refresh the worker's profile.
  const limits = online.limits;
  const old = await get("workers", online.username);
  let key = old ? await openProfile(old, password) : null;
  let profile = old;
  if (!key) [profile, key] = await makeProfile(online.username, password, limits.pbkdf2_iterations);
  Object.assign(profile, {failures: 0, lastOnline: Date.now(), limits, role: online.role});
  await put("workers", profile);
  start(profile, key);
  return profile;
}

export async function touchOnline(online) {
  // The node saw this worker logged in: their offline age starts again, their limits are renewed.
  const profile = await get("workers", online.username);
  if (profile) await put("workers", {...profile, lastOnline: Date.now(), limits: online.limits});
}

let checking = Promise.resolve();

export function unlock(username, password) {
  // One check at a time: tries made in parallel must not slip past the attempt limit.
  const result = checking.then(() => check(username, password));
  checking = result.catch(() => null);
  return result;
}

async function check(username, password) {
  // Return {ok} or {error, left}: refused past the attempt limit or the maximum offline age.
  const profile = await get("workers", username);
  if (!profile) return {error: "unknown"};
  const {unlock_attempts: attempts, offline_days: days} = profile.limits;
  if (profile.failures >= attempts) return {error: "attempts"};
  if (Date.now() - profile.lastOnline > days * DAY_MS) return {error: "age", days};
  // Counted before the slow check, so closing the app during it does not give a free try.
  await put("workers", {...profile, failures: profile.failures + 1});
  const key = await openProfile(profile, password);
  if (!key) {
    const left = attempts - profile.failures - 1;
    return left <= 0 ? {error: "attempts"} : {error: "password", left};
  }
  await put("workers", {...profile, failures: 0});
  start(profile, key);
  return {ok: true};
}

function start(profile, key) {
  current = {username: profile.username, key, profile};
  bump();
}

export function lock() {
  current = null;
  lastTouch = 0;
  clearTimeout(idleTimer);
}

const idleMs = () => current.profile.limits.idle_minutes * 60000;

function idleLock() {
  lock();
  onLock("idle");
}

function lockedIfIdle() {
  // A tablet asleep runs no timers (and its monotonic clock may stop with it): on waking, the wall clock says
  // how long nobody touched the app. Returns true when it locked.
  if (!current || !lastTouch || Date.now() - lastTouch <= idleMs()) return false;
  idleLock();
  return true;
}

export function bump() {
  // Any touch or key press restarts the idle timer, unless the idle time is already over.
  if (!current || lockedIfIdle()) return;
  lastTouch = Date.now();
  clearTimeout(idleTimer);
  idleTimer = setTimeout(idleLock, idleMs());
}

export function watchIdle(callback) {
  onLock = callback;
  for (const type of ["pointerdown", "keydown", "input"]) document.addEventListener(type, bump, {passive: true});
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && lockedIfIdle());
}

export async function forgetGone(active) {
  // `active`: the node's active field workers (its signed ping's answer). A worker on this tablet missing from
  // it loses access here once none of their entries waits to be sent; returns the usernames forgotten.
  if (!Array.isArray(active)) return [];
  const keep = new Set(active);
  const waiting = new Set((await pending()).filter((e) => !e.refused).map((e) => e.owner));
  const gone = (await all("workers")).map((w) => w.username).filter((u) => !keep.has(u) && !waiting.has(u));
  for (const username of gone) {
    await forgetWorker(username);
    if (current && current.username === username) lock();
  }
  return gone;
}
