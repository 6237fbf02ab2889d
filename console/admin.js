// The admin part of the console: the lines today, closed or opened by hand;
// paired devices (kiosks, displays) with their state and last contact,
// pairing codes, revoking; accounts.
// Only admins see it; the server refuses everyone else anyway (403).

import { api, ApiError } from "/common/api.js";
import { t, lang } from "./i18n.js";
import { ACCOUNT_NAME, DESK_MAX, PASSWORD_MIN, ago, deviceState, lineModeState } from "./format.js";

/** Whether a device is connected changes by itself: look again this often while the list is shown. */
const DEVICES_EVERY_MS = 5000;

const $ = (id) => document.getElementById(id);

/**
 * Wires the admin view.
 * @param {{confirm: (text: string, ok: string, danger?: boolean) => Promise<boolean>,
 *   me: () => ({name: string, role: string}|null)}} deps
 */
export function initAdmin({ confirm, me }) {
  /** @type {any[]|null} */
  let devices = null;
  /** @type {any[]|null} */
  let users = null;
  /** @type {any[]|null} GET /api/v1/lines */
  let lines = null;
  /** A mode change in flight, by line id. */
  const setting = new Set();
  let timer = 0;
  let shown = false;
  let wired = false;

  const fmtDate = () =>
    new Intl.DateTimeFormat(lang() === "en" ? "en-GB" : "de-DE", { dateStyle: "medium", timeStyle: "short" });

  function message(id, text, isError = false) {
    const el = $(id);
    el.textContent = text;
    el.classList.toggle("is-error", isError);
  }

  function errorText(e) {
    if (e instanceof ApiError) {
      if (e.code === "conflict") return t("admin.taken");
      if (e.code === "network" || e.code === "unavailable") return t("err.network");
      return e.message;
    }
    return String(e);
  }

  async function loadDevices() {
    try {
      devices = await api("/api/v1/devices");
      renderDevices();
    } catch (e) {
      message("device-msg", errorText(e), true);
    }
  }

  async function loadLines() {
    try {
      lines = await api("/api/v1/lines");
      renderLines();
    } catch (e) {
      message("line-msg", errorText(e), true);
    }
  }

  const fmtOpens = () =>
    new Intl.DateTimeFormat(lang() === "en" ? "en-GB" : "de-DE", {
      weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
    });

  function renderLines() {
    const body = $("line-rows");
    const focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.dataset.testid : "";
    body.replaceChildren();
    if (!lines) return;
    for (const l of lines) {
      const ls = lineModeState(l);
      const tr = document.createElement("tr");
      tr.dataset.testid = `line-mode-${l.id}`;
      tr.dataset.line = l.id;
      tr.dataset.mode = ls.mode;
      tr.dataset.open = String(ls.open);
      const name = document.createElement("span");
      const strong = document.createElement("strong");
      strong.textContent = l.id.toUpperCase();
      name.append(strong);
      if (l.name) {
        const small = document.createElement("span");
        small.className = "small block";
        small.textContent = l.name;
        name.append(small);
      }
      cell(tr, name);
      const stateBox = document.createElement("span");
      const pill = document.createElement("span");
      pill.className = `pill ${ls.open ? "pill-open" : "pill-closed"}`;
      pill.dataset.testid = `line-state-${l.id}`;
      pill.textContent = t(`admin.line.${ls.state}`);
      stateBox.append(pill);
      if (!ls.open && l.next_open) {
        const small = document.createElement("span");
        small.className = "small block";
        small.dataset.testid = `line-next-${l.id}`;
        small.textContent = t("admin.line.nextOpen", { time: fmtOpens().format(new Date(l.next_open)) });
        stateBox.append(small);
      }
      cell(tr, stateBox);
      const actions = document.createElement("div");
      actions.className = "row-actions";
      for (const [mode, key] of [["closed", "close"], ["open", "open"], ["auto", "auto"]]) {
        const b = button(t(`admin.line.${key}`), `line-${mode}-${l.id}`, () => setMode(l, mode), mode === "closed" ? "btn-danger-quiet" : "");
        b.disabled = ls.mode === mode || setting.has(l.id);
        actions.append(b);
      }
      cell(tr, actions);
      body.append(tr);
    }
    if (focused) {
      const el = body.querySelector(`[data-testid="${CSS.escape(focused)}"]`);
      if (el && !el.disabled) el.focus();
    }
  }

  async function setMode(l, mode) {
    setting.add(l.id);
    renderLines();
    try {
      await api(`/api/v1/lines/${encodeURIComponent(l.id)}/mode`, { method: "PUT", body: { mode } });
      setting.delete(l.id);
      await loadLines();
      const now = (lines || []).find((x) => x.id === l.id);
      if (now) message("line-msg", t("admin.line.saved", { line: l.id.toUpperCase(), state: t(`admin.line.${lineModeState(now).state}`) }));
    } catch (err) {
      setting.delete(l.id);
      message("line-msg", errorText(err), true);
      loadLines();
    }
  }

  async function loadUsers() {
    try {
      users = await api("/api/v1/users");
      renderUsers();
    } catch (e) {
      message("account-msg", errorText(e), true);
    }
  }

  function button(text, testid, onClick, extra = "") {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `btn btn-small ${extra}`.trim();
    b.textContent = text;
    b.dataset.testid = testid;
    b.addEventListener("click", onClick);
    return b;
  }

  function cell(tr, text, cls = "") {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (text instanceof Node) td.append(text);
    else td.textContent = text;
    tr.append(td);
    return td;
  }

  function renderDevices() {
    const body = $("device-rows");
    // Keep focus on a row's button across the periodic refresh.
    const focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.dataset.testid : "";
    body.replaceChildren();
    if (!devices) return;
    if (devices.length === 0) {
      const tr = document.createElement("tr");
      const td = cell(tr, t("admin.noDevices"));
      td.colSpan = 6;
      body.append(tr);
    }
    const now = Date.now();
    for (const d of devices) {
      const tr = document.createElement("tr");
      tr.dataset.testid = `device-${d.id}`;
      tr.dataset.name = d.name;
      const st = deviceState(d);
      tr.className = `is-${st}`;
      cell(tr, t(`admin.kind.${d.kind}`) || d.kind);
      const name = document.createElement("strong");
      name.textContent = d.name;
      cell(tr, name);
      const stateBox = document.createElement("span");
      const pill = document.createElement("span");
      pill.className = `pill pill-dev-${st}`;
      pill.dataset.testid = "device-state";
      pill.textContent = t(`admin.state.${st}`);
      stateBox.append(pill);
      if (st === "unpaired" && d.pair_expires) {
        const exp = Date.parse(d.pair_expires);
        const small = document.createElement("span");
        small.className = "small block";
        small.textContent = exp > now ? t("admin.codeUntil", { time: fmtDate().format(new Date(exp)) }) : t("admin.codeExpired");
        stateBox.append(small);
      }
      cell(tr, stateBox);
      const conn = document.createElement("span");
      conn.className = d.connected > 0 ? "conn-yes" : "conn-no";
      conn.dataset.testid = "device-connected";
      conn.textContent = d.connected > 0 ? t("admin.yes") : t("admin.no");
      cell(tr, conn);
      cell(tr, d.connected > 0 ? t("ago.now") : ago(d.last_seen, now), "nowrap");
      const actions = document.createElement("div");
      actions.className = "row-actions";
      actions.append(button(t("admin.newCode"), `new-code-${d.id}`, () => newCode(d)));
      if (st !== "revoked") actions.append(button(t("admin.revoke"), `revoke-${d.id}`, () => revoke(d), "btn-danger-quiet"));
      cell(tr, actions);
      body.append(tr);
    }
    if (focused) {
      const el = body.querySelector(`[data-testid="${CSS.escape(focused)}"]`);
      if (el) el.focus();
    }
  }

  function renderUsers() {
    const body = $("account-rows");
    body.replaceChildren();
    if (!users) return;
    const self = me();
    for (const u of users) {
      const tr = document.createElement("tr");
      tr.dataset.testid = `account-${u.name}`;
      const name = document.createElement("span");
      const strong = document.createElement("strong");
      strong.textContent = u.name;
      name.append(strong);
      if (self && self.name === u.name) name.append(` (${t("admin.you")})`);
      cell(tr, name);
      cell(tr, t(`role.${u.role}`));
      cell(tr, u.created_at ? fmtDate().format(new Date(u.created_at)) : "–");
      const actions = document.createElement("div");
      actions.className = "row-actions";
      if (!self || self.name !== u.name) actions.append(button(t("admin.remove"), `remove-${u.name}`, () => removeUser(u), "btn-danger-quiet"));
      cell(tr, actions);
      body.append(tr);
    }
  }

  function showPairing(p) {
    $("pairing-title").textContent = t("admin.pairTitle", { name: p.device.name });
    $("pair-code").textContent = p.pair_code;
    const url = /** @type {HTMLInputElement} */ ($("pair-url"));
    url.value = p.pair_url;
    url.dataset.deviceId = p.device.id;
    $("copy-msg").textContent = "";
    /** @type {HTMLDialogElement} */ ($("pairing")).showModal();
  }

  async function copyLink() {
    const url = /** @type {HTMLInputElement} */ ($("pair-url"));
    let ok = false;
    try {
      // The clipboard API needs a secure context (https or localhost).
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(url.value);
        ok = true;
      }
    } catch {
      ok = false;
    }
    if (!ok) {
      url.focus();
      url.select();
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
    }
    $("copy-msg").textContent = ok ? t("admin.copied") : t("admin.copyFailed");
  }

  async function createDevice(e) {
    e.preventDefault();
    const name = /** @type {HTMLInputElement} */ ($("device-name")).value.trim();
    const kind = /** @type {HTMLInputElement} */ (document.querySelector('input[name="kind"]:checked')).value;
    if (!name || [...name].length > DESK_MAX) {
      message("device-msg", t("admin.badDeviceName"), true);
      $("device-name").focus();
      return;
    }
    try {
      const p = await api("/api/v1/devices", { method: "POST", body: { kind, name } });
      /** @type {HTMLInputElement} */ ($("device-name")).value = "";
      message("device-msg", "");
      showPairing(p);
      loadDevices();
    } catch (err) {
      message("device-msg", errorText(err), true);
    }
  }

  async function newCode(d) {
    if (deviceState(d) === "paired" && !(await confirm(t("admin.confirmNewCode", { name: d.name }), t("admin.newCode"), true))) return;
    try {
      const p = await api(`/api/v1/devices/${encodeURIComponent(d.id)}/pair-code`, { method: "POST" });
      showPairing(p);
      loadDevices();
    } catch (err) {
      message("device-msg", errorText(err), true);
    }
  }

  async function revoke(d) {
    if (!(await confirm(t("admin.confirmRevoke", { name: d.name }), t("admin.revoke"), true))) return;
    try {
      await api(`/api/v1/devices/${encodeURIComponent(d.id)}`, { method: "DELETE" });
      message("device-msg", t("admin.revoked", { name: d.name }));
    } catch (err) {
      message("device-msg", errorText(err), true);
    }
    loadDevices();
  }

  async function addUser(e) {
    e.preventDefault();
    const nameEl = /** @type {HTMLInputElement} */ ($("account-name"));
    const pwEl = /** @type {HTMLInputElement} */ ($("account-password"));
    const name = nameEl.value.trim().toLowerCase();
    const role = /** @type {HTMLSelectElement} */ ($("account-role")).value;
    if (!ACCOUNT_NAME.test(name)) {
      message("account-msg", t("admin.badName"), true);
      nameEl.focus();
      return;
    }
    if ([...pwEl.value].length < PASSWORD_MIN) {
      message("account-msg", t("admin.badPassword"), true);
      pwEl.focus();
      return;
    }
    try {
      await api("/api/v1/users", { method: "POST", body: { name, role, password: pwEl.value } });
      nameEl.value = "";
      pwEl.value = "";
      message("account-msg", t("admin.added", { name }));
      loadUsers();
    } catch (err) {
      message("account-msg", errorText(err), true);
    }
  }

  async function removeUser(u) {
    if (!(await confirm(t("admin.confirmRemove", { name: u.name }), t("admin.remove"), true))) return;
    try {
      await api(`/api/v1/users/${encodeURIComponent(u.name)}`, { method: "DELETE" });
      message("account-msg", t("admin.removed", { name: u.name }));
    } catch (err) {
      message("account-msg", errorText(err), true);
    }
    loadUsers();
  }

  function wire() {
    if (wired) return;
    wired = true;
    $("device-form").addEventListener("submit", createDevice);
    $("account-form").addEventListener("submit", addUser);
    $("devices-refresh").addEventListener("click", loadDevices);
    $("copy").addEventListener("click", copyLink);
    $("pair-url").addEventListener("focus", (e) => /** @type {HTMLInputElement} */ (e.target).select());
  }

  return {
    show() {
      wire();
      if (shown) return;
      shown = true;
      loadLines();
      loadDevices();
      loadUsers();
      timer = setInterval(loadDevices, DEVICES_EVERY_MS);
    },
    hide() {
      shown = false;
      clearInterval(timer);
    },
    /** A line.updated event (or a fresh snapshot): the lines' states may have changed. */
    linesChanged() {
      if (shown) loadLines();
    },
    render() {
      renderLines();
      renderDevices();
      renderUsers();
    },
  };
}
