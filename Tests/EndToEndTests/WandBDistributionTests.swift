import Foundation
import Store
import Testing

/// W&B's log-scale distributions, through `sweep convert wandb` and `sweep run`.
@Suite struct WandBDistributionTests {
    @Test func inverseAndQuantizedLogDistributionsConvertAndRunTheSameTrials() throws {
        let h = try SweepHarness("wandb-distributions")
        defer { h.cleanUp() }
        _ = try h.write("train.sh", "echo \"{\\\"loss\\\": $SWEEP_TRIAL}\" >&3\n")
        let wandb = try h.write("sweep.yaml", """
            program: train.sh
            name: dists
            method: random
            metric: {name: loss}
            parameters:
              a: {distribution: inv_log_uniform_values, min: 0.001, max: 0.1}
              b: {distribution: inv_log_uniform, min: 0, max: 2}
              c: {distribution: q_log_uniform, min: 0, max: 4.6051702}
            run_cap: 6
            command: [sh, "${program}", "${args}"]
            """)
        let (converted, conversion) = try h.run(["convert", "wandb", wandb])
        #expect(converted == 0, "\(conversion)")
        #expect(conversion.contains("loguniform: [0.001, 0.1]") && conversion.contains("logint: [1, 100]"), "\(conversion)")
        _ = try h.write("native.yaml", conversion.replacingOccurrences(of: "study: dists", with: "study: native"))
        var runs: [[String]] = []
        for (file, study) in [("sweep.yaml", "dists"), ("native.yaml", "native")] {
            let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
            #expect(status == 0, "\(output)")
            let trials = try trialsAndCurves(h, study).map(\.0)
            #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
            for t in trials {
                guard case .double(let a)? = t.params["a"], case .double(let b)? = t.params["b"], case .int(let c)? = t.params["c"] else {
                    Issue.record("trial \(t.number): \(t.params)")
                    continue
                }
                #expect(a >= 0.001 && a <= 0.1 && b >= exp(-2) && b <= 1 && c >= 1 && c <= 100, "\(t.params)")
            }
            runs.append(trials.map { "\($0.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })" })
        }
        #expect(runs[0] == runs[1])
    }
}
