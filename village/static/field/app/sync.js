// The adapter between the app and the node: every network call of the app goes through here. Records
// travel over the sync protocol (static/field/protocol/) with the tablet's own credentials; the worker's
// browser session is used only to log in, check a password and learn the limits. API:
//   ping()            -> {reachable, time, rtt, at, workers}: the node's time (ms), the round trip and (to an
//                        enrolled tablet) its active field workers; never navigator.onLine
//   me()              -> {username, role, area, time, csrf, limits} of the online session, or null if none
//   confirm(password) -> true when it is the logged-in worker's password
//   pushBatch(bytes)  -> the node's acknowledgement {cursor, applied, received, restamped, refused}
//   pull(cursor)      -> {envelope: {last, more, epochs}, changes} of the tablet's assignment after `cursor`
//   snapshot(after)   -> {envelope: {cursor, more, after, epochs}, changes}: one page of the assignment as it
//                        stands, after the record `after` ([table, id], or null: the first page)
//   conflicts()       -> {conflicts: [...], total}: the standing conflicts on the records the tablet holds
//   sendFiles(files, bytesOf) -> the shas of `files` ([{sha, size}]) the node holds now (the file lane)
//   logout()          -> ends the online session (the tablet's records are not touched)
// Each throws Offline when the node cannot be reached, Refused when it answers with an error.
import {NodeClient, SyncError, sendFiles as sendOnLane} from "/static/field/protocol/index.js";
import {credentials, observe} from "./tablet.js";

const PING_TIMEOUT_MS = 3000;
const CALL_TIMEOUT_MS = 20000;
const PULL_LIMIT = 1000;
let csrf = "";
let client = null;

export class Offline extends Error {}
export class NotLoggedIn extends Error {}
export class Refused extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.code;
  }
}

async function call(path, options = {}, timeout = CALL_TIMEOUT_MS) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout);
  let response;
  try {
    response = await fetch(path, {credentials: "same-origin", cache: "no-store", signal: abort.signal, ...options});
  } catch (error) {
    throw new Offline(String(error));
  } finally {
    clearTimeout(timer);
  }
  // The shared login answers a page (after a redirect) when the session is gone.
  if (response.redirected || response.type === "opaqueredirect" || response.status === 401) throw new NotLoggedIn();
  if (response.status >= 500) throw new Offline(`HTTP ${response.status}`);
  return response;
}

async function postJson(path, body) {
  return call(path, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
                     body: JSON.stringify(body)});
}

async function protocol(work, timeout = CALL_TIMEOUT_MS) {
  // Run `work(client)` with the tablet's client; map the protocol's errors to Offline / Refused.
  const creds = await credentials();
  if (!client || client.creds !== creds) client = new NodeClient("", creds, timeout);
  client.timeoutMs = timeout;
  try {
    return await work(client);
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    if (error.code === "unreachable" || (error.status && error.status >= 500)) throw new Offline(error.message);
    throw new Refused(error);
  } finally {
    if (client.nodeClock) observe(client.nodeClock);
  }
}

export async function ping() {
  const started = Date.now();
  const answer = await protocol((c) => c.ping(), PING_TIMEOUT_MS);
  const rtt = Date.now() - started;
  return {reachable: true, time: answer.time, rtt, at: started + rtt / 2, lastPush: answer.last_push,
          workers: answer.workers};
}

export async function me() {
  try {
    // Not following the redirect to the login page: loading it would start a new session (and CSRF token)
    // under a login form the worker may be filling in on this tablet at that moment.
    const answer = await (await call("/field/api/me", {redirect: "manual"})).json();
    csrf = answer.csrf;
    return answer;
  } catch (error) {
    if (error instanceof NotLoggedIn) return null;
    throw error;
  }
}

export async function confirm(password) {
  const response = await postJson("/field/api/confirm", {password});
  return response.ok;
}

export const pushBatch = (bytes) => protocol((c) => c.pushBytes(bytes));

export const pull = (cursor) => protocol((c) => c.pull(cursor, PULL_LIMIT));

export const snapshot = (after) => protocol((c) => c.snapshot(after, PULL_LIMIT));

export const conflicts = () => protocol(async (c) =>
  (await c.signed("POST", "/sync/conflicts", "{}", "application/json")).json());

export const sendFiles = (files, bytesOf) => protocol((c) => sendOnLane(c, files, bytesOf));

export async function logout() {
  const form = new URLSearchParams({csrf_token: csrf});
  await call("/logout", {method: "POST", body: form, redirect: "manual"}, PING_TIMEOUT_MS);
}
