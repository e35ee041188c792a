import ArgumentParser
import Foundation
import Search

/// Sampler quality and speed: `sweep-bench search regrets` and `sweep-bench search timing`.
/// `bench/search/run` puts both beside Optuna's numbers.
struct SearchBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Sampler regrets on test functions and TPE suggestion time.",
        subcommands: [SearchRegrets.self, SearchTiming.self]
    )
}

/// The samplers of the comparison, by the names the harness prints.
private func makeBenchSampler(_ name: String, seed: UInt64) -> any Sampler {
    switch name {
    case "random": return RandomSampler(seed: seed)
    case "tpe": return TPESampler(seed: seed)
    case "tpe_independent": return TPESampler(seed: seed, options: .init(multivariate: false))
    // Scrambled, so each seed gives a different sequence (an unscrambled one is the same
    // for every seed and a median over seeds would be one run).
    case "quasi_random": return QuasiRandomSampler(kind: .sobol, scramble: true, seed: seed)
    default: fatalError("unknown sampler \(name)")
    }
}

private func testFunction(_ name: String) throws -> TestFunction {
    guard let f = TestFunction.all.first(where: { $0.name == name }) else {
        throw ValidationError("unknown function '\(name)'; expected one of: \(TestFunction.all.map(\.name).joined(separator: ", "))")
    }
    return f
}

private func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// CPU time of the calling thread, in seconds (unaffected by other processes' load).
private func threadCPUTime() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

private func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Median regret over seeds, per function and sampler, at a fixed trial budget.
struct SearchRegrets: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "regrets",
                                                    abstract: "Median regret over seeds per function and sampler.")

    @Option(help: "Seeds per function and sampler (0..<seeds).") var seeds = 20
    @Option(help: "Trials per study.") var trials = 100
    @Option(help: "Comma-separated functions.") var functions = "branin,hartmann6,rosenbrock10"
    @Option(help: "Comma-separated samplers.") var samplers = "random,quasi_random,tpe"
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        var rows: [[String: Any]] = []
        for fname in functions.split(separator: ",").map(String.init) {
            let f = try testFunction(fname)
            for sname in samplers.split(separator: ",").map(String.init) {
                let start = Date()
                let regrets = (0..<seeds).map { seed in
                    SequentialStudy.regret(SequentialStudy.run(makeBenchSampler(sname, seed: UInt64(seed)), on: f, trials: trials), f)
                }
                let seconds = Date().timeIntervalSince(start)
                rows.append(["function": fname, "sampler": sname, "median": median(regrets),
                             "regrets": regrets, "seconds": seconds])
                if !json {
                    print(pad(fname, 13) + " " + pad(sname, 16) + String(format: "median regret %12.6g   (%.2f s)", median(regrets), seconds))
                }
            }
        }
        if json { try printJSON(["trials": trials, "seeds": seeds, "results": rows]) }
    }
}

/// TPE suggestion time with a history of N finished trials.
struct SearchTiming: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "timing",
                                                    abstract: "TPE time per suggestion at N finished trials.")

    @Option(help: "Comma-separated history sizes.") var sizes = "1000,10000"
    @Option(help: "Timed suggestions per size (each followed by recording its result).") var repeats = 50
    @Option(help: "Comma-separated functions whose space and values fill the history.") var functions = "hartmann6,rosenbrock10"
    @Option(help: "TPE variant: tpe (multivariate, Optuna 5's default) or tpe_independent.") var sampler = "tpe"
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        var rows: [[String: Any]] = []
        for fname in functions.split(separator: ",").map(String.init) {
            let f = try testFunction(fname)
            for size in sizes.split(separator: ",").compactMap({ Int($0) }) {
                let history = StudyHistory(direction: .minimize)
                let filler = RandomSampler(seed: 12345)
                for n in 0..<size {
                    let params = filler.suggest(for: n, in: f.space, history: history)
                    history.append(TrialSnapshot(number: n, state: .complete, params: params, value: f.value(params)))
                }
                let tpe = makeBenchSampler(sampler, seed: 1)
                let clock = ContinuousClock()
                var times: [Double] = [], cpuTimes: [Double] = []
                var first = 0.0
                for r in 0...repeats {
                    let n = size + r
                    let c0 = threadCPUTime()
                    let t0 = clock.now
                    let params = tpe.suggest(for: n, in: f.space, history: history)
                    let elapsed = clock.now - t0
                    let cpu = (threadCPUTime() - c0) * 1e3
                    let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3
                    if r == 0 { first = ms } else { times.append(ms); cpuTimes.append(cpu) }
                    history.append(TrialSnapshot(number: n, state: .running, params: params))
                    history.finish(n, state: .complete, value: f.value(params))
                }
                let row: [String: Any] = ["function": fname, "finished": size, "sampler": sampler,
                                          "median_ms": median(times), "mean_ms": times.reduce(0, +) / Double(max(times.count, 1)),
                                          "first_ms": first, "repeats": repeats, "median_cpu_ms": median(cpuTimes),
                                          "min_ms": times.min() ?? .nan]
                rows.append(row)
                if !json {
                    print(pad(fname, 13) + String(format: " %6d finished: median %7.3f ms (CPU %7.3f ms), min %7.3f ms, mean %7.3f ms, first (cold cache) %7.3f ms",
                                                   size, median(times), median(cpuTimes), times.min() ?? .nan, row["mean_ms"] as! Double, first))
                }
            }
        }
        if json { try printJSON(["results": rows]) }
    }
}
