import Foundation
import Store
import Testing

/// W&B's log-scale, normal and log-normal distributions, through `sweep convert wandb` and `sweep run`.
@Suite struct WandBDistributionTests {
    /// Writes `train.sh` (loss = the trial number) and a W&B file `sweep.yaml` running it
    /// with `parameters` (one per line); returns the file's path.
    static func writeSweep(_ h: SweepHarness, name: String, method: String, runCap: Int, parameters: String) throws -> String {
        // A whole-number q gives integers: `--d=64.0` would fail the trial (exit 3).
        _ = try h.write("train.sh", "for arg; do case \"$arg\" in --d=*.*) echo \"not an integer: $arg\" >&2; exit 3;; esac; done\necho \"{\\\"loss\\\": $SWEEP_TRIAL}\" >&3\n")
        let indented = parameters.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        return try h.write("sweep.yaml", """
            program: train.sh
            name: \(name)
            method: \(method)
            metric: {name: loss}
            parameters:
            \(indented)
            run_cap: \(runCap)
            command: [sh, "${program}", "${args}"]
            """)
    }

    @Test func inverseAndQuantizedLogDistributionsConvertAndRunTheSameTrials() throws {
        let h = try SweepHarness("wandb-distributions")
        defer { h.cleanUp() }
        let wandb = try Self.writeSweep(h, name: "dists", method: "random", runCap: 6, parameters: """
            a: {distribution: inv_log_uniform_values, min: 0.001, max: 0.1}
            b: {distribution: inv_log_uniform, min: 0, max: 2}
            c: {distribution: q_log_uniform, min: 0, max: 4.6051702}
            d: {distribution: q_log_uniform_values, min: 16, max: 256, q: 8}
            """)
        let (converted, conversion) = try h.run(["convert", "wandb", wandb])
        #expect(converted == 0, "\(conversion)")
        #expect(conversion.contains("loguniform: [0.001, 0.1]") && conversion.contains("d: {loguniform: [16, 256], q: 8}"), "\(conversion)")
        _ = try h.write("native.yaml", conversion.replacingOccurrences(of: "study: dists", with: "study: native"))
        var runs: [[String]] = []
        for (file, study) in [("sweep.yaml", "dists"), ("native.yaml", "native")] {
            let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
            #expect(status == 0, "\(output)")
            let trials = try trialsAndCurves(h, study).map(\.0)
            #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
            for t in trials {
                guard case .double(let a)? = t.params["a"], case .double(let b)? = t.params["b"], case .int(let c)? = t.params["c"],
                      case .int(let d)? = t.params["d"] else {
                    Issue.record("trial \(t.number): \(t.params)")
                    continue
                }
                #expect(a >= 0.001 && a <= 0.1 && b >= exp(-2) && b <= 1 && c >= 1 && c <= 100, "\(t.params)")
                #expect(d >= 16 && d <= 256 && d % 8 == 0, "\(t.params)")
            }
            runs.append(trials.map { "\($0.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })" })
        }
        #expect(runs[0] == runs[1])
    }

    /// `probabilities` go through conversion and storage to the draws: a choice of
    /// probability 0 is never run, and a resumed study keeps them.
    @Test func probabilitiesWeighTheValuesRun() throws {
        let h = try SweepHarness("wandb-probabilities")
        defer { h.cleanUp() }
        let wandb = try Self.writeSweep(h, name: "weighted", method: "random", runCap: 8, parameters: """
            opt: {values: [adam, sgd, rmsprop], probabilities: [0, 1, 0]}
            w: {values: [1, 2], probabilities: [0.5, 0.5]}
            """)
        let (converted, conversion) = try h.run(["convert", "wandb", wandb])
        #expect(converted == 0, "\(conversion)")
        #expect(conversion.contains("opt: {choice: [adam, sgd, rmsprop], probabilities: [0, 1, 0]}"), "\(conversion)")
        let (validated, validation) = try h.run(["validate", wandb])
        #expect(validated == 0 && validation.contains("one of [adam, sgd, rmsprop], probabilities [0.0, 1.0, 0.0]"), "\(validation)")
        // Without run_cap a W&B sweep runs until stopped: no budget of a million printed.
        let uncapped = try h.write("uncapped.yaml", try String(contentsOfFile: wandb, encoding: .utf8).replacingOccurrences(of: "run_cap: 8", with: ""))
        let noCap = try h.run(["validate", uncapped])
        #expect(noCap.0 == 0 && noCap.1.contains("valid sweep 'weighted': no trial budget (runs until stopped)"), "\(noCap.1)")
        let (status, output) = try h.run(["run", wandb, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "weighted").map(\.0)
        #expect(trials.count == 8 && trials.allSatisfy { $0.state == .complete && $0.params["opt"] == .string("sgd") },
                "\(trials.map { ($0.number, $0.state, $0.params) })")
        // The stored study is the file's: more trials on resume, with the same weights.
        let (resumed, more) = try h.run(["resume", "weighted", "--db", h.db, "--workers", "1", "--no-progress", "--add-trials", "2"], timeout: 120)
        #expect(resumed == 0, "\(more)")
        let all = try trialsAndCurves(h, "weighted").map(\.0)
        #expect(all.count == 10 && all.allSatisfy { $0.params["opt"] == .string("sgd") }, "\(all.map { ($0.number, $0.params) })")
        // A grid refuses them where they stand, as W&B's does.
        _ = try h.write("grid.yaml", try String(contentsOfFile: wandb, encoding: .utf8).replacingOccurrences(of: "method: random", with: "method: grid"))
        let (refused, refusal) = try h.run(["validate", h.path("grid.yaml")])
        #expect(refused != 0 && refusal.contains("grid.yaml:6:") && refusal.contains("parameters.opt.probabilities: method grid tries every value once"), "\(refusal)")
    }

