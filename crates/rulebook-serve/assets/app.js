// Sortable tables: click a heading (class "sort") to sort by its column;
// cells may carry data-v with the value to sort by. Plain script, no library.
"use strict";
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("th.sort");
  heads.forEach(function (th) {
    th.addEventListener("click", function () {
      var col = Array.prototype.indexOf.call(th.parentNode.children, th);
      var asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) {
        var cell = row.cells[col];
        var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
        var n = Number(v);
        return v !== "" && !isNaN(n) ? n : v;
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), c;
        if (typeof x === "number" && typeof y === "number") { c = x - y; }
        else { c = String(x).localeCompare(String(y), "zh-CN"); }
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
