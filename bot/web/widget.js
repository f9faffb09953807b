/*
 * Vägvisaren chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-language="sv" data-school="demo-skolan"></script>
 * No framework and no build step. The API base URL is derived from this script's own src.
 * Security rule: user and bot text is only ever inserted with textContent / createTextNode,
 * never innerHTML, so markup in a message is shown literally and never runs.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__vagvisarenWidget) return;
  window.__vagvisarenWidget = true;

  var BASE = new URL(".", script.src).href;
  var API = new URL("api/chat", BASE).href;
  var LANGS = ["sv", "fi", "da"];
  var LANG_NAMES = { sv: "Svenska", fi: "Suomi", da: "Dansk" };
  var schoolAttr = script.getAttribute("data-school") || "";
  var SCHOOL = /^[A-Za-z0-9_.-]{1,64}$/.test(schoolAttr) ? schoolAttr : null;
  var START_LANG = LANGS.indexOf(script.getAttribute("data-language")) >= 0
    ? script.getAttribute("data-language") : "sv";
  var STORE_KEY = "vagvisaren:v1:" + (SCHOOL || "default");
  var MAX_CHARS = 1000;
  var MAX_KEPT = 200;

  var T = {
    sv: {
      launcher: "Chatta med Vägvisaren",
      subtitle: "Hitta utbildning och jobb inom teknik och industri",
      close: "Stäng chatten",
      clear: "Börja om",
      clearLabel: "Börja om: töm chatten och glöm samtalet på den här datorn",
      language: "Språk",
      plain: "Lätt språk",
      note: "Vägvisaren är ett datorprogram, inte en människa. Vi sparar ett slumpat id " +
        "(inte ditt namn) och dina meddelanden i högst 90 dagar. Ditt förnamn sparas bara " +
        "om du anmäler dig till ett besök. Skriv inte efternamn eller personnummer.",
      empty: "Skriv vad du gillar att göra och var du bor, till exempel " +
        "\"jag gillar att skruva på mopeder\".",
      inputLabel: "Skriv ditt meddelande",
      placeholder: "Skriv här…",
      send: "Skicka",
      typing: "Vägvisaren skriver…",
      you: "Du:",
      bot: "Vägvisaren:",
      log: "Samtal med Vägvisaren",
      cards: "Förslag",
      quick: "Svarsalternativ",
      kinds: { programme: "Utbildning", profession: "Yrke", company: "Företag", visit: "Besök" },
      sample: "Exempel",
      near: "nära dig",
      km: "{n} km bort",
      date: "Datum {d}",
      schools: "Här kan du läsa den:",
      network: "Jag fick ingen kontakt. Kontrollera internet och försök igen.",
      rate: "Du skriver lite för snabbt. Vänta {s} sekunder och försök igen.",
      invalid: "Meddelandet kunde inte skickas. Skriv en kortare text (högst 1000 tecken).",
      failed: "Något gick fel. Försök igen om en stund.",
    },
    fi: {
      launcher: "Juttele Vägvisarenin kanssa",
      subtitle: "Löydä tekniikan ja teollisuuden koulutus ja työ",
      close: "Sulje chatti",
      clear: "Aloita alusta",
      clearLabel: "Aloita alusta: tyhjennä chatti ja unohda keskustelu tällä koneella",
      language: "Kieli",
      plain: "Selkokieli",
      note: "Vägvisaren on tietokoneohjelma, ei ihminen. Tallennamme satunnaisen tunnuksen " +
        "(ei nimeäsi) ja viestisi enintään 90 päiväksi. Etunimesi tallennetaan vain, jos " +
        "ilmoittaudut vierailulle. Älä kirjoita sukunimeäsi tai henkilötunnustasi.",
      empty: "Kerro, mistä tykkäät ja missä asut, esimerkiksi \"tykkään korjata mopoja\".",
      inputLabel: "Kirjoita viestisi",
      placeholder: "Kirjoita tähän…",
      send: "Lähetä",
      typing: "Vägvisaren kirjoittaa…",
      you: "Sinä:",
      bot: "Vägvisaren:",
      log: "Keskustelu Vägvisarenin kanssa",
      cards: "Ehdotukset",
      quick: "Vastausvaihtoehdot",
      kinds: { programme: "Koulutus", profession: "Ammatti", company: "Yritys", visit: "Vierailu" },
      sample: "Esimerkki",
      near: "lähellä",
      km: "{n} km päässä",
      date: "Päivä {d}",
      schools: "Täällä voit opiskella:",
      network: "Yhteys ei toiminut. Tarkista internet ja yritä uudelleen.",
      rate: "Kirjoitat vähän liian nopeasti. Odota {s} sekuntia ja yritä uudelleen.",
      invalid: "Viestiä ei voitu lähettää. Kirjoita lyhyempi teksti (enintään 1000 merkkiä).",
      failed: "Jokin meni vikaan. Yritä hetken päästä uudelleen.",
    },
    da: {
      launcher: "Chat med Vägvisaren",
      subtitle: "Find uddannelse og job inden for teknik og industri",
      close: "Luk chatten",
      clear: "Start forfra",
      clearLabel: "Start forfra: ryd chatten og glem samtalen på denne computer",
      language: "Sprog",
      plain: "Let dansk",
      note: "Vägvisaren er et computerprogram, ikke et menneske. Vi gemmer et tilfældigt id " +
        "(ikke dit navn) og dine beskeder i højst 90 dage. Dit fornavn gemmes kun, hvis du " +
        "melder dig til et besøg. Skriv ikke dit efternavn eller CPR-nummer.",
      empty: "Skriv, hvad du kan lide at lave, og hvor du bor, for eksempel " +
        "\"jeg kan lide at skrue på knallerter\".",
      inputLabel: "Skriv din besked",
      placeholder: "Skriv her…",
      send: "Send",
      typing: "Vägvisaren skriver…",
      you: "Dig:",
      bot: "Vägvisaren:",
      log: "Samtale med Vägvisaren",
      cards: "Forslag",
      quick: "Svarmuligheder",
      kinds: { programme: "Uddannelse", profession: "Job", company: "Virksomhed", visit: "Besøg" },
      sample: "Eksempel",
      near: "tæt på",
      km: "{n} km væk",
      date: "Dato {d}",
      schools: "Her kan du tage den:",
      network: "Der var ingen forbindelse. Tjek internettet, og prøv igen.",
      rate: "Du skriver lidt for hurtigt. Vent {s} sekunder, og prøv igen.",
      invalid: "Beskeden kunne ikke sendes. Skriv en kortere tekst (højst 1000 tegn).",
      failed: "Noget gik galt. Prøv igen om lidt.",
    },
  };

  // ---- state, kept across reloads in sessionStorage (gone when the tab closes) ----------
  var state = load();
  var busy = false;

  function load() {
    var fresh = { sessionId: null, language: START_LANG, plain: false, open: false, messages: [] };
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null");
      if (saved && LANGS.indexOf(saved.language) >= 0 && Array.isArray(saved.messages)) {
        return {
          sessionId: typeof saved.sessionId === "string" ? saved.sessionId : null,
          language: saved.language,
          plain: saved.plain === true,
          open: saved.open === true,
          messages: saved.messages.slice(-MAX_KEPT),
        };
      }
    } catch (e) { /* storage blocked or corrupt: start fresh */ }
    return fresh;
  }

  function save() {
    state.messages = state.messages.slice(-MAX_KEPT);
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* full */ }
  }

  function t(key) { return T[state.language][key]; }

  // ---- DOM helpers: elements and text nodes only ----------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Bot texts mark the matched word as *word*; show it bold, still as text nodes only.
  function appendRich(parent, text) {
    var parts = String(text).split(/\*([^*\n]+)\*/);
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      parent.appendChild(i % 2 ? el("strong", null, parts[i]) : document.createTextNode(parts[i]));
    }
  }

  // A speech bubble drawn as SVG, so no emoji font is needed on the pupil's computer.
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V5" +
      "a1 1 0 0 1 1-1z");
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  // ---- build the widget inside a shadow root, so the school page's CSS cannot break it ---
  var host = el("div");
  host.id = "vagvisaren-widget";
  var shadow = host.attachShadow({ mode: "open" });
  var sheet = el("link");
  sheet.rel = "stylesheet";
  sheet.href = new URL("widget.css", BASE).href;
  var root = el("div", "vv-root");
  root.hidden = true; // until the stylesheet has loaded, so nothing flashes unstyled
  sheet.addEventListener("load", function () { root.hidden = false; });
  sheet.addEventListener("error", function () { root.hidden = false; });
  window.setTimeout(function () { root.hidden = false; }, 3000);
  shadow.appendChild(sheet);
  shadow.appendChild(root);

  var launcher = el("button", "vv-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-controls", "vv-panel");
  var launcherText = el("span");
  launcher.appendChild(icon());
  launcher.appendChild(launcherText);

  var panel = el("section", "vv-panel");
  panel.id = "vv-panel";
  panel.setAttribute("aria-labelledby", "vv-title");

  var header = el("div", "vv-header");
  var titles = el("div", "vv-titles");
  var title = el("h2", "vv-title", "Vägvisaren");
  title.id = "vv-title";
  var subtitle = el("p", "vv-subtitle");
  titles.appendChild(title);
  titles.appendChild(subtitle);
  var clearButton = el("button", "vv-clear");
  clearButton.type = "button";
  var closeButton = el("button", "vv-close");
  closeButton.type = "button";
  closeButton.appendChild(el("span", null, "✕")).setAttribute("aria-hidden", "true");
  header.appendChild(titles);
  header.appendChild(clearButton);
  header.appendChild(closeButton);

  var controls = el("div", "vv-controls");
  var langLabel = el("label", "vv-label");
  langLabel.htmlFor = "vv-lang";
  var langSelect = el("select", "vv-lang");
  langSelect.id = "vv-lang";
  LANGS.forEach(function (code) {
    var option = el("option", null, LANG_NAMES[code]);
    option.value = code;
    option.lang = code;
    langSelect.appendChild(option);
  });
  var plainLabel = el("label", "vv-plain-label");
  var plainBox = el("input", "vv-plain");
  plainBox.type = "checkbox";
  plainBox.id = "vv-plain";
  var plainText = el("span");
  plainLabel.appendChild(plainBox);
  plainLabel.appendChild(plainText);
  var langWrap = el("div", "vv-field");
  langWrap.appendChild(langLabel);
  langWrap.appendChild(langSelect);
  controls.appendChild(langWrap);
  controls.appendChild(plainLabel);

  var note = el("p", "vv-note");
  var log = el("div", "vv-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.tabIndex = 0; // scrollable region reachable by keyboard
  var emptyHint = el("p", "vv-empty");
  var typing = el("p", "vv-typing");
  typing.setAttribute("role", "status");
  var typingText = el("span");
  var dots = el("span", "vv-dots");
  dots.setAttribute("aria-hidden", "true");
  for (var d = 0; d < 3; d++) dots.appendChild(el("span"));
  typing.appendChild(typingText);
  typing.appendChild(dots);

  var form = el("form", "vv-form");
  form.noValidate = true;
  var inputLabel = el("label", "vv-sr");
  inputLabel.htmlFor = "vv-input";
  var input = el("input", "vv-input");
  input.id = "vv-input";
  input.type = "text";
  input.maxLength = MAX_CHARS;
  input.autocomplete = "off";
  input.setAttribute("enterkeyhint", "send");
  var sendButton = el("button", "vv-send");
  sendButton.type = "submit";
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(controls);
  panel.appendChild(note);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  // ---- strings -----------------------------------------------------------------------------
  function applyStrings() {
    var lang = state.language;
    root.lang = lang;
    host.lang = lang;
    launcherText.textContent = t("launcher");
    subtitle.textContent = t("subtitle");
    closeButton.setAttribute("aria-label", t("close"));
    closeButton.title = t("close");
    clearButton.textContent = t("clear");
    clearButton.setAttribute("aria-label", t("clearLabel"));
    langLabel.textContent = t("language");
    plainText.textContent = t("plain");
    note.textContent = t("note");
    emptyHint.textContent = t("empty");
    inputLabel.textContent = t("inputLabel");
    input.placeholder = t("placeholder");
    sendButton.textContent = t("send");
    log.setAttribute("aria-label", t("log"));
    typingText.textContent = busy ? t("typing") : "";
    langSelect.value = lang;
    plainBox.checked = state.plain;
  }

  // ---- messages ----------------------------------------------------------------------------
  function formatDate(iso, lang) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!m) return iso;
    return lang === "sv" ? iso : Number(m[3]) + "." + Number(m[2]) + "." + m[1];
  }

  function renderCards(custom, lang) {
    var strings = T[LANGS.indexOf(custom.language) >= 0 ? custom.language : lang];
    var list = el("ul", "vv-cards");
    list.setAttribute("aria-label", strings.cards);
    list.lang = strings === T[custom.language] ? custom.language : lang;
    (custom.items || []).forEach(function (item) {
      if (!item || typeof item !== "object") return;
      var card = el("li", "vv-card vv-kind-" + (strings.kinds[item.kind] ? item.kind : "other"));
      var top = el("p", "vv-card-top");
      top.appendChild(el("span", "vv-kind", strings.kinds[item.kind] || item.kind || ""));
      if (item.sample === true) top.appendChild(el("span", "vv-badge", strings.sample));
      card.appendChild(top);
      card.appendChild(el("p", "vv-card-title",
        (item.title || "") + (item.site ? ", " + item.site : "")));
      var meta = [];
      if (item.municipality) meta.push(item.municipality);
      if (typeof item.distance_km === "number") {
        meta.push(item.distance_km < 1 ? strings.near
          : strings.km.replace("{n}", String(Math.round(item.distance_km))));
      }
      if (item.date) meta.push(strings.date.replace("{d}", formatDate(item.date, list.lang)));
      else if (item.when) meta.push(item.when);
      if (meta.length) card.appendChild(el("p", "vv-meta", meta.join(" · ")));
      if (item.reason) appendRich(card.appendChild(el("p", "vv-reason")), item.reason);
      if (Array.isArray(item.providers) && item.providers.length) {
        card.appendChild(renderSchools(item.providers, strings));
      }
      list.appendChild(card);
    });
    return list;
  }

  // The nearest schools that teach a programme: name (a link to the school), town, distance.
  function renderSchools(providers, strings) {
    var box = el("div", "vv-schools");
    box.appendChild(el("p", "vv-schools-title", strings.schools));
    var list = el("ul", "vv-school-list");
    providers.forEach(function (school) {
      if (!school || typeof school !== "object") return;
      var row = el("li", "vv-school");
      var campus = school.campus && school.campus.indexOf(school.municipality || "\u0000") < 0
        ? school.campus : "";
      var name = (school.name || "") + (campus ? ", " + campus : "");
      if (/^https?:\/\//.test(school.website || "")) {
        var link = el("a", null, name);
        link.href = school.website;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        row.appendChild(link);
      } else {
        row.appendChild(document.createTextNode(name));
      }
      var where = [school.municipality || ""];
      if (typeof school.distance_km === "number") {
        where.push(school.distance_km < 1 ? strings.near
          : strings.km.replace("{n}", String(Math.round(school.distance_km))));
      }
      row.appendChild(document.createTextNode(" – " + where.filter(Boolean).join(", ")));
      list.appendChild(row);
    });
    box.appendChild(list);
    return box;
  }

  function renderQuickReplies(message) {
    var group = el("div", "vv-quick");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("quick"));
    message.buttons.forEach(function (button) {
      if (!button || typeof button.payload !== "string") return;
      var b = el("button", "vv-quick-button", button.title || button.payload);
      b.type = "button";
      b.addEventListener("click", function () {
        send(button.payload, button.title || button.payload);
        input.focus();
      });
      group.appendChild(b);
    });
    return group;
  }

  function render(message) {
    var who = message.from === "user" ? "user" : message.from === "notice" ? "notice" : "bot";
    var item = el("div", "vv-msg vv-" + who);
    if (message.lang) item.lang = message.lang;
    if (message.text) {
      var bubble = el("p", "vv-bubble");
      bubble.appendChild(el("span", "vv-sr", who === "user" ? t("you") + " " : t("bot") + " "));
      if (who === "bot") appendRich(bubble, message.text);
      else bubble.appendChild(document.createTextNode(message.text));
      item.appendChild(bubble);
    }
    if (message.custom && message.custom.type === "suggestions") {
      item.appendChild(renderCards(message.custom, message.lang || state.language));
    }
    if (Array.isArray(message.buttons) && message.buttons.length) {
      item.appendChild(renderQuickReplies(message));
    }
    if (!item.childNodes.length) return;
    if (emptyHint.parentNode) emptyHint.remove();
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function add(message) {
    if (message.from !== "notice") state.messages.push(message);
    render(message);
  }

  function dropQuickReplies() {
    var groups = log.querySelectorAll(".vv-quick");
    for (var i = 0; i < groups.length; i++) groups[i].remove();
    state.messages.forEach(function (m) { if (m.buttons) m.buttons = []; });
  }

  function renderAll() {
    while (log.firstChild) log.removeChild(log.firstChild);
    if (!state.messages.length) log.appendChild(emptyHint);
    state.messages.forEach(render);
  }

  function setBusy(value) {
    busy = value;
    typing.classList.toggle("vv-on", value);
    typingText.textContent = value ? t("typing") : "";
    sendButton.setAttribute("aria-disabled", value ? "true" : "false");
  }

  // ---- talking to the gateway ----------------------------------------------------------------
  function send(message, shown) {
    var text = String(message || "").trim();
    if (busy || !text) return Promise.resolve(false);
    var lang = state.language;
    if (text.length > MAX_CHARS) {
      add({ from: "notice", text: T[lang].invalid, lang: lang });
      return Promise.resolve(false);
    }
    dropQuickReplies();
    add({ from: "user", text: shown || text, lang: lang });
    setBusy(true);
    save();
    var body = { message: text, language: lang, plain_language: state.plain };
    if (state.sessionId) body.session_id = state.sessionId;
    if (SCHOOL) body.school = SCHOOL;
    return fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok && data && Array.isArray(data.messages)) {
          state.sessionId = data.session_id;
          // The user's own words win over the page's settings: when the bot answers in
          // another language or switches plain language on, the controls follow it.
          if (LANGS.indexOf(data.language) >= 0 && data.language !== state.language) {
            state.language = data.language;
            lang = data.language;
            applyStrings();
          }
          if (typeof data.plain_language === "boolean" && data.plain_language !== state.plain) {
            state.plain = data.plain_language;
            plainBox.checked = state.plain;
          }
          // Quick replies go under the turn's last message, after any cards, next to the input.
          var buttons = [];
          data.messages.forEach(function (m) { buttons = buttons.concat(m.buttons || []); });
          data.messages.forEach(function (m, i) {
            add({ from: "bot", text: m.text || "", custom: m.custom || null, lang: lang,
                  buttons: i === data.messages.length - 1 ? buttons : [] });
          });
        } else if (response.status === 429) {
          var wait = response.headers.get("Retry-After") || "30";
          add({ from: "notice", text: T[lang].rate.replace("{s}", wait), lang: lang });
        } else {
          var detail = data && typeof data.detail === "string" ? data.detail : "";
          if (detail.indexOf("session_id") === 0) state.sessionId = null; // stale id: start anew
          var key = response.status === 422 && detail.indexOf("message") === 0 ? "invalid" : "failed";
          add({ from: "notice", text: T[lang][key], lang: lang });
        }
      });
    }).catch(function () {
      add({ from: "notice", text: T[lang].network, lang: lang });
    }).then(function () {
      setBusy(false);
      save();
      return true;
    });
  }

  // ---- events ------------------------------------------------------------------------------
  function setOpen(open, focus) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("vv-is-open", open);
    if (open) {
      log.scrollTop = log.scrollHeight;
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
    save();
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden, true); });
  closeButton.addEventListener("click", function () { setOpen(false, true); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); setOpen(false, true); }
  });
  clearButton.addEventListener("click", function () {
    state.sessionId = null;
    state.messages = [];
    renderAll();
    save();
    input.focus();
  });
  langSelect.addEventListener("change", function () {
    if (LANGS.indexOf(langSelect.value) < 0) return;
    state.language = langSelect.value;
    applyStrings();
    save();
  });
  plainBox.addEventListener("change", function () {
    state.plain = plainBox.checked;
    save();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    input.value = "";
    send(text);
  });

  function mount() {
    document.body.appendChild(host);
    applyStrings();
    renderAll();
    setOpen(state.open, false);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
