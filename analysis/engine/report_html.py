"""The self-contained HTML report: one page, no network, readable from 390 px to wide screens.

Every finding travels in the page as JSON (a ``<script type="application/json">`` data block, which
browsers never execute) and one static script renders the list on demand: a page of rows, or
groups by file or by rule that render when opened. Filtering is a loop over plain objects, so it
stays fast with tens of thousands of findings, where a table of every row froze the page.

The script is a constant: the Content-Security-Policy pins its hash and allows no other script,
so nothing from the analysed code (paths, messages, snippets) can run even if escaping failed.
The script escapes every value it inserts.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.engine.facts import HealthScore
from analysis.engine.model import SEVERITY_ORDER
from analysis.engine.scoring import PILLARS, grade_for

PAGE_SIZE = 100
SEVERITIES = SEVERITY_ORDER

SEVERITY_COLOUR = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#b45309",
    "low": "#2563eb",
    "info": "#6b7280",
}
_CATEGORY_COLOUR = {
    "security": "#b91c1c",
    "bug_risk": "#ea580c",
    "performance": "#ca8a04",
    "complexity": "#7c3aed",
    "design": "#2563eb",
    "architecture": "#0f766e",
    "dead_code": "#64748b",
    "duplication": "#db2777",
    "documentation": "#16a34a",
    "testing": "#0891b2",
}
_GRADE_COLOUR = {"A": "#15803d", "B": "#65a30d", "C": "#ca8a04", "D": "#ea580c", "F": "#b91c1c"}
_OTHER_COLOURS = ("#a16207", "#4d7c0f", "#9333ea", "#be123c", "#155e75")


@dataclass(frozen=True)
class HtmlPage:
    """What the page shows, prepared by ``reports.render_html``."""

    title: str  # repository or directory name
    subtitle: Sequence[str]  # "branch main", "commit 0123abc…"
    score: HealthScore
    facts: Sequence[tuple[str, str]]
    by_severity: dict[str, int]
    by_category: dict[str, int]
    findings: list[dict[str, Any]]  # display order, see reports._html_item
    detectors: dict[str, str]  # id -> title
    notice: str  # what the list holds (and leaves out), shown above it
    generator: str
    has_triage: bool
    # git history: the top hotspots (metrics["history"]["hotspots"]), hottest first
    hotspots: Sequence[dict[str, Any]] = ()


_CSS = """
*{box-sizing:border-box}
table.hotspots{width:100%;border-collapse:collapse}table.hotspots td,table.hotspots th{padding:3px 6px;text-align:left}
table.hotspots td.path{overflow-wrap:anywhere}.heat{display:inline-block;height:10px;border-radius:2px}table.hotspots td.score{white-space:nowrap}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2937;background:#f3f4f6}
header{background:#111827;color:#f9fafb;padding:18px 28px;display:flex;align-items:center;gap:20px}
header h1{font-size:20px;margin:0;overflow-wrap:anywhere}
header p{margin:2px 0;color:#d1d5db;overflow-wrap:anywhere}
main{padding:20px 28px;max-width:1400px;margin:auto}
.badge{width:76px;height:76px;border-radius:50%;display:flex;flex-direction:column;align-items:center;
justify-content:center;color:#fff;font-weight:700;flex:none}
.badge b{font-size:34px;line-height:1}
.badge span{font-size:12px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px;margin-bottom:16px}
.card{background:#fff;border-radius:8px;padding:14px 18px;box-shadow:0 1px 2px rgba(0,0,0,.08);min-width:0}
.card h2{font-size:15px;margin:0 0 10px}
dl{display:grid;grid-template-columns:auto 1fr;gap:3px 14px;margin:0}
dt{color:#6b7280}dd{margin:0;overflow-wrap:anywhere}
svg text{font:12px system-ui,sans-serif;fill:#374151}
.donut{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
.donut svg{flex:none;width:150px;height:150px}
.legend{list-style:none;padding:0;margin:0;flex:1 1 150px;display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:2px 12px}
.legend li{display:flex;align-items:center;gap:6px;white-space:nowrap}
.dot{flex:none;display:inline-block;width:10px;height:10px;border-radius:2px}
.notice{background:#eff6ff;border:1px solid #bfdbfe;border-radius:6px;padding:8px 12px;margin:0 0 12px}
.filters{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:10px;align-items:center}
.filters input,.filters select{padding:5px 8px;border:1px solid #d1d5db;border-radius:5px;font:inherit;max-width:100%}
.filters input[type=search]{flex:1 1 240px}
.filters select{flex:0 1 auto}
.filters label{white-space:nowrap}
.bar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;justify-content:space-between;margin:8px 0}
.pager button{font:inherit;padding:3px 10px;border:1px solid #d1d5db;border-radius:5px;background:#fff;cursor:pointer}
.pager button:disabled{opacity:.4;cursor:default}
table.f{width:100%;border-collapse:collapse;background:#fff;table-layout:fixed}
table.f th,table.f td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top;overflow-wrap:anywhere}
table.f th{background:#f9fafb}
col.c-sev{width:112px}col.c-rule{width:20%}col.c-loc{width:27%}col.c-conf{width:64px}
table.f th{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{margin:4px 0 0;white-space:pre-wrap;overflow-wrap:anywhere;background:#f9fafb;padding:4px 6px;border-radius:4px;max-height:9em;overflow:auto}
.trunc{display:block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sev{color:#fff;border-radius:4px;padding:1px 6px;font-size:12px;white-space:nowrap}
.tag{display:inline-block;border-radius:4px;padding:0 5px;font-size:11px;border:1px solid #d1d5db;color:#374151;margin:2px 2px 0 0}
.tag.new{background:#fef3c7;border-color:#f59e0b;color:#78350f;font-weight:600}
.tag.st-false_positive,.tag.st-accepted{background:#f3f4f6;color:#6b7280}
.tag.st-fixed{background:#dcfce7;border-color:#86efac;color:#166534}
.note{color:#6b7280}
.anchor{color:inherit;text-decoration:none}
.anchor:hover code{text-decoration:underline}
tr.hl{outline:2px solid #f59e0b;outline-offset:-2px}
ol.taint{margin:4px 0 0;padding-left:20px;font-size:12px}
details.grp{background:#fff;border:1px solid #e5e7eb;border-radius:6px;margin:0 0 6px}
details.grp>summary{cursor:pointer;padding:6px 10px;display:flex;flex-wrap:wrap;gap:4px 10px;align-items:baseline}
details.grp>summary code{overflow-wrap:anywhere;min-width:0}
details.grp .more{margin:6px 10px}
@media (max-width:760px){
header{padding:14px 16px;gap:14px}
main{padding:12px}
.card{padding:12px}
table.f,table.f tbody,table.f tr,table.f td{display:block;width:auto}
table.f thead,table.f colgroup{display:none}
table.f tr{border:1px solid #e5e7eb;border-radius:8px;margin:0 0 8px;padding:6px 10px}
table.f td{border:0;padding:2px 0}
table.f td.conf::before{content:"Confidence ";color:#6b7280}
}
"""

# Constant: it never contains report data, so its hash can be pinned in the page's CSP.
_JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var items = data.findings, titles = data.detectors, PAGE = data.page_size, GROUPS = 50, GROUP_ROWS = 200;
  var RANK = {critical: 0, high: 1, medium: 2, low: 3, info: 4};
  var list = document.getElementById("list"), status = document.getElementById("status");
  var pagers = document.querySelectorAll(".pager");
  var fields = ["q", "sev", "cat", "det", "status", "kind", "role", "lang", "fresh", "group"];
  var el = {}, byId = {}, hay = [], matched = [], groups = [], page = 0;
  fields.forEach(function (name) { el[name] = document.getElementById("f-" + name); });
  items.forEach(function (f, i) { byId[f.id] = i; });

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function breakable(path) { return esc(path).replace(/\\//g, "/<wbr>"); }
  function val(name) {
    var e = el[name];
    if (!e) { return ""; }
    return e.type === "checkbox" ? (e.checked ? "1" : "") : e.value;
  }
  function text(i) {
    if (hay[i] === undefined) {
      var f = items[i];
      hay[i] = [f.det, titles[f.det] || "", f.cat, f.path + ":" + f.line, f.sym, f.msg, f.snip, f.cwe || ""]
        .join("\\n").toLowerCase();
    }
    return hay[i];
  }
  function filter() {
    var q = val("q").trim().toLowerCase(), s = val("sev"), c = val("cat"), d = val("det"), st = val("status"),
      k = val("kind"), r = val("role"), l = val("lang"), fresh = val("fresh"), out = [];
    for (var i = 0; i < items.length; i++) {
      var f = items[i];
      if ((s && f.sev !== s) || (c && f.cat !== c) || (d && f.det !== d) || (st && f.status !== st) ||
          (k && f.kind !== k) || (r && f.role !== r) || (l && f.lang !== l) || (fresh && !f.new) ||
          (q && text(i).indexOf(q) === -1)) { continue; }
      out.push(i);
    }
    matched = out;
    groups = [];
    var key = val("group");
    if (key) {
      var at = {};
      matched.forEach(function (i) {
        var name = key === "file" ? items[i].path : items[i].det;
        if (at[name] === undefined) { at[name] = groups.length; groups.push({name: name, rows: []}); }
        groups[at[name]].rows.push(i);
      });
      // worst first, then the biggest: rows are ranked, so a group's first row is its worst
      groups.sort(function (a, b) {
        return (RANK[items[a.rows[0]].sev] - RANK[items[b.rows[0]].sev]) || (b.rows.length - a.rows.length) ||
          (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      });
    }
  }
  function row(i) {
    var f = items[i], meta = [f.cat], tags = "";
    if (f.cwe) { meta.push(f.cwe); }
    // the usual (source files, the page's only language) goes without saying
    if (f.kind) { meta.push(f.kind); }
    if (f.role && f.role !== "source") { meta.push(f.role); }
    if (f.lang && el.lang) { meta.push(f.lang); }
    if (f.new) { tags += '<span class="tag new">new</span>'; }
    if (f.status && f.status !== "open") {
      tags += '<span class="tag st-' + esc(f.status) + '">' + esc(f.status.replace("_", " ")) + "</span>";
    }
    var taint = "";
    if (f.taint && f.taint.length) {
      taint = '<ol class="taint">' + f.taint.map(function (step) {
        return "<li><code>" + esc(step.path + ":" + step.line) + "</code> " + esc(step.note || "") + "</li>";
      }).join("") + "</ol>";
    }
    var loc = f.line ? f.path + ":" + f.line : f.path;
    return '<tr id="' + esc(f.id) + '">' +
      '<td><span class="sev s-' + esc(f.sev) + '">' + esc(f.sev) + "</span> " + tags + "</td>" +
      '<td><code title="' + esc(titles[f.det] || f.det) + '">' + esc(f.det) + '</code><div class="note">' +
        esc(meta.join(" · ")) + "</div></td>" +
      '<td><a class="anchor" href="#' + esc(f.id) + '" title="Link to this finding"><code>' + breakable(loc) + "</code></a>" +
        (f.sym ? '<span class="note trunc" title="' + esc(f.sym) + '">' + esc(f.sym) + "</span>" : "") + "</td>" +
      "<td>" + esc(f.msg) + (f.snip ? "<pre>" + esc(f.snip) + "</pre>" : "") + taint + "</td>" +
      '<td class="conf">' + esc(f.conf.toFixed(2)) + "</td></tr>";
  }
  function table(rows) {
    return '<table class="f"><colgroup><col class="c-sev"><col class="c-rule"><col class="c-loc"><col><col class="c-conf">' +
      "</colgroup><thead><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Message</th><th>Conf.</th></tr></thead>" +
      "<tbody>" + rows.map(row).join("") + "</tbody></table>";
  }
  function count(n) { return n.toLocaleString("en"); }
  function draw() {
    var units = val("group") ? groups.length : matched.length;
    var size = val("group") ? GROUPS : PAGE, pages = Math.max(1, Math.ceil(units / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    var start = page * size, end = Math.min(units, start + size);
    if (val("group")) {
      list.innerHTML = groups.slice(start, end).map(function (g, n) {
        var worst = items[g.rows[0]].sev, label = val("group") === "file" ? g.name : g.name + " — " + (titles[g.name] || "");
        return '<details class="grp" data-g="' + (start + n) + '"><summary><span class="sev s-' + esc(worst) + '">' +
          esc(worst) + "</span><code>" + esc(label) + '</code><span class="note">' + count(g.rows.length) +
          (g.rows.length === 1 ? " finding" : " findings") + "</span></summary></details>";
      }).join("");
      status.textContent = units ? "Groups " + count(start + 1) + "–" + count(end) + " of " + count(units) + " (" +
        count(matched.length) + " findings match, " + count(items.length) + " in the report)" : "No finding matches.";
    } else {
      list.innerHTML = units ? table(matched.slice(start, end)) : "";
      status.textContent = units ? "Showing " + count(start + 1) + "–" + count(end) + " of " + count(units) +
        " matching findings (" + count(items.length) + " in the report)" : "No finding matches.";
    }
    pagers.forEach(function (p) {
      p.querySelector("span").textContent = "Page " + count(page + 1) + " of " + count(pages);
      p.querySelector("[data-step='-1']").disabled = page === 0;
      p.querySelector("[data-step='1']").disabled = page >= pages - 1;
    });
  }
  function fillGroup(details, shown) {
    var g = groups[Number(details.dataset.g)], upto = Math.min(g.rows.length, shown);
    var more = upto < g.rows.length ? '<button class="more" type="button" data-upto="' + (upto + GROUP_ROWS) +
      '">Show ' + count(Math.min(GROUP_ROWS, g.rows.length - upto)) + " more of " + count(g.rows.length - upto) +
      "</button>" : "";
    var old = details.querySelector("table.f, .more");
    while (old) { old.remove(); old = details.querySelector("table.f, .more"); }
    details.insertAdjacentHTML("beforeend", table(g.rows.slice(0, upto)) + more);
  }
  function update() { page = 0; filter(); draw(); }
  fields.forEach(function (name) {
    if (el[name]) { el[name].addEventListener(name === "q" ? "input" : "change", update); }
  });
  pagers.forEach(function (p) {
    p.addEventListener("click", function (event) {
      var step = event.target.getAttribute("data-step");
      if (step) { page += Number(step); draw(); list.scrollIntoView(); }
    });
  });
  list.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.classList && details.classList.contains("grp") && details.open && !details.querySelector("table.f")) {
      fillGroup(details, GROUP_ROWS);
    }
  }, true);
  list.addEventListener("click", function (event) {
    var upto = event.target.getAttribute && event.target.getAttribute("data-upto");
    if (upto) { fillGroup(event.target.closest("details"), Number(upto)); }
  });
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1)), i = byId[id];
    if (i === undefined) { return; }
    if (matched.indexOf(i) === -1) {
      fields.forEach(function (name) {
        var e = el[name];
        if (e && name !== "group") { if (e.type === "checkbox") { e.checked = false; } else { e.value = ""; } }
      });
      filter();
    }
    if (val("group")) {
      var key = val("group") === "file" ? items[i].path : items[i].det;
      var g = groups.findIndex(function (grp) { return grp.name === key; });
      page = Math.floor(g / GROUPS);
      draw();
      var details = list.querySelector('details[data-g="' + g + '"]');
      details.open = true;
      fillGroup(details, Math.max(GROUP_ROWS, groups[g].rows.indexOf(i) + 1));
    } else {
      page = Math.floor(matched.indexOf(i) / PAGE);
      draw();
    }
    var target = document.getElementById(id);
    var old = list.querySelector("tr.hl");
    if (old) { old.classList.remove("hl"); }
    target.classList.add("hl");
    target.scrollIntoView({block: "center"});
  }
  window.addEventListener("hashchange", reveal);
  filter();
  draw();
  if (location.hash) { reveal(); }
  document.body.setAttribute("data-ready", "1");
}());
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_JS.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:"


def _bar_chart(items: list[tuple[str, float, str]], max_value: float | None = None, decimals: int = 0) -> str:
    """Horizontal bars: (label, value, colour)."""
    width, bar_x, bar_w, row_h = 380, 110, 210, 24
    top = max_value if max_value is not None else max((v for _, v, _ in items), default=0) or 1
    parts = [f'<svg viewBox="0 0 {width} {row_h * len(items) + 4}" width="100%" role="img">']
    for i, (label, value, colour) in enumerate(items):
        y = i * row_h + 2
        length = 0 if top <= 0 else bar_w * min(value, top) / top
        shown = f"{value:,.{decimals}f}"
        parts.append(
            f'<text x="0" y="{y + 15}">{_e(label)}</text>'
            f'<rect x="{bar_x}" y="{y + 3}" width="{bar_w}" height="16" rx="3" fill="#eef0f3"/>'
            f'<rect x="{bar_x}" y="{y + 3}" width="{length:.1f}" height="16" rx="3" fill="{_e(colour)}"/>'
            f'<text x="{bar_x + bar_w + 8}" y="{y + 15}">{_e(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _donut(items: list[tuple[str, int, str]]) -> str:
    total = sum(v for _, v, _ in items)
    radius, stroke = 60, 26
    circumference = 2 * math.pi * radius
    parts = ['<svg viewBox="0 0 180 180" width="150" height="150" role="img">']
    parts.append(f'<circle cx="90" cy="90" r="{radius}" fill="none" stroke="#eef0f3" stroke-width="{stroke}"/>')
    offset = 0.0
    for label, value, colour in items:
        if value <= 0 or total <= 0:
            continue
        length = circumference * value / total
        parts.append(
            f'<circle cx="90" cy="90" r="{radius}" fill="none" stroke="{_e(colour)}" stroke-width="{stroke}" '
            f'stroke-dasharray="{length:.3f} {circumference - length:.3f}" stroke-dashoffset="{-offset:.3f}" '
            f'transform="rotate(-90 90 90)"><title>{_e(label)}: {value:,}</title></circle>'
        )
        offset += length
    parts.append(f'<text x="90" y="96" text-anchor="middle" style="font-size:18px;font-weight:700">{total:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _category_colours(categories: Iterable[str]) -> dict[str, str]:
    colours = {}
    spare = iter(_OTHER_COLOURS * 20)
    for category in categories:
        colours[category] = _CATEGORY_COLOUR.get(category) or next(spare)
    return colours


def _options(label: str, counts: dict[str, int], names: dict[str, str] | None = None) -> str:
    options = "".join(
        f'<option value="{_e(value)}">{_e((names or {}).get(value) or value)} ({n:,})</option>' for value, n in counts.items()
    )
    return f'<option value="">{_e(label)}</option>{options}'


def _select(name: str, label: str, counts: dict[str, int], names: dict[str, str] | None = None) -> str:
    return f'<select id="f-{name}" aria-label="{_e(label)}">{_options(label, counts, names)}</select>'


def _counts(findings: list[dict[str, Any]], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in findings:
        value = item.get(key)
        if value:
            counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _filters(page: HtmlPage) -> str:
    parts = [
        '<input id="f-q" type="search" placeholder="Filter by text, file, rule…" aria-label="Filter findings">',
        _select("sev", "All severities", {s: n for s, n in page.by_severity.items() if n}),
        _select("cat", "All categories", page.by_category),
        _select("det", "All rules", _counts(page.findings, "det")),
    ]
    if page.has_triage:
        parts.append(_select("status", "Any status", _counts(page.findings, "status")))
    for key, label in (("kind", "All kinds"), ("role", "All roles"), ("lang", "All languages")):
        counts = _counts(page.findings, key)
        if len(counts) > 1:
            parts.append(_select(key, label, counts))
    if any(item.get("new") for item in page.findings):
        parts.append('<label><input id="f-fresh" type="checkbox"> New only</label>')
    parts.append(
        '<select id="f-group" aria-label="Group by"><option value="">No grouping</option>'
        '<option value="file">Group by file</option><option value="detector">Group by rule</option></select>'
    )
    return "".join(parts)


def _hotspot_map(hotspots: Sequence[dict[str, Any]]) -> str:
    """The hotspots as a table whose bars show the score (change frequency × complexity)."""
    if not hotspots:
        return ""
    top = max(float(h.get("score", 0.0)) for h in hotspots) or 1.0
    rows = []
    for h in hotspots:
        score = float(h.get("score", 0.0))
        # the bar and its figure share the cell: the hottest bar takes 70 % of it, the rest in proportion
        width = max(2.0, 70.0 * score / top)
        # red for the hottest, fading to amber
        colour = "#b91c1c" if score >= 0.5 * top else "#ea580c" if score >= 0.2 * top else "#ca8a04"
        rows.append(
            f'<tr><td>{int(h.get("rank", 0))}</td><td class="path">{_e(h.get("path", ""))}</td>'
            f"<td>{int(h.get('revisions', 0)):,}</td><td>{int(h.get('complexity', 0)):,}</td>"
            f'<td class="score"><span class="heat" style="width:{width:.0f}%;background:{colour}"></span> {score:.2f}</td></tr>'
        )
    return (
        '<section class="card" id="hotspots"><h2>Hotspots (git history)</h2>'
        "<p>Files that change most often and are the most complex: score = revisions ÷ most revisions × "
        "complexity ÷ highest complexity.</p>"
        '<table class="hotspots"><thead><tr><th>#</th><th>File</th><th>Revisions</th><th>Complexity</th>'
        f"<th>Score</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _data_block(page: HtmlPage) -> str:
    payload = {"page_size": PAGE_SIZE, "detectors": page.detectors, "findings": page.findings}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # a data block ends at the first "</script"; no "<" at all keeps it and "<!--" harmless
    return text.replace("<", "\\u003c")


def render_page(page: HtmlPage) -> str:
    score = page.score
    pillar_chart = _bar_chart(
        [
            (p.capitalize(), float(score.pillars.get(p, 0.0)), _GRADE_COLOUR[grade_for(score.pillars.get(p, 0.0))])
            for p in PILLARS
            if p in score.pillars
        ],
        max_value=100.0,
        decimals=1,
    )
    severity_chart = _bar_chart([(s, page.by_severity.get(s, 0), SEVERITY_COLOUR[s]) for s in SEVERITIES])
    colours = _category_colours(page.by_category)
    category_items = [(c, n, colours[c]) for c, n in page.by_category.items()]
    legend = (
        "".join(
            f'<li><span class="dot" style="background:{_e(colour)}"></span><span>{_e(cat)} ({n:,})</span></li>'
            for cat, n, colour in category_items
        )
        or "<li>No findings</li>"
    )
    facts_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in page.facts)
    subtitle = "".join(f"<p>{_e(line)}</p>" for line in page.subtitle)
    severity_css = "".join(f".s-{s}{{background:{c}}}" for s, c in SEVERITY_COLOUR.items())
    pager = (
        '<nav class="pager" aria-label="Pages"><button type="button" data-step="-1">‹ Previous</button> '
        '<span></span> <button type="button" data-step="1">Next ›</button></nav>'
    )
    grade_colour = _GRADE_COLOUR.get(score.grade, "#374151")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp()}">
<meta name="generator" content="{_e(page.generator)}">
<title>Repotoire report: {_e(page.title)}</title>
<style>{_CSS}{severity_css}</style>
</head>
<body>
<header>
<div class="badge" style="background:{grade_colour}" title="Health grade"><b>{_e(score.grade)}</b><span>{score.overall:.1f}</span></div>
<div><h1>Repotoire report: {_e(page.title)}</h1>{subtitle}</div>
</header>
<main>
<p class="notice" id="notice">{_e(page.notice)}</p>
<div class="cards">
<section class="card"><h2>Summary</h2><dl>{facts_html}</dl></section>
<section class="card"><h2>Pillar scores</h2>{pillar_chart}</section>
<section class="card"><h2>Findings by severity</h2>{severity_chart}</section>
<section class="card"><h2>Findings by category</h2><div class="donut">{_donut(category_items)}<ul class="legend">{legend}</ul></div></section>
</div>
{_hotspot_map(page.hotspots)}
<section class="card" id="findings">
<h2>Findings</h2>
<div class="filters">{_filters(page)}</div>
<div class="bar"><span id="status" role="status"></span>{pager}</div>
<noscript><p>The list of findings needs JavaScript; the JSON report holds the same findings.</p></noscript>
<div id="list"></div>
<div class="bar"><span></span>{pager}</div>
</section>
</main>
<script type="application/json" id="report-data">{_data_block(page)}</script>
<script>{_JS}</script>
</body>
</html>
"""
