import Foundation
import SweepReport

/// The dashboard's HTML shells: a little static structure that the script fills in from
/// `/api` (all data reaches the page as JSON and is set as text, never as markup).
enum DashboardPages {
    static func studies() -> String {
        page("studies", title: "Studies", attributes: [:], body: """
        <header class="part"><h1>Studies</h1><p class="sub" id="db-line">Every study in the database, refreshed every 2 seconds.</p></header>
        <section class="part"><div class="table-wrap"><table class="data" id="studies-table"><thead><tr>
        <th>compare</th><th>study</th><th>state</th><th class="num">trials</th><th class="num">complete</th><th class="num">pruned</th>
        <th class="num">failed</th><th class="num">running</th><th>metric</th><th class="num">best</th></tr></thead><tbody></tbody></table></div>
        <p><button id="compare-button" type="button">Compare selected studies</button></p></section>
        """)
    }

    static func study(_ name: String) -> String {
        page("study", title: name, attributes: ["data-study": name], body: """
        <header class="part" id="summary"><h1 id="study-name">\(html(name))</h1><p class="sub" id="study-sub">loading…</p>
        <div class="cards">
        <div class="card"><div class="k">best</div><div class="v"><span id="best-value">–</span></div><div class="d">trial <a id="best-trial">–</a></div></div>
        <div class="card"><div class="k">trials</div><div class="v"><span id="trial-count">0</span> / <span id="trial-budget">?</span></div><div class="d" id="trial-states"></div></div>
        <div class="card"><div class="k">in progress</div><div class="v" id="live-count">0</div><div class="d" id="live-states"></div></div>
        <div class="card"><div class="k">workers</div><div class="v" id="worker-count">0</div><div class="d" id="worker-states"></div></div>
        </div></header>
        <nav class="part"><a href="#parallel-live">Parallel coordinates</a><a href="#contour">Contour</a><a href="#edf">EDF</a>
        <a href="#timeline">Timeline</a><a href="#trials">Trials</a><a href="#actions">Actions</a><a href="#report-figures">Report plots</a><a href="/">All studies</a></nav>
        <section class="part" id="parallel-live"><h2>Parallel coordinates</h2>
        <p class="caption">Drag along an axis to keep only the trials inside that range (the table below follows); click an axis to clear its range.</p>
        <div id="pc-box"></div><p class="note" id="pc-note"></p></section>
        <section class="part" id="contour"><h2>Contour</h2>
        <p class="caption">The objective over two parameters, interpolated between complete trials (darker is better); dots are trials.</p>
        <p class="caption">x <select id="contour-x"></select> y <select id="contour-y"></select></p><div id="contour-box"></div></section>
        <section class="part" id="edf"><h2>Empirical distribution</h2>
        <p class="caption">The share of complete trials with a value at most x: a curve further toward the better side means a better search.</p>
        <div id="edf-box"></div></section>
        <section class="part" id="timeline"><h2>Timeline</h2>
        <p class="caption">Each row is a worker, each bar one attempt of a trial: gaps are idle time; red bars failed, orange ones went stale (lost worker).</p>
        <div id="timeline-box"></div></section>
        <section class="part" id="trials"><h2>Trials</h2>
        <p class="caption"><input id="trial-filter" type="search" placeholder="filter: text in any column"> state <select id="state-filter">
        <option value="">any</option><option>COMPLETE</option><option>PRUNED</option><option>FAIL</option><option>RUNNING</option><option>WAITING</option><option>STALE</option></select>
        <span id="trials-shown"></span> · click a column to sort</p>
        <div class="table-wrap"><table class="data" id="trials-table"><thead></thead><tbody></tbody></table></div></section>
        <section class="part" id="actions"><h2>Actions</h2><p class="caption">Changes need the token the dashboard was started with.
        <input id="token" type="password" placeholder="token" autocomplete="off"> <button id="stop-button" type="button" hidden>Stop this study's sweep</button> <span id="action-result"></span></p>
        <h3>Enqueue a trial</h3><p class="caption">A trial with these values runs next, on top of the budget (like <code>sweep enqueue</code>).
        Give every parameter that is active; leave inactive ones empty.</p>
        <form id="enqueue-form"><div class="enqueue-fields" id="enqueue-fields"></div>
        <p><button id="enqueue-button" type="submit">Enqueue</button> <span id="enqueue-result"></span></p></form>
        <p class="note" id="enqueue-queued"></p></section>
        <section class="part" id="report-figures"><h2>Report plots</h2><p class="caption">The plots of <code>sweep report</code> (and a Population Based Training study's lineage), redrawn as trials finish.</p><div id="figures-box"></div></section>
        """)
    }

    static func trial(_ study: String, number: Int) -> String {
        page("trial", title: "\(study) · trial \(number)", attributes: ["data-study": study, "data-trial": "\(number)"], body: """
        <header class="part"><h1>Trial <span id="trial-number">\(number)</span> of <a id="study-link">\(html(study))</a></h1><p class="sub" id="trial-sub">loading…</p></header>
        <section class="part"><h2>Parameters</h2><div class="table-wrap"><table class="data" id="params-table"><tbody></tbody></table></div></section>
        <section class="part"><h2>Metrics per epoch</h2><div id="metric-curves" class="slices"></div></section>
        <section class="part"><h2>Attempts</h2><div class="table-wrap"><table class="data" id="attempts-table"><thead><tr>
        <th class="num">attempt</th><th>worker</th><th>started</th><th class="num">duration</th><th>outcome</th><th>error</th></tr></thead><tbody></tbody></table></div>
        <p class="caption" id="log-note" hidden>The end of the program's output, as the store kept it, is shown under its attempt.</p></section>
        <section class="part" id="lineage-part" hidden><h2>PBT lineage</h2>
        <p class="caption">The epochs this member trained with which parameters, the checkpoints it continued from, and the schedule its final weights went through.</p>
        <div class="table-wrap"><table class="data" id="lineage-table"><thead><tr><th>schedule</th><th class="num">epochs</th><th class="num">trial</th><th>parameters</th></tr></thead><tbody></tbody></table></div>
        <div class="table-wrap"><table class="data" id="exploit-table"><thead><tr><th class="num">epoch</th><th class="num">from trial</th><th class="num">its epoch</th><th>changes</th></tr></thead><tbody></tbody></table></div></section>
        """)
    }

    static func compare(_ studies: [String]) -> String {
        page("compare", title: "Compare", attributes: ["data-studies": studies.joined(separator: "\n")], body: """
        <header class="part"><h1>Compare studies</h1><p class="sub" id="compare-sub">Best value so far against trial number.</p></header>
        <section class="part"><div id="compare-box"></div>
        <div class="table-wrap"><table class="data" id="compare-table"><thead><tr><th>study</th><th>metric</th><th>direction</th>
        <th class="num">trials</th><th class="num">best</th><th class="num">best trial</th></tr></thead><tbody></tbody></table></div></section>
        """)
    }

    static func page(_ kind: String, title: String, attributes: [String: String], body: String) -> String {
        let attrs = attributes.sorted { $0.key < $1.key }.map { " \($0.key)=\"\(html($0.value))\"" }.joined()
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(html(title)) · sweep dashboard</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/dashboard.css"></head>
        <body data-page="\(kind)"\(attrs)>
        <div class="topbar"><a href="/">sweep dashboard</a> <span id="status"></span></div>
        \(body)
        <script src="/assets/dashboard.js"></script>
        </body></html>
        """
    }
}