    /// W&B's dict values: one choice each, passed whole as W&B's agent passes them, stored
    /// and shown as JSON objects, and enqueued as JSON text.
    @Test func dictValuesReachTheProgramWhole() throws {
        let h = try SweepHarness("wandb-dicts")
        defer { h.cleanUp() }
        let file = try h.write("sweep.yaml", """
            program: train.sh
            name: dicts
            method: random
            metric: {name: loss}
            parameters:
              sched: {values: [{name: cosine, warmup: 5}, {name: step, gamma: 0.5}]}
            run_cap: 4
            command: [sh, "${program}", "${args}"]
            """)
        // The trial fails (exit 3) unless its argument is the whole dict, as Python writes it.
        _ = try h.write("train.sh", """
            case "$1" in "--sched={'name': 'cosine', 'warmup': 5}"|"--sched={'gamma': 0.5, 'name': 'step'}") ;; *) echo "got: $*" >&2; exit 3;; esac
            echo "{\\"loss\\": $SWEEP_TRIAL}" >&3

            """)
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "dicts").map(\.0)
        #expect(trials.count == 4 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        #expect(trials.allSatisfy { if case .dict = $0.params["sched"] { true } else { false } }, "\(trials.map(\.params))")
        let (enqueued, said) = try h.run(["enqueue", "dicts", #"sched={"name": "step", "gamma": 0.5}"#, "--db", h.db])
        #expect(enqueued == 0, "\(said)")
        let (exported, json) = try h.run(["export", "dicts", "--db", h.db, "--format", "json"])
        #expect(exported == 0 && json.contains(#""sched" : {"#), "\(json)")
        let (listed, table) = try h.run(["trials", "dicts", "--db", h.db])
        #expect(listed == 0 && table.contains(#"{"gamma": 0.5, "name": "step"}"#), "\(table)")
    }

    /// W&B's nested parameters reach an argparse script as W&B's agent passes them: one
    /// flag per top-level key, a group as a dict (W&B's own train-nested-cli.py failed on
    /// `--optimizer.lr=...`: unrecognized arguments), a constant dict whole, a dotted name
    /// flat; `run.config` holds the same.
    @Test func nestedParametersReachAnArgparseScriptAsWandBPassesThem() throws {
        let h = try SweepHarness("wandb-nested")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import argparse, ast, sys
            import sweep_client as wandb
            p = argparse.ArgumentParser()
            p.add_argument("--batch_size", type=int)
            p.add_argument("--optimizer", type=ast.literal_eval)
            p.add_argument("--opt", type=ast.literal_eval)
            p.add_argument("--model.encoder.depth", type=int, dest="depth")
            a = p.parse_args()  # exits 2 on an unknown argument
            assert a.optimizer["nadam"]["beta"] in (0.9, 0.95) and a.opt == {"name": "adam", "beta": 0.9}, a
            c = wandb.init().config
            assert c.optimizer["lr"] == a.optimizer["lr"] and c.get("model.encoder.depth") == a.depth == 4, dict(c)
            wandb.log({"loss": a.optimizer["lr"] * a.batch_size})

            """)
        let file = try h.write("sweep.yaml", """
            program: train.py
            method: grid
            metric: {name: loss, goal: minimize}
            parameters:
              batch_size: {values: [32, 64]}
              optimizer:
                parameters:
                  lr: {values: [0.001, 0.0001]}
                  nadam:
                    parameters:
                      beta: {values: [0.9, 0.95]}
              opt: {value: {name: adam, beta: 0.9}}
              model.encoder.depth: {value: 4}
            command: [python3, "${program}", "${args}"]
            environment: {PYTHONPATH: "\(pythonClientPath)"}
            working_directory: .
            """)
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 180)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "sweep").map(\.0)
        #expect(trials.count == 8 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
    }

    @Test func normalAndLogNormalParametersRunAndAreStored() throws {
        let h = try SweepHarness("wandb-normal")
        defer { h.cleanUp() }
        let wandb = try Self.writeSweep(h, name: "normals", method: "bayes", runCap: 12, parameters: """
            x: {distribution: normal, mu: 5, sigma: 0.1}
            y: {distribution: log_normal, mu: -2, sigma: 0.1}
            z: {distribution: q_normal, mu: 0, sigma: 1, q: 0.5}
            """)
        let (converted, conversion) = try h.run(["convert", "wandb", wandb])
        #expect(converted == 0, "\(conversion)")
        #expect(conversion.contains("normal: [5, 0.1]") && conversion.contains("lognormal: [-2, 0.1]")
                && conversion.contains("z: {normal: [0, 1], q: 0.5}"), "\(conversion)")
        let (status, output) = try h.run(["run", wandb, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "normals").map(\.0)
        #expect(trials.count == 12 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        for t in trials {
            guard case .double(let x)? = t.params["x"], case .double(let y)? = t.params["y"], case .double(let z)? = t.params["z"] else {
                Issue.record("trial \(t.number): \(t.params)")
                continue
            }
            // Within 4.75 sigma (the quantiles drawn stop at 1e-6), z on multiples of 0.5.
            #expect(abs(x - 5) <= 0.475 && abs(log(y) + 2) <= 0.475 && (z * 2).rounded() == z * 2, "\(t.params)")
        }
        #expect(Set(trials.compactMap { $0.params["x"] }).count == 12) // continuous: all distinct
    }
}
