import Foundation
import Randomness
import Search
import Store

/// Studies written straight into a database (no sweep run): mixed parameter kinds, a
/// conditional parameter, pruned and failed trials, and hostile text in every field.
enum ReportFixture {
    static func space(paramName: String = "optimizer", choices: [ParamValue] = [.string("sgd"), .string("adam")]) throws -> SearchSpace {
        try SearchSpace([
            Parameter(name: "training.optimizer.learning_rate", distribution: .logUniform(low: 1e-5, high: 1e-1)),
            Parameter(name: "units", distribution: .int(low: 16, high: 256, step: 16)),
            Parameter(name: paramName, distribution: .categorical(choices)),
            Parameter(name: "momentum", distribution: .uniform(low: 0.5, high: 0.99, step: nil),
                      condition: Condition(parent: paramName, values: [choices[0]])),
        ])
    }

    /// Writes a study of `trials` trials with `epochs` reports each; about a third are pruned,
    /// a few fail. The objective (minimized) is driven by the learning rate.
    @discardableResult
    static func write(path: String, name: String = "fixture", metric: String = "val_loss", trials: Int, epochs: Int,
                      sweepFile: String = "study: fixture\n", space: SearchSpace? = nil, seed: UInt64 = 1,
                      direction: Direction = .minimize) throws -> SweepStore {
        let space = try space ?? Self.space()
        let store = try SweepStore.open(path: path)
        var rng = SeededGenerator(seed: seed)
        let t0 = 1_700_000_000.0
        try store.write { tx in
            let s = try tx.createStudy(NewStudy(name: name, direction: direction, metric: metric, sweepFile: sweepFile, space: space,
                                                seed: seed, budgetTrials: trials, maxEpochs: epochs), at: t0)
            for n in 0..<trials {
                var params: Params = [:]
                for p in space.parameters where space.isActive(p, given: params) {
                    params[p.name] = draw(p.distribution, &rng)
                }
                let lr = params["training.optimizer.learning_rate"]!.number!
                let final = pow(log10(lr) + 3, 2) + 0.05 * rng.nextNormal() + 0.1
                let start = t0 + Double(n) * 2
                let id = try tx.insertTrial(studyID: s.id, number: n, state: .running, params: params, seed: UInt64(n), at: start, leasedTo: "w\(n % 3)")
                let fate = rng.nextDouble()
                let last = fate < 0.33 ? 1 + rng.nextInt(below: max(1, epochs - 1)) : epochs
                for e in 1...last {
                    let v = final + 2 * Double(epochs - e) / Double(epochs)
                    try tx.recordReport(trialID: id, IntermediateRecord(step: e, attempt: 1, value: v, metrics: [metric: v],
                                                                       pruned: fate < 0.33 && e == last, reason: nil, recordedAt: start + Double(e)))
                }
                let v = final + 2 * Double(epochs - last) / Double(epochs)
                if fate < 0.33 {
                    try tx.finishTrial(trialID: id, attempt: 1, state: .pruned, value: v, metrics: nil, pruneReason: "below the median at epoch \(last)", at: start + Double(last))
                } else if fate > 0.97 {
                    try tx.finishTrial(trialID: id, attempt: 1, state: .fail, value: nil, metrics: nil, error: "diverged", at: start + Double(last))
                } else {
                    try tx.finishTrial(trialID: id, attempt: 1, state: .complete, value: v, metrics: nil, at: start + Double(last))
                }
            }
            try tx.setStudyState(s.id, .finished, at: t0 + Double(trials) * 2 + 10)
        }
        return store
    }

    static func draw(_ d: Distribution, _ rng: inout SeededGenerator) -> ParamValue {
        let u = rng.nextDouble()
        switch d {
        case .uniform(let lo, let hi, _): return .double(lo + u * (hi - lo))
        case .logUniform(let lo, let hi, _): return .double(exp(log(lo) + u * (log(hi) - log(lo))))
        case .int(let lo, let hi, let step): return .int(lo + Int(u * Double((hi - lo) / step + 1)) * step)
        case .logInt(let lo, let hi): return .int(Int(exp(log(Double(lo)) + u * (log(Double(hi)) - log(Double(lo)))).rounded()))
        case .categorical(let c, _): return c[min(c.count - 1, Int(u * Double(c.count)))]
        case .normal, .logNormal, .beta: return d.median!  // not used by these fixtures
        }
    }
}

/// Small HTML scraping helpers for the tests.
enum HTMLScan {
    /// Every match of `pattern`'s first capture group, in order.
    static func all(_ pattern: String, in text: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        let ns = text as NSString
        return re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            m.numberOfRanges > 1 && m.range(at: 1).location != NSNotFound ? ns.substring(with: m.range(at: 1)) : ns.substring(with: m.range)
        }
    }

    static func first(_ pattern: String, in text: String) -> String? { all(pattern, in: text).first }

    /// The `data-value` of the element with `id`.
    static func dataValue(id: String, in text: String) -> String? {
        first("id=\"\(id)\" data-value=\"([^\"]*)\"", in: text)
    }

    /// The `d` attribute of every path with class `cls`.
    static func paths(_ cls: String, in text: String) -> [String] {
        all("<path class=\"\(cls)\" d=\"([^\"]*)\"", in: text)
    }

    /// Occurrences of `needle` in `text`.
    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }
}
