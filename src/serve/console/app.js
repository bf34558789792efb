// app.js -- the ward console: sign in with an access token (kept in
// sessionStorage, sent as Authorization: Bearer), the incident list with
// filters and live refresh, an incident with its attribution, timeline,
// notifications, replies and evidence, judgement buttons (with the
// analyst's note) and notes for analysts, the responsible parties (edited
// by admins), the fleet's sensors with their rates (live), and the
// accountability view per party or country with an
// SVG chart drawn here. In: JSON from /api/ (docs/api.md). Out: DOM nodes.
// Every value from the server goes in through textContent or attributes
// set one by one, never as HTML.
"use strict";

const TOKEN_KEY = "ward.token";
const REFRESH_MS = 10000;
const PAGE = 50;
const SVG_NS = "http://www.w3.org/2000/svg";

let me = null;
let offset = 0;
let refreshTimer = null;
let current = null; // the incident shown

const $ = (id) => document.getElementById(id);

function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.appendChild(c);
    else td.textContent = c === null || c === undefined ? "" : String(c);
    tr.appendChild(td);
  }
  return tr;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function say(msg, isError) {
  const s = $("status");
  s.textContent = msg || "";
  s.className = isError ? "error" : "";
}

class ApiError extends Error {
  constructor(status, msg) {
    super(msg);
    this.status = status;
  }
}

async function api(path, opts) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const o = Object.assign({ headers: {} }, opts || {});
  o.headers = Object.assign({ Authorization: "Bearer " + token }, o.headers);
  if (o.json !== undefined) {
    o.body = JSON.stringify(o.json);
    o.headers["Content-Type"] = "application/json";
    delete o.json;
  }
  const r = await fetch(path, o);
  if (r.status === 401) {
    signOut("Your token was refused: sign in again.");
    throw new ApiError(401, "unauthorized");
  }
  if (o.raw && r.ok) return r;
  const body = await r.json().catch(() => ({ error: "not JSON" }));
  if (!r.ok) throw new ApiError(r.status, body.error || r.statusText);
  return body;
}

function show(view) {
  for (const v of ["signin-view", "incidents-view", "incident-view", "parties-view",
    "accountability-view", "sensors-view"])
    $(v).hidden = v !== view;
}

function signOut(msg) {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  stopRefresh();
  $("nav").hidden = true;
  document.body.classList.remove("can-judge");
  document.body.classList.remove("is-admin");
  show("signin-view");
  say(msg || "Signed out.");
  $("token").focus();
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    me = await api("/api/whoami");
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
    return false;
  }
  $("whoami").textContent = me.name + " (" + me.role + ")";
  $("nav").hidden = false;
  document.body.classList.toggle("can-judge", me.role === "analyst" || me.role === "admin");
  document.body.classList.toggle("is-admin", me.role === "admin");
  return true;
}

// ---- incidents ----

function filterQuery() {
  const q = new URLSearchParams();
  for (const name of ["state", "class", "sector", "facility", "party", "country", "since"]) {
    const v = $("f-" + name).value.trim();
    if (v) q.set(name, name === "country" ? v.toUpperCase() : v);
  }
  q.set("limit", String(PAGE));
  q.set("offset", String(offset));
  return q.toString();
}

async function loadIncidents() {
  let j;
  try {
    j = await api("/api/incidents?" + filterQuery());
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
    return;
  }
  const body = $("incidents-body");
  clear(body);
  for (const inc of j.incidents) {
    const a = el("a", inc.id, { href: "#/incident/" + encodeURIComponent(inc.id) });
    body.appendChild(row([a, inc.class, inc.status, inc.facility,
      inc.party ? inc.party.name : "", inc.first_seen, inc.summary]));
  }
  const last = Math.min(j.offset + j.incidents.length, j.total);
  $("incidents-caption").textContent = j.total + " incidents";
  $("page").textContent = j.total ? (j.offset + 1) + "–" + last + " of " + j.total : "none";
  $("prev").disabled = j.offset === 0;
  $("next").disabled = last >= j.total;
  say("Updated " + new Date().toLocaleTimeString());
}

function stopRefresh() {
  if (refreshTimer) clearInterval(refreshTimer);
  refreshTimer = null;
}

function startRefresh() {
  stopRefresh();
  if ($("live").checked) refreshTimer = setInterval(loadIncidents, REFRESH_MS);
}

// ---- one incident ----

function fact(dl, name, value) {
  dl.appendChild(el("dt", name));
  dl.appendChild(el("dd", value === null || value === undefined ? "—" : value));
}

