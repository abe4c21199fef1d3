// The results dashboard: fetches /api/datasets and /api/datasets/<name>, draws SVG charts.
// Every value from the lake reaches the DOM through textContent or setAttribute, never as
// markup. No libraries and nothing from the network.
"use strict";

(function () {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const COUNT_LABELS = [
    ["rows_read", "Rows read", ""],
    ["rows_valid", "Rows valid", "kpi-good"],
    ["rows_rejected", "Rows rejected", "kpi-bad"],
    ["rows_duplicate", "Rows duplicate", "kpi-warn"],
    ["files", "Files", ""],
    ["files_rejected", "Bad files", "kpi-bad"],
    ["files_duplicate", "Duplicate files", "kpi-warn"],
  ];
  const intFormat = new Intl.NumberFormat("en-US");
  const numFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  const compactFormat = new Intl.NumberFormat("en-US", {
    notation: "compact",
    maximumFractionDigits: 1,
  });

  // --- DOM helpers -------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svgEl(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else node.setAttribute(name, String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function localHref(url) {
    // Links come from our own server; accept only same-origin paths.
    return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null;
  }

  // --- formatting --------------------------------------------------------------------------
  function fmtInt(value) {
    return typeof value === "number" ? intFormat.format(value) : "—";
  }

  function fmtNumber(value) {
    if (value === null || value === undefined) return "—";
    const number = typeof value === "number" ? value : Number(value);
    return Number.isFinite(number) ? numFormat.format(number) : String(value);
  }

  function fmtSeconds(seconds) {
    if (typeof seconds !== "number") return "—";
    if (seconds >= 120) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
    return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`;
  }

  function truncate(text, length) {
    return text.length > length ? `${text.slice(0, length - 1)}…` : text;
  }

  function cellText(value) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  // --- charts ------------------------------------------------------------------------------
  function niceTicks(low, high, count) {
    const raw = (high - low) / count;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((s) => s * magnitude).find((s) => raw <= s);
    const start = Math.floor(low / step) * step;
    const ticks = [];
    for (let tick = start; tick < high + step / 2; tick += step) {
      ticks.push(Number(tick.toPrecision(12)));
      if (ticks.length > 20) break;
    }
    return ticks;
  }

  // Horizontal bars: one row per point, label left, value right of the bar.
  function barChart(points, options) {
    const opts = Object.assign({ width: 560, barClass: "bar", name: "" }, options);
    const rowHeight = 26;
    const labelWidth = 160;
    const valueWidth = 90;
    const plotWidth = opts.width - labelWidth - valueWidth;
    const height = points.length * rowHeight + 8;
    const values = points.map((p) => p.value);
    const low = Math.min(0, ...values);
    const high = Math.max(0, ...values);
    const span = high - low || 1;
    const zeroX = labelWidth + (-low / span) * plotWidth;
    const chart = svgEl("svg", {
      class: "chart chart-bar",
      viewBox: `0 0 ${opts.width} ${height}`,
      role: "img",
      "aria-label": opts.name,
      "data-points": points.length,
    });
    chart.appendChild(svgEl("line", { class: "axis", x1: zeroX, x2: zeroX, y1: 2, y2: height - 4 }));
    points.forEach((point, index) => {
      const y = 4 + index * rowHeight;
      const width = Math.abs(point.value) / span * plotWidth;
      const x = point.value >= 0 ? zeroX : zeroX - width;
      const label = String(point.label);
      const tip = `${label}: ${fmtNumber(point.value)}`;
      chart.appendChild(
        svgEl(
          "g",
          { class: "bar-row" },
          svgEl(
            "text",
            {
              class: "bar-label",
              x: labelWidth - 8,
              y: y + rowHeight / 2,
              "text-anchor": "end",
              "dominant-baseline": "middle",
            },
            truncate(label, 24),
            svgEl("title", { text: tip }),
          ),
          svgEl(
            "rect",
            {
              class: `bar ${opts.barClass}`,
              x: x,
              y: y + 4,
              width: Math.max(width, point.value === 0 ? 0 : 1),
              height: rowHeight - 8,
              rx: 3,
              "data-label": label,
              "data-value": point.value,
            },
            svgEl("title", { text: tip }),
          ),
          svgEl(
            "text",
            {
              class: "bar-value",
              x: (point.value >= 0 ? x + width : zeroX) + 6,
              y: y + rowHeight / 2,
              "dominant-baseline": "middle",
            },
            fmtNumber(point.value),
          ),
        ),
      );
    });
    return chart;
  }

  // A line over ordered labels (months, dates), with a point per value.
  function lineChart(points, options) {
    const opts = Object.assign({ width: 560, height: 260, name: "" }, options);
    const margin = { left: 64, right: 20, top: 14, bottom: 46 };
    const plotWidth = opts.width - margin.left - margin.right;
    const plotHeight = opts.height - margin.top - margin.bottom;
    const values = points.filter((p) => p.value !== null).map((p) => p.value);
    let low = Math.min(0, ...values);
    let high = Math.max(0, ...values);
    if (high === low) high = low + 1;
    const ticks = niceTicks(low, high, 4);
    low = ticks[0];
    high = ticks[ticks.length - 1];
    const x = (i) =>
      points.length === 1 ? margin.left + plotWidth / 2 : margin.left + (i * plotWidth) / (points.length - 1);
    const y = (v) => margin.top + plotHeight - ((v - low) / (high - low)) * plotHeight;
    const chart = svgEl("svg", {
      class: "chart chart-line",
      viewBox: `0 0 ${opts.width} ${opts.height}`,
      role: "img",
      "aria-label": opts.name,
      "data-points": values.length,
    });
    for (const tick of ticks) {
      chart.appendChild(
        svgEl("line", { class: "grid-line", x1: margin.left, x2: opts.width - margin.right, y1: y(tick), y2: y(tick) }),
      );
      chart.appendChild(
        svgEl(
          "text",
          { class: "tick", x: margin.left - 8, y: y(tick), "text-anchor": "end", "dominant-baseline": "middle" },
          compactFormat.format(tick),
        ),
      );
    }
    const baseY = y(Math.max(low, 0));
    chart.appendChild(
      svgEl("line", { class: "axis", x1: margin.left, x2: opts.width - margin.right, y1: baseY, y2: baseY }),
    );
    const step = Math.max(1, Math.ceil(points.length / 8));
    points.forEach((point, i) => {
      if (i % step !== 0 && i !== points.length - 1) return;
      if (i === points.length - 1 && i % step !== 0 && i % step < step / 2) return;
      chart.appendChild(
        svgEl(
          "text",
          { class: "tick x-tick", x: x(i), y: opts.height - margin.bottom + 18, "text-anchor": "middle" },
          truncate(String(point.label), 12),
        ),
      );
    });
    // The line, broken where a value is missing; the area only under an unbroken line.
    let path = "";
    let pen = "M";
    points.forEach((point, i) => {
      if (point.value === null) {
        pen = "M";
        return;
      }
      path += `${pen}${x(i).toFixed(1)},${y(point.value).toFixed(1)} `;
      pen = "L";
    });
    if (values.length > 1 && values.length === points.length) {
      const area = `${path}L${x(points.length - 1).toFixed(1)},${baseY} L${x(0).toFixed(1)},${baseY} Z`;
      chart.appendChild(svgEl("path", { class: "area", d: area }));
    }
    if (path) chart.appendChild(svgEl("path", { class: "line", d: path.trim() }));
    points.forEach((point, i) => {
      if (point.value === null) return;
      chart.appendChild(
        svgEl(
          "circle",
          { class: "point", cx: x(i), cy: y(point.value), r: 4, "data-label": point.label, "data-value": point.value },
          svgEl("title", { text: `${point.label}: ${fmtNumber(point.value)}` }),
        ),
      );
    });
    return chart;
  }

  // --- tables ------------------------------------------------------------------------------
  function table(className, headers, rows) {
    // headers: [{text, num}], rows: [[{text, num, cls, node}]]
    return el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { class: className },
        el("thead", {}, el("tr", {}, headers.map((h) => el("th", { class: h.num ? "num" : null, text: h.text })))),
        el(
          "tbody",
          {},
          rows.map((row) =>
            el(
              "tr",
              row.attrs || {},
              row.cells.map((cell) =>
                el(
                  "td",
                  { class: [cell.num ? "num" : "", cell.cls || ""].join(" ").trim() || null, title: cell.title },
                  cell.node || cell.text,
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // --- sections ----------------------------------------------------------------------------
  function statusBadge(status) {
    return el("span", { class: `badge status-${String(status).replace(/[^a-z]/g, "")}`, text: status });
  }

  function kpis(totals) {
    return el(
      "div",
      { class: "kpis" },
      COUNT_LABELS.map(([field, label, tone]) =>
        el(
          "div",
          { class: `kpi ${totals[field] ? tone : ""}`.trim(), "data-field": field, "data-value": totals[field] },
          el("div", { class: "kpi-value", text: fmtInt(totals[field]) }),
          el("div", { class: "kpi-label", text: label }),
        ),
      ),
    );
  }

  function latestRunHead(run) {
    const line = el("div", { class: "run-line" }, statusBadge(run.status), el("span", {}, "latest run ", el("strong", { text: run.logical_date })));
    if (run.written_at) line.appendChild(el("span", { class: "muted", text: `recorded ${run.written_at}` }));
    line.appendChild(el("span", { class: "muted", text: `took ${fmtSeconds(run.total_seconds)}` }));
    if (run.validation) {
      const v = run.validation;
      line.appendChild(
        el("span", { class: v.success ? "" : "run-failed", text: `expectations ${v.successful}/${v.evaluated} passed` }),
      );
    }
    const href = localHref(run.validation_url);
    if (href) line.appendChild(el("a", { href: href, class: "validation-link", text: "validation report" }));
    return line;
  }

  function rejectionsCard(run) {
    const entries = Object.entries(run.rejections_by_reason || {})
      .map(([label, value]) => ({ label, value }))
      .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
    const body = entries.length
      ? barChart(entries, { barClass: "bar-reason", name: "rejections by reason" })
      : el("div", { class: "empty", text: "No rejected rows in this run." });
    return el(
      "div",
      { class: "card", "data-card": "rejections" },
      el("div", { class: "card-head" }, el("h4", { text: "Rejections by reason" }), el("span", { class: "muted", text: run.logical_date })),
      body,
    );
  }

  function filesCard(run) {
    const files = run.files || [];
    const body = files.length
      ? table(
          "files-table",
          [{ text: "File" }, { text: "Read", num: 1 }, { text: "Valid", num: 1 }, { text: "Rejected", num: 1 }, { text: "Duplicate", num: 1 }, { text: "Verdict" }],
          files.map((f) => ({
            cells: [
              { text: f.key, cls: "mono wrap" },
              { text: fmtInt(f.rows_read), num: 1 },
              { text: fmtInt(f.rows_valid), num: 1 },
              { text: fmtInt(f.rows_rejected), num: 1 },
              { text: fmtInt(f.rows_duplicate), num: 1 },
              { text: f.reason ? f.reason : "accepted", title: f.detail || null, cls: f.reason ? "null" : "" },
            ],
          })),
        )
      : el("div", { class: "empty", text: "No files in this run." });
    return el(
      "div",
      { class: "card", "data-card": "files" },
      el("div", { class: "card-head" }, el("h4", { text: "Files" }), el("span", { class: "muted", text: `${files.length} in the latest run` })),
      body,
    );
  }

  function summaryCard(summary) {
    const card = el("div", { class: "card summary", "data-summary": summary.name });
    const head = el("div", { class: "card-head" }, el("h4", { text: summary.name }));
    card.appendChild(head);
    if (!summary.available) {
      card.setAttribute("data-chart-kind", "none");
      card.appendChild(el("div", { class: "empty", text: "Not published yet: no run has written this summary." }));
      return card;
    }
    if (summary.error) {
      card.setAttribute("data-chart-kind", "none");
      card.appendChild(el("div", { class: "run-error", text: summary.error }));
      return card;
    }
    const chart = summary.chart;
    card.setAttribute("data-chart-kind", chart.kind);
    head.appendChild(el("span", { class: "muted", text: `${fmtInt(summary.row_count)} rows` }));
    if (chart.kind === "bar" || chart.kind === "line") {
      const name = `${summary.name}: ${chart.title}`;
      card.appendChild(el("div", { class: "table-note", text: chart.title }));
      card.appendChild(chart.kind === "bar" ? barChart(chart.points, { name }) : lineChart(chart.points, { name }));
    } else if (chart.kind === "kpi" && summary.rows.length) {
      const row = summary.rows[0];
      card.appendChild(
        el(
          "div",
          { class: "kpi-figures" },
          summary.columns.map((column, i) =>
            el(
              "div",
              { class: "kpi", "data-field": column.name },
              el("div", { class: "kpi-value", text: column.kind === "number" ? fmtNumber(row[i]) : cellText(row[i]) }),
              el("div", { class: "kpi-label", text: column.name }),
            ),
          ),
        ),
      );
    }
    card.appendChild(
      table(
        "summary-table",
        summary.columns.map((c) => ({ text: c.name, num: c.kind === "number" })),
        summary.rows.map((row) => ({
          cells: row.map((value, i) => ({
            text: cellText(value),
            num: summary.columns[i].kind === "number",
            cls: value === null ? "null" : "",
          })),
        })),
      ),
    );
    if (summary.truncated) {
      card.appendChild(el("div", { class: "table-note", text: `showing the first ${summary.rows.length} of ${fmtInt(summary.row_count)} rows` }));
    }
    return card;
  }

  function runsTable(runs, steps) {
    const stepNames = [...steps];
    for (const run of runs) for (const step of Object.keys(run.timings || {})) if (!stepNames.includes(step)) stepNames.push(step);
    const headers = [
      { text: "Logical date" },
      { text: "Status" },
      { text: "Read", num: 1 },
      { text: "Valid", num: 1 },
      { text: "Rejected", num: 1 },
      { text: "Duplicate", num: 1 },
      { text: "Files", num: 1 },
      { text: "Bad files", num: 1 },
      { text: "Dup. files", num: 1 },
      ...stepNames.map((s) => ({ text: s.replace(/_/g, " "), num: 1 })),
      { text: "Total", num: 1 },
      { text: "Validation" },
    ];
    const rows = runs.map((run) => {
      const totals = run.totals || {};
      const href = localHref(run.validation_url);
      return {
        attrs: { "data-date": run.logical_date, "data-status": run.status },
        cells: [
          { text: run.logical_date },
          { node: statusBadge(run.status), title: run.error || null },
          { text: fmtInt(totals.rows_read), num: 1 },
          { text: fmtInt(totals.rows_valid), num: 1 },
          { text: fmtInt(totals.rows_rejected), num: 1 },
          { text: fmtInt(totals.rows_duplicate), num: 1 },
          { text: fmtInt(totals.files), num: 1 },
          { text: fmtInt(totals.files_rejected), num: 1 },
          { text: fmtInt(totals.files_duplicate), num: 1 },
          ...stepNames.map((s) => ({ text: fmtSeconds((run.timings || {})[s]), num: 1 })),
          { text: fmtSeconds(run.total_seconds), num: 1 },
          { node: href ? el("a", { href: href, text: "report" }) : null, text: href ? null : "—" },
        ],
      };
    });
    return table("runs-table", headers, rows);
  }

  function catalogTable(tables, database) {
    return table(
      "catalog-table",
      [{ text: "Table" }, { text: "Columns", num: 1 }, { text: "Partitions", num: 1 }, { text: "Rows", num: 1 }, { text: "Newest partition" }],
      tables.map((t) => {
        const newest = (t.rows_by_partition || [])[0];
        return {
          cells: [
            { text: `${database}.${t.name}`, cls: "mono" },
            { text: t.catalogued ? fmtInt(t.columns) : "—", num: 1 },
            { text: t.catalogued ? fmtInt(t.partitions) : "—", num: 1 },
            { text: t.catalogued && !t.error ? fmtInt(t.rows) : "—", num: 1 },
            {
              text: !t.catalogued
                ? "not crawled yet"
                : t.error
                  ? t.error
                  : newest && newest.partition !== null
                    ? `${(t.partition_keys || [])[0]}=${newest.partition} (${fmtInt(newest.row_count)} rows)`
                    : "—",
            },
          ],
        };
      }),
    );
  }

  function dataDocsLine(docs, run) {
    const links = [];
    const index = localHref(docs.index);
    if (index) links.push(el("a", { href: index, class: "data-docs-index", text: "Data Docs index" }));
    for (const suite of docs.suites || []) {
      const href = localHref(suite.url);
      if (href) links.push(el("a", { href: href, class: "data-docs-suite", text: `expectation suite ${suite.table}` }));
    }
    const report = run ? localHref(run.validation_url) : null;
    if (report) links.push(el("a", { href: report, class: "data-docs-validation", text: `validation of ${run.logical_date}` }));
    const line = el("div", { class: "docs-line" }, el("strong", { text: "Data Docs: " }));
    if (!links.length) line.appendChild(el("span", { class: "muted", text: "none yet (written by the validate step)" }));
    links.forEach((link, i) => {
      if (i) line.appendChild(el("span", { class: "muted", text: " · " }));
      line.appendChild(link);
    });
    return line;
  }

  function renderDataset(detail) {
    const section = el("section", { class: "dataset", id: `dataset-${detail.name}`, "data-dataset": detail.name });
    section.appendChild(
      el("div", { class: "dataset-head" }, el("h2", { text: detail.name }), el("p", { class: "muted", text: detail.description || "" })),
    );
    const run = detail.latest_run;
    if (run) {
      section.appendChild(latestRunHead(run));
      if (run.error) section.appendChild(el("div", { class: "run-error", text: run.error }));
      section.appendChild(kpis(run.totals || {}));
      section.appendChild(el("div", { class: "grid two" }, rejectionsCard(run), filesCard(run)));
    } else {
      section.appendChild(el("div", { class: "empty no-runs", text: "No runs yet: run `pipeline run " + detail.name + " …` to fill this section." }));
    }
    section.appendChild(el("h3", { text: "Summaries" }));
    section.appendChild(el("div", { class: "grid summaries" }, detail.summaries.map(summaryCard)));
    section.appendChild(el("h3", { text: `Runs (${detail.runs.length})` }));
    section.appendChild(
      detail.runs.length ? runsTable(detail.runs, detail.steps || []) : el("div", { class: "empty", text: "No runs yet." }),
    );
    const failures = detail.runs.filter((r) => r.error).slice(0, 5);
    if (failures.length) {
      section.appendChild(
        el("ul", { class: "past-errors" }, failures.map((r) => el("li", { text: `${r.logical_date} ${r.status}: ${r.error}` }))),
      );
    }
    section.appendChild(dataDocsLine(detail.data_docs || {}, run));
    section.appendChild(el("h3", { text: "Catalog" }));
    section.appendChild(catalogTable(detail.tables, detail.database));
    return section;
  }

  // --- loading -----------------------------------------------------------------------------
  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(payload.error || `${url}: HTTP ${response.status}`);
    return payload;
  }

  function showError(message) {
    const banner = document.getElementById("error");
    banner.textContent = message;
    banner.hidden = false;
  }

  async function load() {
    document.body.dataset.state = "loading";
    document.getElementById("error").hidden = true;
    try {
      const overview = await getJSON("/api/datasets");
      document.getElementById("lake-info").textContent =
        `Lake ${overview.lake} · catalog database ${overview.database} · ` +
        `${overview.datasets.length} dataset(s) · loaded ${new Date().toLocaleString()}`;
      const docs = document.getElementById("data-docs-link");
      if (overview.data_docs.available) {
        docs.setAttribute("href", localHref(overview.data_docs.url) || "/data-docs/");
        docs.classList.remove("disabled");
        docs.textContent = "Data Docs";
      } else {
        docs.removeAttribute("href");
        docs.classList.add("disabled");
        docs.textContent = "Data Docs (none yet)";
      }
      document.getElementById("dataset-nav").replaceChildren(
        ...overview.datasets.map((d) => el("a", { href: `#dataset-${d.name}`, text: d.name })),
      );
      const main = document.getElementById("datasets");
      main.replaceChildren();
      await Promise.all(
        overview.datasets.map(async (dataset) => {
          const placeholder = el(
            "section",
            { class: "dataset", id: `dataset-${dataset.name}`, "data-dataset": dataset.name },
            el("h2", { text: dataset.name }),
            el("p", { class: "muted", text: "Loading…" }),
          );
          main.appendChild(placeholder);
          try {
            placeholder.replaceWith(renderDataset(await getJSON(`/api/datasets/${encodeURIComponent(dataset.name)}`)));
          } catch (error) {
            placeholder.appendChild(el("div", { class: "run-error", text: `Could not load ${dataset.name}: ${error.message}` }));
          }
        }),
      );
      document.body.dataset.state = "ready";
    } catch (error) {
      showError(`Could not load the dashboard: ${error.message}`);
      document.body.dataset.state = "error";
    }
  }

  document.getElementById("refresh").addEventListener("click", load);
  load();
})();
