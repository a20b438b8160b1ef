(function () {
  "use strict";
  var table = document.getElementById("incident-table");
  var form = document.getElementById("filters");
  if (!table || !form) return;
  var body = table.tBodies[0], heads = table.tHead.rows[0].cells;
  var rows = Array.prototype.slice.call(body.rows);
  var rank = {low: 0, medium: 1, high: 2, critical: 3};
  var sorted = null, desc = false;

  function save() {
    var p = new URLSearchParams();
    ["q", "severity", "status"].forEach(function (k) {
      if (form.elements[k].value) p.set(k, form.elements[k].value);
    });
    if (sorted !== null) p.set("sort", heads[sorted].textContent + (desc ? "-desc" : ""));
    var s = p.toString();
    history.replaceState(null, "", s ? "#" + s : location.pathname + location.search);
  }

  function filter() {
    var q = form.elements.q.value.trim().toLowerCase();
    var sev = form.elements.severity.value, st = form.elements.status.value;
    var min = sev ? rank[sev] : -1, n = 0;
    rows.forEach(function (r) {
      var ok = rank[r.dataset.severity] >= min &&
        (!st || r.dataset.status === st || (st === "reappeared" && r.dataset.reappeared)) &&
        (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) n++;
    });
    form.elements.shown.value = n + " of " + rows.length + " incidents shown";
  }

  function key(r, i) {
    var c = r.cells[i];
    return c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent;
  }

  function sort(i, d) {
    var num = heads[i].dataset.type === "num";
    rows.sort(function (a, b) {
      var x = key(a, i), y = key(b, i);
      var c = num ? x - y : x.localeCompare(y);
      return d ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
    heads[i].setAttribute("aria-sort", d ? "descending" : "ascending");
    sorted = i;
    desc = d;
  }

  Array.prototype.forEach.call(heads, function (th, i) {
    if (!th.dataset.type) return;
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(b);
    b.addEventListener("click", function () {
      // Numbers (severity, spread) first sort largest first.
      sort(i, sorted === i ? !desc : th.dataset.type === "num");
      save();
    });
  });

  var p = new URLSearchParams(location.hash.slice(1));
  ["q", "severity", "status"].forEach(function (k) {
    if (p.has(k)) form.elements[k].value = p.get(k);
  });
  var s = (p.get("sort") || "").split("-");
  Array.prototype.forEach.call(heads, function (th, i) {
    if (th.dataset.type && th.textContent === s[0]) sort(i, s[1] === "desc");
  });
  form.addEventListener("input", function () { filter(); save(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.hidden = false;
  filter();
})();
