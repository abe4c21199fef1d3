// The results dashboard: fetches /api/datasets and /api/datasets/<name>, renders the
// Vega-Lite specs they carry with vega-embed. Every value from the lake reaches the DOM
// through textContent or setAttribute (or Vega's SVG text), never as markup. Nothing is
// loaded from the network: the chart library comes from this server's /vendor/.
"use strict";

(function () {
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

  // --- DOM helpers -------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
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

  function cellText(value) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  // --- charts ------------------------------------------------------------------------------
  // The server builds each chart's Vega-Lite spec (pipeline/dashboard/charts.py); vega-embed
  // renders it as SVG. The library is served from this machine (/vendor/, node_modules) and
  // loaded only when the server has it; without it the page shows one line and the tables.
  const VENDOR_SCRIPTS = ["/vendor/vega.min.js", "/vendor/vega-lite.min.js", "/vendor/vega-embed.min.js"];
  const EMBED_OPTIONS = {
    mode: "vega-lite",
    renderer: "svg",
    actions: false,
    defaultStyle: false, // its stylesheet would be an inline <style>, which the CSP refuses
    tooltip: { disableDefaultStyle: true },
  };
  let chartsReady = null; // a promise: true once vegaEmbed exists, false without the library
  let pendingCharts = [];

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = el("script", { src: src });
      script.addEventListener("load", resolve);
      script.addEventListener("error", () => reject(new Error(`${src} did not load`)));
      document.head.appendChild(script);
    });
  }

  function loadChartLibrary(charts) {
    if (!chartsReady) {
      chartsReady = !charts.available
        ? Promise.resolve(false)
        : typeof window.vegaEmbed === "function"
          ? Promise.resolve(true)
          : VENDOR_SCRIPTS.reduce((done, src) => done.then(() => loadScript(src)), Promise.resolve()).then(
            () => typeof window.vegaEmbed === "function",
          );
    }
    return chartsReady;
  }

  // A placeholder that vega-embed fills once the library is there.
  function chart(spec, name) {
    const container = el("div", { class: "chart", role: "img", "aria-label": name, "data-chart": name });
    pendingCharts.push(
      chartsReady.then((ready) => {
        if (!ready) {
          container.remove();
          return;
        }
        return window
          .vegaEmbed(container, spec, EMBED_OPTIONS)
          .then(() => container.setAttribute("data-rendered", "1"))
          .catch((error) => {
            console.error(`chart ${name}:`, error);
            container.replaceChildren(el("div", { class: "run-error", text: `Chart failed: ${error.message}` }));
          });
      }),
    );
    return container;
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
    const body = run.rejections_chart
      ? chart(run.rejections_chart, "rejections by reason")
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
    const kind = summary.chart.kind;
    card.setAttribute("data-chart-kind", kind);
    head.appendChild(el("span", { class: "muted", text: `${fmtInt(summary.row_count)} rows` }));
    if (summary.chart.spec) {
      card.appendChild(el("div", { class: "table-note", text: summary.chart.title }));
      card.appendChild(chart(summary.chart.spec, `${summary.name}: ${summary.chart.title}`));
    } else if (kind === "kpi" && summary.rows.length) {
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
      const note = document.getElementById("charts-note");
      note.hidden = overview.charts.available;
      note.textContent = overview.charts.available ? "" : `${overview.charts.message}; the tables below are complete.`;
      chartsReady = null;
      pendingCharts = [];
      loadChartLibrary(overview.charts);
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
      await Promise.all(pendingCharts);
      document.body.dataset.state = "ready";
    } catch (error) {
      showError(`Could not load the dashboard: ${error.message}`);
      document.body.dataset.state = "error";
    }
  }

  document.getElementById("refresh").addEventListener("click", load);
  load();
})();
