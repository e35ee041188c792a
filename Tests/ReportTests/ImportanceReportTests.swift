import Foundation
import Testing
@testable import SweepReport

/// Parameter importance as `sweep report` shows it, on a real synthetic sweep.
@Suite struct ImportanceReportTests {
    @Test func theParameterThatDrivesTheObjectiveRanksFirstInTheReport() throws {
        let s = try Scratch("importance")
        defer { s.cleanUp() }
        // sphere(x, noise1, noise2): x spans [-2, 2]; the others move the value by at most 0.0025.
        let file = try s.write("imp.yaml", """
            study: imp
            seed: 5
            synthetic:
              function: sphere
              epochs: 2
              inputs:
                noise1: {uniform: [-0.05, 0.05]}
                x: {uniform: [-2, 2]}
                noise2: {loguniform: [0.001, 0.05]}
            sampler: {name: random}
            pruner: {name: none}
            budget: {trials: 40}
            """)
        let run = try s.sweep(["run", file, "--workers", "2", "--db", s.db, "--no-progress"])
        try #require(run.status == 0, "\(run.output)")
        let report = try s.sweep(["report", "imp", "--db", s.db, "--out", "-"])
        #expect(report.status == 0)
        #expect(report.output.hasPrefix("<!DOCTYPE html>"), "--out - writes the page to standard output")
        let ranking = HTMLScan.all("<tr data-param=\"([^\"]+)\" data-share=", in: report.output)
        #expect(ranking.first == "x", "\(ranking)")
        let shares = HTMLScan.all("<tr data-param=\"[^\"]+\" data-share=\"([^\"]+)\"", in: report.output).compactMap(Double.init)
        #expect(shares.count == 3 && shares[0] > 0.8, "\(shares)")
    }

    /// A study of many parameters draws the most important ones: a slice per parameter and
    /// an axis each made a 43 MB report of a study of 1,000.
    @Test func manyParametersDrawTheMostImportantOnes() throws {
        let s = try Scratch("many-parameters")
        defer { s.cleanUp() }
        let inputs = (0..<60).map { "    p\($0): {uniform: [-0.01, 0.01]}" }.joined(separator: "\n")
        let file = try s.write("m.yaml", """
            study: m
            seed: 5
            synthetic:
              function: sphere
              epochs: 1
              inputs:
                x: {uniform: [-2, 2]}
            \(inputs)
            sampler: {name: random}
            pruner: {name: none}
            budget: {trials: 30}
            """)
        let run = try s.sweep(["run", file, "--workers", "2", "--db", s.db, "--no-progress"])
        try #require(run.status == 0, "\(run.output)")
        let report = try s.sweep(["report", "m", "--db", s.db, "--out", "-"])
        #expect(report.status == 0)
        let slices = report.output.components(separatedBy: "class=\"plot slice\"").count - 1
        #expect(slices == SlicePlot.maxSlices, "\(slices) slices")
        let axes = report.output.components(separatedBy: "class=\"pc-axis\"").count - 1
        #expect(axes == ParallelPlot.maxAxes, "\(axes) axes")
        #expect(report.output.contains("Showing \(SlicePlot.maxSlices) of 61 parameters: the most important ones"))
        // The one that drives the objective is among them.
        #expect(report.output.contains("against x"), "x has no slice")
    }
}
