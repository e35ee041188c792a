/// The report's stylesheet and its one small script: inline, so the file needs no network.
public enum ReportStyle {
    /// The report's stylesheet (the dashboard embeds it too).
    public static let css = """
    :root { --ink: #1f2933; --muted: #697586; --line: #e3e8ee; --accent: #dd6b20; --blue: #2b6cb0; --bg: #ffffff; --panel: #f7f9fb; }
    * { box-sizing: border-box; }
    html { background: var(--bg); }
    body { margin: 0 auto; max-width: 960px; padding: 28px 24px 60px; color: var(--ink); background: var(--bg);
           font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
    h1 { font-size: 26px; margin: 0 0 2px; letter-spacing: -0.01em; }
    h2 { font-size: 19px; margin: 0 0 4px; }
    .sub { color: var(--muted); margin: 0 0 18px; }
    .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin: 0 0 14px; }
    .card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
    .card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
    .card .v { font-size: 21px; font-weight: 600; font-variant-numeric: tabular-nums; }
    .card .d { color: var(--muted); font-size: 13px; }
    nav { margin: 6px 0 22px; font-size: 14px; }
    nav a { color: var(--blue); text-decoration: none; margin-right: 14px; }
    nav a:hover { text-decoration: underline; }
    section.part { margin: 0 0 34px; }
    .caption { color: var(--muted); margin: 0 0 8px; font-size: 14px; max-width: 820px; }
    .note { color: var(--muted); font-size: 13px; font-style: italic; margin: 4px 0 0; }
    .empty { color: var(--muted); font-style: italic; padding: 24px; background: var(--panel); border-radius: 8px; }
    svg.plot { display: block; width: 100%; height: auto; max-width: 100%; background: #fff; }
    .slices { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 6px 14px; }
    svg text { font-family: inherit; }
    .tick { font-size: 11px; fill: var(--muted); }
    .axis-title { font-size: 12px; fill: #3e4c59; }
    .legend { font-size: 11px; fill: var(--muted); }
    .slice-title { font-size: 12.5px; font-weight: 600; fill: var(--ink); }
    .axis { stroke: #9aa5b1; stroke-width: 1; }
    .grid { stroke: var(--line); stroke-width: 1; }
    .pt { fill: var(--blue); fill-opacity: .75; }
    .pt:hover, .sp:hover { stroke: #000; stroke-width: 1.5; }
    .dots { stroke: var(--blue); stroke-opacity: .7; stroke-width: 5; stroke-linecap: round; fill: none; }
    .offscale { fill: #9aa5b1; }
    .best-line { stroke: var(--accent); stroke-width: 2.2; fill: none; }
    .best-ring { fill: none; stroke: var(--accent); stroke-width: 2.5; }
    .best-dot { fill: var(--accent); stroke: #fff; stroke-width: 1.5; }
    .curve { stroke: var(--blue); stroke-opacity: .45; stroke-width: 1.3; fill: none; }
    .curve-pruned { stroke: #9aa5b1; stroke-opacity: .6; stroke-width: 1.1; fill: none; }
    .curve-running { stroke: #2f855a; stroke-width: 1.4; stroke-dasharray: 4 3; fill: none; }
    .curve-other { stroke: #cbd2d9; stroke-width: 1; fill: none; }
    .curve-best { stroke: var(--accent); stroke-width: 2.6; fill: none; }
    .curve:hover, .curve-pruned:hover, .curve-running:hover { stroke: #000; stroke-opacity: 1; stroke-width: 2.2; }
    .prune-mark { stroke: #c53030; stroke-width: 1.6; fill: none; }
    .pc-line { fill: none; stroke-width: 1.2; stroke-opacity: .75; }
    .pc-line:hover { stroke: #000 !important; stroke-width: 2.4; stroke-opacity: 1; }
    .pc-best { fill: none; stroke: var(--accent); stroke-width: 2.8; }
    .pc-axis { stroke: #52606d; stroke-width: 1.2; }
    .pc-label { font-size: 10.5px; fill: #3e4c59; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
    .pc-title { font-size: 12px; font-weight: 600; fill: var(--ink); }
    .muted { fill: var(--muted); font-style: italic; }
    .sp { stroke: none; }
    .sp-dot { stroke-width: 5; stroke-linecap: round; stroke-opacity: .85; fill: none; }
    .bar { fill: #86aad6; }
    .bar.top { fill: var(--blue); }
    .bar-label { font-size: 13px; fill: var(--ink); }
    .bar-value { font-size: 12px; fill: var(--muted); font-variant-numeric: tabular-nums; }
    table.data { border-collapse: collapse; width: 100%; font-size: 13.5px; font-variant-numeric: tabular-nums; }
    table.data th, table.data td { padding: 5px 7px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
    /* Long parameter names and values wrap, so that a wide study still fits the page. */
    table.data th, table.data td.param { white-space: normal; overflow-wrap: anywhere; min-width: 3.5em; }
    table.data th { font-weight: 600; color: #3e4c59; background: var(--panel); position: sticky; top: 0; }
    table.data th.sortable { cursor: pointer; user-select: none; }
    table.data th.sortable:hover { color: var(--blue); }
    table.data td.num, table.data th.num { text-align: right; }
    table.data td.inactive { color: #b0b8c1; }
    table.data tr.best td { background: #fff7ed; }
    .table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
    details.numbers { margin-top: 8px; font-size: 13px; }
    details.numbers summary { cursor: pointer; color: var(--blue); }
    pre.sweep-file { background: #1f2933; color: #e4e7eb; padding: 14px 16px; border-radius: 8px; overflow-x: auto;
                     font: 12.5px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
    footer { color: var(--muted); font-size: 12.5px; border-top: 1px solid var(--line); padding-top: 10px; }
    /* report.html#FIGURE shows that figure alone (for sharing one plot, and for screenshots). */
    body:has(section.fig:target) .part:not(:target) { display: none; }
    body:has(section.fig:target) section.fig:target { margin: 0; }
    @media print { nav { display: none; } section.part { break-inside: avoid; } }
    """

    /// Sorts the top-trials table when a column header is clicked.
    static let script = """
    (function () {
      "use strict";
      document.querySelectorAll("table.sortable-table").forEach(function (table) {
        var body = table.tBodies[0];
        table.querySelectorAll("th.sortable").forEach(function (th, column) {
          var ascending = true;
          th.addEventListener("click", function () {
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var x = a.cells[column].getAttribute("data-sort"), y = b.cells[column].getAttribute("data-sort");
              var nx = parseFloat(x), ny = parseFloat(y);
              var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
              return ascending ? c : -c;
            });
            ascending = !ascending;
            rows.forEach(function (r) { body.appendChild(r); });
          });
        });
      });
    })();
    """
}