function judgeButtons(n) {
  const span = el("span");
  for (const verdict of ["substantive", "formal"]) {
    const b = el("button", verdict === "substantive" ? "Substantive" : "Formal",
      { type: "button", "data-ref": n.ref, "data-verdict": verdict,
        "aria-label": "Judge the reply to notification " + n.ref + " " + verdict });
    b.addEventListener("click", () => judge(n.ref, verdict, false));
    span.appendChild(b);
    span.appendChild(document.createTextNode(" "));
  }
  return span;
}

async function judge(ref, verdict, force) {
  try {
    const body = { judgement: verdict, force };
    const note = $("judge-note").value.trim();
    if (note) body.note = note;
    const j = await api("/api/notifications/" + encodeURIComponent(ref) + "/judgement",
      { method: "POST", json: body });
    $("judge-note").value = "";
    await openIncident(current);
    say("Judged " + j.incident + " " + j.judgement + (j.changed ? "" : " (unchanged)"));
  } catch (e) {
    if (e.status === 409 && window.confirm(e.message + "\n\nReplace it?"))
      return judge(ref, verdict, true);
    if (e.status !== 401) say(e.message, true);
  }
}

async function openIncident(id) {
  current = id;
  stopRefresh();
  show("incident-view");
  let inc;
  try {
    inc = await api("/api/incidents/" + encodeURIComponent(id));
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
    return;
  }
  $("inc-title").textContent = inc.id + " — " + inc.class;
  const dl = $("inc-facts");
  clear(dl);
  fact(dl, "State", inc.status);
  fact(dl, "Type", inc.type);
  fact(dl, "Severity", inc.severity);
  fact(dl, "Summary", inc.summary);
  fact(dl, "Facility", inc.facility);
  fact(dl, "Sector", inc.sector);
  fact(dl, "First seen", inc.first_seen);
  fact(dl, "Last seen", inc.last_seen);
  fact(dl, "Attribution", inc.attribution);
  fact(dl, "Party", inc.party ? inc.party.name + " <" + inc.party.email + ">" : null);
  $("evidence").disabled = !inc.evidence;
  $("close-incident").disabled = inc.status === "closed";

  const at = $("inc-attackers");
  clear(at);
  for (const a of (inc.attackers || []).concat(inc.reflectors || []))
    at.appendChild(row([a.ip, a.role, a.country, a.asn ? "AS" + a.asn + " " + (a.as_org || "") : "",
      a.party, a.attribution_reliable ? "yes" : "no", a.reason || a.matched_by]));
  const tg = $("inc-targets");
  clear(tg);
  for (const t of inc.targets || []) tg.appendChild(row([t.ip, t.facility, t.sector]));
  const nt = $("inc-notifications");
  clear(nt);
  for (const n of inc.notifications)
    nt.appendChild(row([n.ref, n.party, n.kind, n.state, n.sent, judgeButtons(n)]));
  const rp = $("inc-replies");
  clear(rp);
  for (const r of inc.replies)
    rp.appendChild(row([r.received, r.from, r.kind, r.sender, r.verdict || "", r.note]));
  const tl = $("inc-timeline");
  clear(tl);
  for (const ev of inc.timeline) {
    const li = el("li");
    li.appendChild(el("time", ev.at, { datetime: ev.at || "" }));
    li.appendChild(document.createTextNode(describe(ev)));
    tl.appendChild(li);
  }
  say("");
  $("inc-title").focus();
}

function describe(ev) {
  switch (ev.kind) {
    case "attack-start": return ev.detector + " from " + (ev.src || "?") + " to " + ev.dst + " began";
    case "attack-end": return ev.detector + " ended after " + ev.alerts + " alerts";
    case "notification-queued": return "notification " + ev.notification + " to " + ev.party + " queued";
    case "notification-sent": return "notification " + ev.notification + " to " + ev.party + " sent";
    case "reply": return ev.reply_kind + " reply from " + ev.from;
    case "verdict": return "judged " + ev.verdict + " by " + ev.by + (ev.note ? ": " + ev.note : "");
    case "note": return "note by " + ev.by + ": " + ev.note;
    default: return ev.kind;
  }
}

async function downloadEvidence() {
  try {
    const r = await api("/api/incidents/" + encodeURIComponent(current) + "/evidence", { raw: true });
    const blob = await r.blob();
    const a = el("a", null, { href: URL.createObjectURL(blob), download: current + ".pcap" });
    document.body.appendChild(a);
    a.click();
    a.remove();
    say("Evidence SHA-256 " + r.headers.get("X-Evidence-SHA256"));
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
  }
}

