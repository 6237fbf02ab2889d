// Unit tests for the phone page's rules: node --test phone/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  tokenFromPath, statusPath, retryDelay, answerKind, screenOf, finishedReason, callKey,
  RETRY_MIN_MS, RETRY_MAX_MS, POLL_TIMEOUT_MS,
} from "./state.js";

test("the token comes from /t/{token} and nowhere else", () => {
  assert.equal(tokenFromPath("/t/abcDEF0123456789abcdef"), "abcDEF0123456789abcdef");
  assert.equal(tokenFromPath("/t/abc/"), "abc");
  assert.equal(tokenFromPath("/t/"), "");
  assert.equal(tokenFromPath("/t/static"), "");
  assert.equal(tokenFromPath("/kiosk/x"), "");
});

test("the first request answers at once, the next ones long-poll after the last sequence", () => {
  assert.equal(statusPath("tok", 0), "/t/status/tok");
  assert.equal(statusPath("tok", 42), "/t/status/tok?after=42");
  assert.equal(statusPath("a/b", 1), "/t/status/a%2Fb?after=1");
});

test("retries back off from 1 s to at most 30 s, with jitter", () => {
  const mid = () => 0.5;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map((n) => retryDelay(n, mid)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(retryDelay(0, mid), RETRY_MIN_MS);
  assert.equal(retryDelay(1, () => 0), 800);
  assert.equal(retryDelay(20, () => 0.999999), Math.round(RETRY_MAX_MS * 1.2 - 0.012));
  assert.ok(POLL_TIMEOUT_MS > 25000, "a long poll answers within 25 s; the timeout must be longer");
});

test("only 404 and 410 end the page; everything else is tried again", () => {
  assert.equal(answerKind(200), "ok");
  assert.equal(answerKind(404), "invalid");
  assert.equal(answerKind(410), "invalid");
  for (const s of [400, 403, 429, 500, 502, 503, 504]) assert.equal(answerKind(s), "retry", String(s));
});

test("screens: waiting, called, and finished for every end", () => {
  assert.equal(screenOf({ status: "waiting" }), "waiting");
  assert.equal(screenOf({ status: "called" }), "called");
  for (const s of ["done", "no_show", "expired", "something_new"]) assert.equal(screenOf({ status: s }), "finished");
  assert.equal(finishedReason({ status: "done" }), "thanks");
  assert.equal(finishedReason({ status: "no_show" }), "missed");
  assert.equal(finishedReason({ status: "expired" }), "");
});

test("a call and every recall are new alerts; the same call is not", () => {
  const called = { status: "called", number: "M-001", desk: "Raum 2.14", recalls: 0, called_at: "2026-11-25T09:00:00Z" };
  assert.equal(callKey({ status: "waiting", number: "M-001" }), null);
  const a = callKey(called);
  assert.equal(callKey({ ...called }), a);
  assert.notEqual(callKey({ ...called, recalls: 1 }), a);
  assert.notEqual(callKey({ ...called, desk: "Empore" }), a);
  assert.notEqual(callKey({ ...called, called_at: "2026-11-25T09:05:00Z" }), a, "put back and called again");
});
