import Foundation
import Search
import Store
import Testing
@testable import SweepReport

/// The report's layout as Chromium lays it out: no label drawn over another, nothing cut
/// off, and values printed so that different values read differently.
@Suite(.serialized) struct ReportLayoutTests {
    /// Many parameters with long names, a narrow log range (1-2-5 ticks), a conditional one.
    static func wideSpace() throws -> SearchSpace {
        try SearchSpace([
            Parameter(name: "training.optimizer.learning_rate", distribution: .logUniform(low: 1e-5, high: 1e-1)),
            Parameter(name: "units", distribution: .int(low: 16, high: 256, step: 16)),
            Parameter(name: "optimizer", distribution: .categorical([.string("sgd"), .string("adam"), .string("nadam")])),
            Parameter(name: "momentum", distribution: .uniform(low: 0.5, high: 0.99, step: nil),
                      condition: Condition(parent: "optimizer", values: [.string("sgd")])),
            Parameter(name: "training.regularization.weight_decay", distribution: .logUniform(low: 3e-4, high: 3e-2)),
            Parameter(name: "model.layers.first_hidden_layer_units", distribution: .int(low: 16, high: 512, step: 1)),
            Parameter(name: "model.activation_function", distribution: .categorical([.string("relu"), .string("elu"), .string("swish")])),
            Parameter(name: "data.augmentation.random_crop_padding", distribution: .int(low: 0, high: 8, step: 1)),
            Parameter(name: "training.batch_size", distribution: .categorical([.int(32), .int(64), .int(128), .int(256)])),
        ])
    }

    /// Appended to a copy of the report: writes what overlaps or overflows into the DOM, which
    /// `--dump-dom` then prints.
    static let probe = """
    <script>
    (function () {
      var out = [];
      function box(e) { return e.getBoundingClientRect(); }
      document.querySelectorAll("svg").forEach(function (svg, k) {
        var name = svg.getAttribute("aria-label") || ("svg " + k);
        var frame = box(svg);
        var texts = Array.prototype.slice.call(svg.querySelectorAll("text")).filter(function (t) { return t.textContent.length > 0; });
        var boxes = texts.map(box);
        for (var i = 0; i < texts.length; i++) {
          var a = boxes[i];
          if (a.left < frame.left - 1 || a.right > frame.right + 1 || a.top < frame.top - 1 || a.bottom > frame.bottom + 1)
            out.push("OUTSIDE " + name + ": " + texts[i].textContent);
          for (var j = i + 1; j < texts.length; j++) {
            var b = boxes[j];
            var w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 1 && h > 1) out.push("OVERLAP " + name + ": '" + texts[i].textContent + "' and '" + texts[j].textContent + "'");
          }
        }
      });
      var table = document.getElementById("top-trials-table");
      if (!table) { out.push("NO TABLE"); }
      else if (box(table).right > box(table.parentElement).right + 1 || table.scrollWidth > table.parentElement.clientWidth + 1)
        out.push("TABLE CUT " + Math.round(box(table).width) + " > " + table.parentElement.clientWidth);
      var pre = document.createElement("pre");
      pre.id = "layout-probe";
      pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);
    })();
    </script>
    """