// ---- parties ----

let parties = [];
let editing = null; // the party in the form (null: a new one)

function listText(v) {
  return (v || []).join(", ");
}

function splitList(text) {
  return text.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

function fillPartyForm(p) {
  editing = p;
  $("party-form-title").textContent = p ? "Change " + p.name : "Add a party";
  $("p-name").value = p ? p.name : "";
  $("p-name").readOnly = !!p;
  $("p-kind").value = p ? p.kind : "national-cert";
  $("p-email").value = p ? p.email : "";
  $("p-format").value = p ? p.format : "text";
  $("p-language").value = p ? p.language : "en";
  $("p-deadline").value = String(p ? p.deadline_hours : 72);
  $("p-countries").value = p ? listText(p.countries) : "";
  $("p-asns").value = p ? listText(p.asns) : "";
  $("p-facilities").value = p ? listText(p.facilities) : "";
  $("party-delete").disabled = !p;
}

async function loadParties() {
  stopRefresh();
  show("parties-view");
  let j;
  try {
    j = await api("/api/parties");
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
    return;
  }
  parties = j.parties;
  $("parties-source").textContent = j.source === "store"
    ? "Kept in the database." : "From the directory file (attribution.directory); the first change copies it into the database.";
  const body = $("parties-body");
  clear(body);
  for (const p of parties) {
    const b = el("button", "Edit", { type: "button", class: "admin", "data-party": p.name,
      "aria-label": "Edit " + p.name });
    b.addEventListener("click", () => { fillPartyForm(p); $("p-email").focus(); });
    body.appendChild(row([p.name, p.kind, p.email, p.format, p.language, p.deadline_hours,
      listText(p.countries), listText(p.asns), listText(p.facilities), b]));
  }
  say("");
}

// The form as a party: the one edited, with the form's fields over it
// (what the form does not show, e.g. prefixes, is kept).
function partyOfForm() {
  const p = Object.assign({}, editing || {});
  p.name = $("p-name").value.trim();
  p.kind = $("p-kind").value;
  p.email = $("p-email").value.trim();
  p.format = $("p-format").value;
  p.language = $("p-language").value.trim();
  const d = $("p-deadline").value.trim();
  p.deadline_hours = /^[0-9]+$/.test(d) ? Number(d) : d;
  p.countries = splitList($("p-countries").value);
  p.asns = splitList($("p-asns").value).map((a) => (/^[0-9]+$/.test(a) ? Number(a) : a));
  p.facilities = splitList($("p-facilities").value);
  return p;
}

async function saveParty() {
  const p = partyOfForm();
  try {
    const saved = editing
      ? await api("/api/parties/" + encodeURIComponent(editing.name), { method: "PUT", json: p })
      : await api("/api/parties", { method: "POST", json: p });
    await loadParties();
    fillPartyForm(null);
    say("Saved " + saved.name + " <" + saved.email + ">");
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
  }
}

async function deleteParty() {
  if (!editing || !window.confirm("Remove " + editing.name + " from the directory?")) return;
  const name = editing.name;
  try {
    await api("/api/parties/" + encodeURIComponent(name), { method: "DELETE" });
    await loadParties();
    fillPartyForm(null);
    say("Removed " + name);
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
  }
}

// ---- accountability ----

function chart(rows) {
  const box = $("acc-chart");
  clear(box);
  const barH = 14, gap = 10, left = 150, width = 560, room = 130;
  const max = Math.max(1, ...rows.map((r) => r.sent));
  const h = rows.length * (3 * barH + gap) + 30;
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 " + (left + width + room) + " " + h);
  svg.setAttribute("width", String(left + width + room));
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-labelledby", "acc-chart-title");
  const title = document.createElementNS(SVG_NS, "title");
  title.id = "acc-chart-title";
  title.textContent = "Sent, answered and substantive notifications per group";
  svg.appendChild(title);
  rows.forEach((r, i) => {
    const y0 = i * (3 * barH + gap);
    const label = document.createElementNS(SVG_NS, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y0 + barH * 2));
    label.textContent = r.group;
    svg.appendChild(label);
    [["sent", r.sent], ["answered", r.human_replies], ["substantive", r.substantive]]
      .forEach(([kind, v], k) => {
        const rect = document.createElementNS(SVG_NS, "rect");
        rect.setAttribute("class", "bar-" + kind);
        rect.setAttribute("x", String(left));
        rect.setAttribute("y", String(y0 + k * barH));
        rect.setAttribute("height", String(barH - 2));
        rect.setAttribute("width", String(Math.max(1, (v / max) * width)));
        rect.setAttribute("data-group", r.group);
        rect.setAttribute("data-kind", kind);
        rect.setAttribute("data-value", String(v));
        const tip = document.createElementNS(SVG_NS, "title");
        tip.textContent = r.group + ": " + v + " " + kind;
        rect.appendChild(tip);
        svg.appendChild(rect);
        const t = document.createElementNS(SVG_NS, "text");
        t.setAttribute("x", String(left + (v / max) * width + 4));
        t.setAttribute("y", String(y0 + k * barH + barH - 3));
        t.textContent = kind + " " + v;
        svg.appendChild(t);
      });
  });
  box.appendChild(svg);
}

