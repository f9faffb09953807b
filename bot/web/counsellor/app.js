// Counsellor page: plain JS, no framework. Data is only ever set with textContent or SVG
// attributes, never innerHTML, so nothing a pupil typed can run as markup.
"use strict";

const API = "/api/counsellor";
const state = { strings: {}, lang: "sv", page: 1, pageSize: 20, total: 0, current: null };

const $ = (id) => document.getElementById(id);
const t = (key) => (state.strings[state.lang] || {})[key] || key;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function localise() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((node) => {
    node.textContent = t(node.dataset.i18n);
  });
  document.title = t("title");
  $("ui-lang").value = state.lang;
}

async function api(path, options = {}) {
  const response = await fetch(API + path, {
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    ...options,
  });
  if (response.status === 401) {
    showLogin();
    throw new Error("unauthorised");
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function showLogin() {
  $("login-view").hidden = false;
  $("app-view").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
}

function formatDate(iso) {
  return new Date(iso).toLocaleString(state.lang === "sv" ? "sv-SE" : state.lang === "fi" ? "fi-FI" : "da-DK");
}

function langName(code) {
  return t(`lang_${code || "unknown"}`);
}

async function loadConversations() {
  const params = new URLSearchParams({ page: state.page, page_size: state.pageSize, lang: state.lang });
  const from = $("f-from").value, to = $("f-to").value;
  const field = $("f-field").value, handover = $("f-handover").value;
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  if (field) params.set("field", field);
  if (handover) params.set("handover", handover);
  const data = await api(`/conversations?${params}`);
  state.total = data.total;
  const body = $("conversations").tBodies[0];
  clear(body);
  for (const item of data.items) {
    const row = el("tr", null, "conversation");
    row.tabIndex = 0;
    row.dataset.id = item.id;
    row.append(el("td", formatDate(item.started_at)), el("td", langName(item.language)),
      el("td", (item.field_labels || item.fields).join(", ")));
    const summary = el("td", item.summary);
    if (item.handover) summary.prepend(el("span", "● ", "handover-flag"));
    row.append(summary);
    row.addEventListener("click", () => openDetail(item.id));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") openDetail(item.id); });
    body.append(row);
  }
  $("no-conversations").hidden = data.items.length > 0;
  const pages = Math.max(1, Math.ceil(data.total / state.pageSize));
  $("page-info").textContent = `${t("page")} ${state.page} / ${pages}`;
  $("prev").disabled = state.page <= 1;
  $("next").disabled = state.page >= pages;
}

async function openDetail(id) {
  const data = await api(`/conversations/${encodeURIComponent(id)}?lang=${state.lang}`);
  state.current = id;
  $("detail").hidden = false;
  $("detail-summary").textContent = data.summary;
  facts($("detail-facts"), data);
  clear($("transcript"));
}

// The summary a counsellor acts on, one row per item: names in the counsellor's language and
// the pupil's own (scrubbed) words as quotes. An empty item shows a dash, so a missing
// answer reads as "none", not as a page that failed to load.
function facts(list, data) {
  clear(list);
  const names = (items) => (items || []).map((item) => item.name);
  const s = data.suggested_names || {};
  const rows = [
    ["place", data.place ? [data.place] : []],
    ["interests", data.interests, true],
    ["fields", data.field_labels],
    ["programmes", names(s.programmes)],
    ["schools", names(s.schools)],
    ["professions", names(s.professions)],
    ["companies", names(s.companies)],
    ["visits", names(s.visits)],
    ["signed_up", names(data.signup_names)],
    ["handover_question", data.handover_question ? [data.handover_question] : [], true],
    ["unanswered", data.unanswered, true],
  ];
  for (const [key, values, quoted] of rows) {
    const dd = el("dd");
    dd.dataset.item = key;
    if (!values || !values.length) {
      dd.textContent = t("nothing");
    } else if (values.length === 1 && !quoted) {
      dd.textContent = values[0];
    } else {
      const ul = el("ul");
      for (const value of values) {
        const li = el("li");
        li.append(quoted ? el("q", value) : document.createTextNode(value));
        ul.append(li);
      }
      dd.append(ul);
    }
    list.append(el("dt", t(key)), dd);
  }
}

async function showTranscript() {
  if (!state.current) return;
  const data = await api(`/conversations/${encodeURIComponent(state.current)}?transcript=true&lang=${state.lang}`);
  const list = $("transcript");
  clear(list);
  for (const line of data.transcript || []) {
    const speaker = line.speaker === "pupil" ? "pupil" : "bot";
    list.append(el("li", `${t(speaker)}: ${line.text}`, speaker));
  }
}

async function loadHandovers() {
  const items = await api("/handovers");
  const list = $("handovers");
  clear(list);
  if (!items.length) list.append(el("li", t("no_handovers")));
  for (const item of items) {
    const li = el("li", `${formatDate(item.created_at)} (${langName(item.language)}): `);
    li.append(el("q", item.question));
    li.dataset.id = item.conversation_id;
    li.addEventListener("click", () => openDetail(item.conversation_id));
    list.append(li);
  }
}

async function loadSignups() {
  const items = await api("/signups");
  const body = $("signups").tBodies[0];
  clear(body);
  if (!items.length) {
    const row = el("tr");
    const cell = el("td", t("no_signups"));
    cell.colSpan = 3;
    row.append(cell);
    body.append(row);
  }
  for (const item of items) {
    const row = el("tr");
    row.append(el("td", formatDate(item.created_at)), el("td", item.visit_title),
      el("td", item.nickname || "–"));
    body.append(row);
  }
}

const SVG = "http://www.w3.org/2000/svg";

// A bar chart is an image to assistive technology: its aria-label says every bar in words,
// and the table next to it (under "show as table") holds the same numbers.
function chart(svg, table, caption, counts) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const words = counts.map((c) => `${c.label}: ${c.count}`).join(", ");
  svg.setAttribute("aria-label", `${caption}. ${words || t("chart_empty")}`);
  const body = table.tBodies[0];
  clear(body);
  for (const count of counts) {
    const row = el("tr");
    row.append(el("th", count.label), el("td", count.count));
    row.firstChild.scope = "row";
    body.append(row);
  }
  const rowHeight = 22, labelWidth = 160, width = 560;
  const max = Math.max(1, ...counts.map((c) => c.count));
  svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(1, counts.length) * rowHeight}`);
  svg.setAttribute("height", String(Math.max(1, counts.length) * rowHeight));
  counts.forEach((count, i) => {
    const y = i * rowHeight;
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y + 15));
    label.textContent = count.label;
    const bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("x", String(labelWidth));
    bar.setAttribute("y", String(y + 3));
    bar.setAttribute("height", String(rowHeight - 6));
    bar.setAttribute("width", String(((width - labelWidth - 40) * count.count) / max));
    const value = document.createElementNS(SVG, "text");
    value.setAttribute("x", String(labelWidth + ((width - labelWidth - 40) * count.count) / max + 4));
    value.setAttribute("y", String(y + 15));
    value.textContent = String(count.count);
    svg.append(label, bar, value);
  });
}

async function loadStats() {
  const stats = await api(`/stats?lang=${state.lang}`);
  for (const [key, counts] of [["field", stats.by_field], ["language", stats.by_language],
    ["week", stats.by_week]]) {
    chart($(`chart-${key}`), $(`table-${key}`), t(`by_${key}`), counts);
  }
  const select = $("f-field");
  const chosen = select.value;
  while (select.options.length > 1) select.remove(1);
  for (const field of stats.by_field) {
    const option = el("option", field.label);
    option.value = field.key;
    select.append(option);
  }
  select.value = chosen;
}

async function showApp(me) {
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = `${me.username} · ${t("school")}: ${me.school}`;
  await Promise.all([loadConversations(), loadHandovers(), loadSignups(), loadStats()]);
}

async function start() {
  state.strings = await (await fetch("/counsellor/strings.json")).json();
  const saved = localStorage.getItem("vv-counsellor-lang");
  const browser = (navigator.language || "sv").slice(0, 2);
  state.lang = saved || (["sv", "fi", "da"].includes(browser) ? browser : "sv");
  localise();
  $("ui-lang").addEventListener("change", async () => {
    state.lang = $("ui-lang").value;
    localStorage.setItem("vv-counsellor-lang", state.lang);
    localise();
    if (!$("app-view").hidden) await showApp(await api("/me"));
  });
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").hidden = true;
    const response = await fetch(`${API}/login`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
    $("password").value = "";
    if (!response.ok) {
      // 429: too many failed logins; say how long to wait instead of "wrong password".
      const wait = Number(response.headers.get("Retry-After"));
      $("login-error").textContent = response.status === 429 && wait > 0
        ? t("login_throttled").replace("{minutes}", String(Math.ceil(wait / 60)))
        : t("login_failed");
      $("login-error").hidden = false;
      return;
    }
    const me = await response.json();
    if (!localStorage.getItem("vv-counsellor-lang")) {
      state.lang = me.language;
      localise();
    }
    await showApp(me);
  });
  $("logout").addEventListener("click", async () => {
    await fetch(`${API}/logout`, { method: "POST", credentials: "same-origin" });
    showLogin();
  });
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    state.page = 1;
    loadConversations();
  });
  $("prev").addEventListener("click", () => { state.page -= 1; loadConversations(); });
  $("next").addEventListener("click", () => { state.page += 1; loadConversations(); });
  $("show-transcript").addEventListener("click", showTranscript);
  $("close-detail").addEventListener("click", () => { $("detail").hidden = true; });
  try {
    await showApp(await api("/me"));
  } catch {
    showLogin();
  }
}

document.addEventListener("DOMContentLoaded", start);
