// Materia search: reads search-index.json and ranks entries in the browser. No server needed.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form) return;
  var input = document.getElementById("search-query");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var indexURL = form.getAttribute("data-index");
  var root = indexURL.replace(/search-index\.json$/, "");
  var entries = null;

  function words(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").split(/[^a-z0-9]+/).filter(Boolean);
  }

  function score(entry, terms) {
    var title = words(entry.t), rest = words(entry.s + " " + entry.w), total = 0;
    for (var i = 0; i < terms.length; i++) {
      var term = terms[i], best = 0;
      for (var j = 0; j < title.length; j++) {
        if (title[j] === term) best = Math.max(best, 10); else if (title[j].indexOf(term) === 0) best = Math.max(best, 6);
      }
      for (var k = 0; k < rest.length && best < 3; k++) {
        if (rest[k] === term) best = Math.max(best, 3); else if (rest[k].indexOf(term) === 0) best = Math.max(best, 1);
      }
      if (best === 0) return 0;
      total += best;
    }
    return total;
  }

  function show(query) {
    list.textContent = "";
    var terms = words(query);
    if (!terms.length) { status.textContent = ""; return; }
    var found = [];
    for (var i = 0; i < entries.length; i++) {
      var s = score(entries[i], terms);
      if (s > 0) found.push({ entry: entries[i], score: s });
    }
    found.sort(function (a, b) { return b.score - a.score || a.entry.t.localeCompare(b.entry.t); });
    found = found.slice(0, 50);
    status.textContent = found.length ? found.length + " result" + (found.length === 1 ? "" : "s") + " for “" + query + "”"
                                      : "No results for “" + query + "”. Try another word, or browse the A–Z index.";
    found.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + item.entry.u;
      a.textContent = item.entry.t;
      var kind = document.createElement("span");
      kind.className = "badge";
      kind.textContent = item.entry.k;
      var snippet = document.createElement("p");
      snippet.textContent = item.entry.s;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(kind);
      li.appendChild(snippet);
      list.appendChild(li);
    });
  }

  function run(query) {
    if (entries) { show(query); return; }
    status.textContent = "Loading the index…";
    fetch(indexURL).then(function (response) { return response.json(); }).then(function (data) {
      entries = data;
      show(query);
    }).catch(function () { status.textContent = "The search index could not be loaded. Browse the A–Z index instead."; });
  }

  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; run(initial); }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value.trim();
    history.replaceState(null, "", query ? "?q=" + encodeURIComponent(query) : "./");
    run(query);
  });
})();