    /// Problems the probe found in `page`, laid out in a `width` wide window.
    static func problems(_ page: String, scratch s: Scratch) throws -> [String] {
        let file = try s.write("probe.html", page.replacingOccurrences(of: "</body>", with: probe + "</body>"))
        let dom = try Chromium(scratch: s).dumpDOM(URL(fileURLWithPath: file).absoluteString)
        try #require(dom.status == 0, "\(dom.log.suffix(2000))")
        #expect(dom.consoleLines.isEmpty, "\(dom.consoleLines)")
        let json = try #require(HTMLScan.first("<pre id=\"layout-probe\">(.*?)</pre>", in: dom.stdout), "the probe did not run")
        let text = json.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        return try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    @Test func noLabelOverlapsAnotherAndTheTableFits() throws {
        let s = try Scratch("layout")
        defer { s.cleanUp() }
        let store = try ReportFixture.write(path: s.db, trials: 60, epochs: 4, space: try Self.wideSpace())
        let (_, page) = try ReportContentTests.render(store)
        let problems = try Self.problems(page, scratch: s)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func anInactiveConditionalParameterLeavesAGapInsteadOfASlot() throws {
        let s = try Scratch("inactive")
        defer { s.cleanUp() }
        let store = try ReportFixture.write(path: s.db, trials: 40, epochs: 3)
        let (data, page) = try ReportContentTests.render(store)
        let parallel = try #require(HTMLScan.first("(<section class=\"part fig\" id=\"parallel\">.*?</section>)", in: page))
        let inactive = data.complete.filter { $0.params["momentum"] == nil }.count
        #expect(inactive > 0 && inactive < data.complete.count)
        // No line is drawn to a point below the axes: every vertex lies between top and bottom.
        let bottom = 400.0 - 58
        let ys = HTMLScan.all("<path class=\"pc-(?:line|best)\" d=\"([^\"]*)\"", in: parallel).flatMap { d in
            HTMLScan.all("[ML][0-9.]+ ([0-9.]+)", in: d).compactMap(Double.init)
        }
        #expect(!ys.isEmpty)
        #expect(ys.allSatisfy { $0 <= bottom + 0.05 }, "a line goes below the axes: max y \(ys.max() ?? 0)")
        // A trial inactive on momentum breaks its line there (two subpaths), others do not.
        let lines = HTMLScan.all("(<path class=\"pc-(?:line|best)\"[^>]*><title>trial [0-9]+)", in: parallel)
        let broken = lines.filter { HTMLScan.count("M", in: $0) == 2 }.count
        #expect(broken == inactive, "\(broken) broken lines, \(inactive) trials without momentum")
        #expect(parallel.contains(">inactive in \(inactive) of \(data.complete.count)</text>"))
    }

    @Test func smallValuesKeepTheirSignificantDigits() {
        #expect(Fmt.value(3.00e-4) == "3.00e-4")
        #expect(Fmt.value(3.46e-4) == "3.46e-4")
        #expect(Fmt.value(3.32e-4) == "3.32e-4")
        #expect(Fmt.value(0.0123456) == "0.01235")
        #expect(Fmt.value(0.5) == "0.5")
        #expect(Fmt.value(-2.5e7) == "-2.50e7")
        // The largest doubles round toward zero (1.80e308 is more than any double holds).
        #expect(Fmt.value(.greatestFiniteMagnitude) == "1.79e308" && Fmt.value(-.greatestFiniteMagnitude) == "-1.79e308")
        #expect(Fmt.value(12_345.6) == "12346")
        #expect(Fmt.value(nil) == "-")
        #expect(Fmt.param(.double(1.5e-5)) == "1.50e-5")
        #expect(Fmt.param(.string("adam")) == "adam")
        // Text that would pass for a number, a flag or null is quoted: "1" beside 1 looked alike.
        #expect(Fmt.param(.string("1")) == "\"1\"" && Fmt.param(.int(1)) == "1" && Fmt.param(.double(1)) == "1")
        #expect(Fmt.param(.string("null")) == "\"null\"" && Fmt.param(.null) == "null")
        #expect(Fmt.param(.string("True")) == "\"True\"" && Fmt.param(.bool(true)) == "true")
        #expect(Fmt.param(.string("")) == "\"\"" && Fmt.param(.string(" a ")) == "\" a \"" && Fmt.param(.string("1e-3x")) == "1e-3x")
    }

    @Test func bestAndTrialsPrintSmallValuesDistinguishably() throws {
        let s = try Scratch("small-values")
        defer { s.cleanUp() }
        let store = try SweepStore.open(path: s.db)
        try store.write { tx in
            let st = try tx.createStudy(NewStudy(name: "tiny", direction: .minimize, metric: "val_loss", sweepFile: "study: tiny\n",
                                                 space: try ReportFixture.space(), seed: 1, budgetTrials: 3), at: 1)
            for (n, v) in [3.00e-4, 3.46e-4, 3.32e-4].enumerated() {
                let id = try tx.insertTrial(studyID: st.id, number: n, state: .running, params: ["units": .int(32), "optimizer": .string("adam")],
                                            seed: 1, at: 2, leasedTo: "w")
                try tx.finishTrial(trialID: id, attempt: 1, state: .complete, value: v, metrics: nil, at: 3)
            }
        }
        for command in [["best", "tiny", "--top", "3"], ["trials", "tiny"]] {
            let r = try s.sweep(command + ["--db", s.db])
            try #require(r.status == 0, "\(r.output)")
            for v in ["3.00e-4", "3.46e-4", "3.32e-4"] { #expect(r.output.contains(v), "sweep \(command[0]): \(r.output)") }
            #expect(!r.output.contains("0.0003"))
        }
    }
}
