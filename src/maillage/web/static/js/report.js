// The territory report: a print button, and tables sorted by the buttons of their
// column headers (aria-sort says the order; numbers sort by their data-value).
(function () {
  "use strict";

  function cellValue(row, index, type) {
    const cell = row.cells[index];
    if (!cell) return type === "number" ? -Infinity : "";
    if (type === "number") {
      const raw = cell.dataset.value;
      return raw === undefined || raw === "" ? -Infinity : Number(raw);
    }
    return cell.textContent.trim();
  }

  function sortBy(button) {
    const th = button.closest("th");
    const table = th.closest("table");
    const headers = Array.from(th.parentElement.children);
    const index = headers.indexOf(th);
    const type = button.dataset.type || "text";
    // a column sorts descending first for numbers, ascending first for text
    const first = type === "number" ? "descending" : "ascending";
    const current = th.getAttribute("aria-sort");
    const order = current === first ? (first === "descending" ? "ascending" : "descending") : first;
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const collator = new Intl.Collator(document.documentElement.lang || "fr", { sensitivity: "base" });
    rows.sort(function (a, b) {
      const x = cellValue(a, index, type);
      const y = cellValue(b, index, type);
      const diff = type === "number" ? x - y : collator.compare(x, y);
      return order === "ascending" ? diff : -diff;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (h) { if (h.hasAttribute("aria-sort")) h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", order);
  }

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const sort = target.closest("table.sortable th button.sort");
    if (sort) { sortBy(sort); return; }
    if (target.closest("[data-print]")) window.print();
  });
})();
