// Unit tests for api.js: node --test ui-common/
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, ApiError, newIdempotencyKey, configureAuth, serverNow } from "./api.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("idempotency keys are v7 UUIDs with getRandomValues alone (plain http)", () => {
  assert.match(newIdempotencyKey(), UUID);
  const insecure = { getRandomValues: (a) => globalThis.crypto.getRandomValues(a) };
  const a = newIdempotencyKey(insecure);
  assert.match(a, UUID);
  assert.notEqual(a, newIdempotencyKey(insecure));
});

test("idempotency keys begin with the time and sort as it does", () => {
  const at = Date.UTC(2026, 10, 25, 9, 0, 0, 123);
  const k = newIdempotencyKey(globalThis.crypto, at);
  assert.equal(parseInt(k.slice(0, 8) + k.slice(9, 13), 16), at);
  const keys = [0, 1, 2, 1000, 86400000, 31536000000].map((d) => newIdempotencyKey(globalThis.crypto, at + d));
  assert.deepEqual([...keys].sort(), keys);
  assert.notEqual(newIdempotencyKey(globalThis.crypto, at), newIdempotencyKey(globalThis.crypto, at));
});

function fakeFetch(status, body, headers = {}) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers });
  };
  return calls;
}

test("JSON in and out, auth headers added", async () => {
  configureAuth({ headers: () => ({ Authorization: "Bearer x" }) });
  const calls = fakeFetch(201, { number: "M-004" });
  const t = await api("/api/v1/tickets", { method: "POST", body: { line: "mbe" }, headers: { "Idempotency-Key": "k" } });
  assert.equal(t.number, "M-004");
  assert.equal(calls[0].init.body, '{"line":"mbe"}');
  assert.equal(calls[0].init.headers.Authorization, "Bearer x");
  assert.equal(calls[0].init.headers["Idempotency-Key"], "k");
  configureAuth({ headers: () => ({}) });
});

test("204 gives null", async () => {
  fakeFetch(204);
  assert.equal(await api("/api/v1/desks/x/next", { method: "POST", body: {} }), null);
});

test("error bodies become ApiError with code", async () => {
  fakeFetch(409, { error: "line closed", code: "closed" });
  await assert.rejects(api("/x", { method: "POST" }), (e) => e instanceof ApiError && e.code === "closed" && e.status === 409 && !e.retryable);
  fakeFetch(503, { error: "down", code: "unavailable" });
  await assert.rejects(api("/x"), (e) => e.retryable);
});

test("401 calls the unauthorized hook", async () => {
  let seen = null;
  configureAuth({ unauthorized: (e) => (seen = e) });
  fakeFetch(401, { error: "no", code: "unauthorized" });
  await assert.rejects(api("/x"));
  assert.equal(seen.status, 401);
  configureAuth({ unauthorized: null });
});

test("network failure is code network and retryable", async () => {
  globalThis.fetch = async () => {
    throw new TypeError("Failed to fetch");
  };
  await assert.rejects(api("/x"), (e) => e.code === "network" && e.status === 0 && e.retryable);
});

test("server clock from the Date header", async () => {
  const ahead = new Date(Date.now() + 3600_000).toUTCString();
  fakeFetch(200, [], { Date: ahead });
  await api("/api/v1/lines");
  const off = serverNow() - Date.now();
  assert.ok(off > 3598_000 && off < 3602_000, `offset ${off}`);
});
