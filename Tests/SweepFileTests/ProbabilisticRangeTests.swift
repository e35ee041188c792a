import Foundation
import Search
import Testing
@testable import SweepFile

/// `normal`, `lognormal` and `beta` in Sweep files, and W&B's `normal`, `log_normal`,
/// `beta` and their `q_` forms converted to them.
@Suite struct ProbabilisticRangeTests {
    @Test func sweepFilesDeclareThem() throws {
        let text = RangeErrorTests.sweep("{normal: [0, 1], q: 0.5}", extra: """
            y: {log_normal: [-3, 1.5]}
                z: {beta: [2, 3]}
                w: {lognormal: [0, 1], q: 1}
            """)
        let d = try SweepDefinition.parse(text: text, file: "p.yaml")
        let byName = Dictionary(uniqueKeysWithValues: d.space.parameters.map { ($0.name, $0.distribution) })
        #expect(byName["x"] == .normal(mu: 0, sigma: 1, q: 0.5))
        #expect(byName["y"] == .logNormal(mu: -3, sigma: 1.5, q: nil))
        #expect(byName["z"] == .beta(a: 2, b: 3, q: nil))
        #expect(byName["w"] == .logNormal(mu: 0, sigma: 1, q: 1))
    }

    @Test func theGridSamplerRefusesThemWithTheParameterNamed() throws {
        let text = RangeErrorTests.sweep("{normal: [0, 1]}").replacingOccurrences(of: "sampler: {name: random}", with: "sampler: {name: grid}")
        let error = try #require(parseError(text, file: "g.yaml"), "accepted")
        #expect(error.description.contains("g.yaml:"), "\(error)")
        #expect(error.description.contains("parameter 'x': the grid sampler cannot search a normal, log-normal or beta distribution"), "\(error)")
    }

    static let wandb = """
        program: train.py
        method: random
        metric: {name: loss}
        parameters:
          a: {distribution: normal}
          b: {distribution: q_normal, mu: 10, sigma: 2, q: 0.5}
          c: {distribution: log_normal, mu: -4, sigma: 0.5}
          d: {distribution: q_log_normal, mu: 3, sigma: 1}
          e: {distribution: beta, a: 2, b: 5}
          f: {distribution: q_beta, a: 0.5, b: 0.5, q: 0.1}
        run_cap: 4
        """

    @Test func wandbDistributionsMapAsWandBDefinesThem() throws {
        let d = try SweepDefinition.parse(text: Self.wandb, file: "w.yaml")
        let byName = Dictionary(uniqueKeysWithValues: d.space.parameters.map { ($0.name, $0.distribution) })
        #expect(byName["a"] == .normal(mu: 0, sigma: 1, q: nil))       // W&B's defaults
        #expect(byName["b"] == .normal(mu: 10, sigma: 2, q: 0.5))
        #expect(byName["c"] == .logNormal(mu: -4, sigma: 0.5, q: nil))
        #expect(byName["d"] == .logNormal(mu: 3, sigma: 1, q: 1))       // W&B's q defaults to 1
        #expect(byName["e"] == .beta(a: 2, b: 5, q: nil))
        #expect(byName["f"] == .beta(a: 0.5, b: 0.5, q: 0.1))
        let converted = try WandBSweep.convert(try YAMLReader.parse(Self.wandb, file: nil), file: "w.yaml").yamlText()
        for line in ["a: {normal: [0, 1]}", "b: {normal: [10, 2], q: 0.5}", "c: {lognormal: [-4, 0.5]}",
                     "d: {lognormal: [3, 1], q: 1}", "e: {beta: [2, 5]}", "f: {beta: [0.5, 0.5], q: 0.1}"] {
            #expect(converted.contains(line), "\(line) not in:\n\(converted)")
        }
        #expect(try SweepDefinition.parse(text: converted).space == d.space)
    }
}