async function loadAccountability() {
  stopRefresh();
  show("accountability-view");
  let j;
  try {
    j = await api("/api/report?by=" + encodeURIComponent($("acc-by").value));
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
    return;
  }
  const body = $("acc-body");
  clear(body);
  for (const r of j.rows)
    body.appendChild(row([r.group, r.sent, r.human_replies, r.substantive, r.overdue,
      r.median_hours_to_reply === null ? "—" : r.median_hours_to_reply.toFixed(1)]));
  chart(j.rows);
  say("Report of " + j.generated);
}

// ---- sensors ----

async function loadSensors() {
  let j;
  try {
    j = await api("/api/sensors");
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
    return;
  }
  const body = $("sensors-body");
  clear(body);
  for (const x of j.sensors) {
    const tr = row([x.name, x.state, x.messages_per_minute.toFixed(1),
      x.alerts_per_minute.toFixed(1), x.messages, x.alerts, x.last_event,
      x.last_stored]);
    tr.className = "sensor-" + (x.state === "live" ? "live" : "silent");
    body.appendChild(tr);
  }
  if (!j.sensors.length)
    body.appendChild(row(["No sensor has published to this centre yet.", "", "", "",
      "", "", "", ""]));
  say("Sensors updated " + new Date().toLocaleTimeString());
}

// ---- routing ----

async function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    signOut("");
    return;
  }
  if (!me && !(await signIn(sessionStorage.getItem(TOKEN_KEY)))) return;
  const h = location.hash;
  stopRefresh();
  if (h === "#/sensors") {
    show("sensors-view");
    await loadSensors();
    refreshTimer = setInterval(loadSensors, REFRESH_MS);
  } else if (h.startsWith("#/incident/")) {
    await openIncident(decodeURIComponent(h.slice("#/incident/".length)));
  } else if (h === "#/accountability") {
    await loadAccountability();
  } else if (h === "#/parties") {
    await loadParties();
  } else {
    show("incidents-view");
    await loadIncidents();
    startRefresh();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const t = $("token").value.trim();
    $("token").value = "";
    if (t && (await signIn(t))) {
      if (location.hash !== "#/incidents") location.hash = "#/incidents";
      else route();
    }
  });
  $("signout").addEventListener("click", () => signOut());
  $("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    offset = 0;
    loadIncidents();
  });
  $("live").addEventListener("change", startRefresh);
  $("prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); loadIncidents(); });
  $("next").addEventListener("click", () => { offset += PAGE; loadIncidents(); });
  $("evidence").addEventListener("click", downloadEvidence);
  $("close-incident").addEventListener("click", async () => {
    try {
      await api("/api/incidents/" + encodeURIComponent(current) + "/close", { method: "POST" });
      await openIncident(current);
      say("Closed " + current);
    } catch (e) {
      if (e.status !== 401) say(e.message, true);
    }
  });
  $("note-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const note = $("note").value.trim();
    if (!note) return;
    try {
      await api("/api/incidents/" + encodeURIComponent(current) + "/notes",
        { method: "POST", json: { note } });
      $("note").value = "";
      await openIncident(current);
      say("Note saved");
    } catch (e) {
      if (e.status !== 401) say(e.message, true);
    }
  });
  $("acc-by").addEventListener("change", loadAccountability);
  $("party-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    saveParty();
  });
  $("party-new").addEventListener("click", () => { fillPartyForm(null); $("p-name").focus(); });
  $("party-delete").addEventListener("click", deleteParty);
  $("inc-title").setAttribute("tabindex", "-1");
  window.addEventListener("hashchange", route);
  route();
});
