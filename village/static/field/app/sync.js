// The adapter between the app and the node: every network call of the app goes through here, so the sync
// protocol module (static/field/protocol/, issue #12 part A) can replace it. API:
//   ping()            -> {reachable, time, rtt}: the node's time (ms) and the round trip; never navigator.onLine
//   me()              -> {username, role, area, time, csrf, limits} of the online session, or null if none
//   confirm(password) -> true when it is the logged-in worker's password
//   nodeKey()         -> the node's public sealing key (base64 X25519)
//   push(entries)     -> {accepted: [ids], refused: [{id, problems}], conflicts: [], time}
//   snapshot()        -> {rows: {table: [records]}, too_large, time}
//   logout()          -> ends the online session (the tablet's records are not touched)
// Each throws Offline when the node cannot be reached or answers something else than expected.
const PING_TIMEOUT_MS = 3000;
const CALL_TIMEOUT_MS = 20000;
let csrf = "";

export class Offline extends Error {}
export class NotLoggedIn extends Error {}

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
  if (response.redirected || response.status === 401) throw new NotLoggedIn();
  if (response.status >= 500) throw new Offline(`HTTP ${response.status}`);
  return response;
}

async function postJson(path, body) {
  return call(path, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
                     body: JSON.stringify(body)});
}

export async function ping() {
  const started = Date.now();
  const response = await call("/sync/ping", {}, PING_TIMEOUT_MS);
  const answer = await response.json();
  const rtt = Date.now() - started;
  return {reachable: true, time: answer.time, rtt, at: started + rtt / 2};
}

export async function me() {
  try {
    const answer = await (await call("/field/api/me")).json();
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

export async function nodeKey() {
  return (await (await call("/field/api/node-key")).json()).key;
}

export async function push(entries) {
  const sealed = entries.map(({id, eph, iv, ct}) => ({id, eph, iv, ct}));
  const response = await postJson("/field/api/outbox", {entries: sealed});
  if (!response.ok) throw new Offline(`HTTP ${response.status}`);
  return {conflicts: [], ...(await response.json())};
}

export async function snapshot() {
  return (await call("/field/api/snapshot")).json();
}

export async function logout() {
  const form = new URLSearchParams({csrf_token: csrf});
  await call("/logout", {method: "POST", body: form, redirect: "manual"}, PING_TIMEOUT_MS);
}
