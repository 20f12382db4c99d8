// explore.js: ties the filter bar, the widgets, the card, the timeline and the share links.
// Widgets talk through DOM events on document: "maillage:filters" {query},
// "maillage:select" {actorId, from}, "maillage:year" {year}, "maillage:drill" {territory}.
(function () {
  "use strict";

  var form = document.getElementById("filters");
  var card = document.getElementById("card");
  var cardUrl = card ? card.dataset.url : null;
  var lastQuery = null;

  function currentQuery() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (String(value).trim() !== "") params.append(key, String(value).trim());
    });
    return params;
  }

  function withoutYear(params) {
    var copy = new URLSearchParams(params);
    copy.delete("year");
    return copy.toString();
  }

  function updateLinks(params) {
    // Shared and embedded views open in the language of the page they were taken from.
    var shared = new URLSearchParams(params);
    if (document.documentElement.lang === "en") shared.set("lang", "en");
    document.querySelectorAll(".share a[href], #embed-code").forEach(function (node) {
      var attr = node.tagName === "INPUT" ? null : "href";
      if (attr) {
        var url = new URL(node.getAttribute("href"), window.location.href);
        url.search = shared.toString();
        node.setAttribute("href", url.toString());
      }
    });
    fillEmbedCode();
  }

  // The embed code names the map by its full address, as the browser reached it (the
  // server writes links relative to its root path: it does not know its public host
  // unless MAILLAGE_PUBLIC_URL is set).
  function fillEmbedCode() {
    var embed = document.getElementById("embed-code");
    var embedLink = document.getElementById("link-embed-map");
    if (embed && embedLink) {
      embed.value = '<iframe src="' + embedLink.href + '" title="maillage" width="' + size("embed-width", "100%") +
        '" height="' + size("embed-height", "500") + '" style="border:0"></iframe>';
    }
  }

  // A size typed in: pixels ("500") or a percentage ("100%"), else ``fallback``.
  function size(id, fallback) {
    var input = document.getElementById(id);
    var value = input ? input.value.trim() : "";
    return /^[0-9]{2,4}%?$/.test(value) ? value : fallback;
  }

  function filtersChanged() {
    var params = currentQuery();
    var url = new URL(form.getAttribute("action"), window.location.href);
    url.search = params.toString();
    window.history.replaceState(null, "", url.toString());
    updateLinks(params);
    var key = withoutYear(params);
    if (key !== lastQuery) {
      lastQuery = key;
      document.dispatchEvent(new CustomEvent("maillage:filters", { detail: { query: params.toString() } }));
    }
  }

  var opener = null; // the control that opened the card from the tables, focused again on close

  function openCard(actorId, from) {
    if (!card || !cardUrl) return;
    if (actorId == null) {
      var hadFocus = card.contains(document.activeElement);
      card.hidden = true;
      card.innerHTML = "";
      if (opener && opener.isConnected && hadFocus) opener.focus();
      opener = null;
      return;
    }
    if (from === "table") opener = document.activeElement;
    fetch(cardUrl.replace("__ID__", encodeURIComponent(actorId)), { headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        card.innerHTML = html;
        card.hidden = false;
        card.dataset.actorId = String(actorId);
        if (from === "table") card.focus();
      })
      .catch(function (error) { console.warn("card:", error); });
  }

  if (card) {
    card.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        document.dispatchEvent(new CustomEvent("maillage:select", { detail: { actorId: null, from: "card" } }));
      }
    });
  }

  function say(key) {
    var node = document.getElementById("maillage-i18n");
    return (node ? JSON.parse(node.textContent) : {})[key] || key;
  }

  function setYear(year, refreshTables) {
    var output = document.getElementById("timeline-value");
    var hidden = document.getElementById("f-year");
    var slider = document.getElementById("timeline");
    if (output) output.textContent = year == null ? say("year_all") : String(year);
    if (slider && year != null) slider.value = String(year);
    document.dispatchEvent(new CustomEvent("maillage:year", { detail: { year: year } }));
    if (hidden && refreshTables) {
      hidden.value = year == null ? "" : String(year);
      // from the field, as a user's change is (htmx leaves a change of the form itself)
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  // The timeline replayed a year every 600 ms, from the year the slider shows (the
  // user's, or the view's) or, when it is at the end, from the first year: each year
  // moves the map, the network and the tables' counts together. The button stops a
  // replay under way (one timer at a time); a replay stopped, or at its end, gives the
  // view back to every year (``release``) unless the user took the slider.
  var replaying = null; // {timer, year} while a replay runs

  function stopReplay(release) {
    if (!replaying) return;
    window.clearInterval(replaying.timer);
    replaying = null;
    var button = document.getElementById("timeline-play");
    button.textContent = button.dataset.label;
    button.setAttribute("aria-pressed", "false");
    if (release) setYear(null, true);
  }

  function replay() {
    if (replaying) { stopReplay(true); return; }
    var slider = document.getElementById("timeline");
    var button = document.getElementById("timeline-play");
    var last = Number(slider.max);
    var year = Number(slider.value) < last ? Number(slider.value) : Number(slider.min);
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = say("stop");
    button.setAttribute("aria-pressed", "true");
    replaying = { year: year, timer: null };
    var step = function () {
      if (year > last) { stopReplay(true); return; }
      replaying.year = year;
      setYear(year, true);
      year += 1;
    };
    step();
    if (replaying) replaying.timer = window.setInterval(step, 600);
  }

  function wireTimeline() {
    var slider = document.getElementById("timeline");
    if (!slider) return;
    slider.addEventListener("input", function () { stopReplay(false); setYear(Number(slider.value), false); });
    slider.addEventListener("change", function () { setYear(Number(slider.value), true); });
    document.getElementById("timeline-all").addEventListener("click", function () { stopReplay(false); setYear(null, true); });
    document.getElementById("timeline-play").addEventListener("click", replay);
  }

  function drill(territory) {
    if (form) {
      form.elements.territory.value = territory;
      form.dispatchEvent(new Event("change", { bubbles: true }));
    } else {
      var url = new URL(window.location.href);
      url.searchParams.set("territory", territory);
      window.location.assign(url.toString());
    }
  }

  document.addEventListener("maillage:select", function (e) { openCard(e.detail.actorId, e.detail.from); });
  document.addEventListener("maillage:drill", function (e) { drill(e.detail.territory); });
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-select]");
    if (button) {
      document.dispatchEvent(new CustomEvent("maillage:select", { detail: { actorId: Number(button.dataset.select), from: "table" } }));
    }
    var copy = e.target.closest("[data-copy]");
    if (copy) copyText(copy);
    if (e.target.closest("[data-close-card]")) {
      document.dispatchEvent(new CustomEvent("maillage:select", { detail: { actorId: null, from: "card" } }));
    }
  });
  // A world and a pair of worlds exclude each other (the server refuses both): the
  // one chosen last clears the other.
  function exclusive(first, second) {
    if (!form || !form.elements[first] || !form.elements[second]) return;
    form.elements[first].addEventListener("change", function () {
      if (form.elements[first].value) form.elements[second].value = "";
    });
  }
  exclusive("world", "pair");
  exclusive("pair", "world");

  // "Copy": the text of the element named by data-copy (an input's value, a link's
  // address; "page": the address of the view) to the clipboard, through the Clipboard API or, where the page is not
  // allowed it (plain http, an older browser), by selecting a hidden text area.
  function copyText(button) {
    var source = document.getElementById(button.dataset.copy);
    if (button.dataset.copy !== "page" && !source) return;
    var text = button.dataset.copy === "page" ? window.location.href : source.tagName === "A" ? source.href : source.value;
    var done = function () { copied(button, "copied"); };
    var fallback = function () {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
      area.remove();
      copied(button, ok ? "copied" : "copy_failed");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  function copied(button, key) {
    var output = document.getElementById(button.getAttribute("aria-describedby") || "");
    if (output) output.textContent = say(key);
    button.dataset.copied = key === "copied" ? "yes" : "no";
  }

  // The embed's size, chosen by the host page: width and height of the iframe code
  // (a number of pixels or a percentage; the map fills whatever frame it is given).
  var sizes = ["embed-width", "embed-height"].map(function (id) { return document.getElementById(id); });
  sizes.forEach(function (input) { if (input) input.addEventListener("input", fillEmbedCode); });

  fillEmbedCode();
  if (form) {
    lastQuery = withoutYear(currentQuery());
    form.addEventListener("change", filtersChanged);
    form.addEventListener("submit", function (e) { e.preventDefault(); filtersChanged(); });
    wireTimeline();
  }
})();
