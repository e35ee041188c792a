import Foundation
@testable import Search

/// Spaces and histories shared by the tests.
enum Fixtures {
    /// One parameter of every kind.
    static let mixedSpace = try! SearchSpace([
        Parameter(name: "lr", distribution: .logUniform(low: 1e-5, high: 1e-1)),
        Parameter(name: "dropout", distribution: .uniform(low: 0, high: 0.5, step: nil)),
        Parameter(name: "momentum", distribution: .uniform(low: 0.8, high: 0.99, step: 0.01)),
        Parameter(name: "layers", distribution: .int(low: 1, high: 6, step: 1)),
        Parameter(name: "width", distribution: .logInt(low: 16, high: 1024)),
        Parameter(name: "batch", distribution: .int(low: 32, high: 256, step: 32)),
        Parameter(name: "activation", distribution: .categorical([.string("relu"), .string("elu"), .string("selu")])),
        Parameter(name: "fixed", distribution: .categorical([.int(7)])),
    ])

    /// Conditional parameters, including a chain (nesterov depends on momentum's parent).
    static let conditionalSpace = try! SearchSpace([
        Parameter(name: "optimizer", distribution: .categorical([.string("sgd"), .string("momentum"), .string("adam")])),
        Parameter(name: "momentum", distribution: .uniform(low: 0.5, high: 0.99, step: nil),
                  condition: Condition(parent: "optimizer", values: [.string("momentum")])),
        Parameter(name: "nesterov", distribution: .categorical([.bool(false), .bool(true)]),
                  condition: Condition(parent: "optimizer", values: [.string("momentum")])),
        Parameter(name: "beta2", distribution: .logUniform(low: 0.9, high: 0.9999),
                  condition: Condition(parent: "optimizer", values: [.string("adam")])),
        Parameter(name: "schedule", distribution: .categorical([.string("constant"), .string("onecycle")])),
        Parameter(name: "max_lr", distribution: .logUniform(low: 1e-3, high: 1),
                  condition: Condition(parent: "schedule", values: [.string("onecycle")])),
        Parameter(name: "lr", distribution: .logUniform(low: 1e-4, high: 1e-1)),
    ])

    /// The names that must be present (and no others) for `params` in `space`.
    static func expectedActive(_ params: Params, in space: SearchSpace) -> Set<String> {
        var active: Params = [:]
        var names = Set<String>()
        for p in space.parameters where space.isActive(p, given: active) {
            names.insert(p.name)
            if let v = params[p.name] { active[p.name] = v }
        }
        return names
    }

    /// A toy objective over the conditional space (lower is better).
    static func conditionalObjective(_ p: Params) -> Double {
        var v = 0.0
        if case .string(let o)? = p["optimizer"] { v += o == "momentum" ? 0 : 0.5 }
        if let m = p["momentum"]?.number { v += (m - 0.9) * (m - 0.9) * 10 }
        if let lr = p["lr"]?.number { v += abs(log10(lr) + 2) }
        if case .string(let s)? = p["schedule"], s == "onecycle", let m = p["max_lr"]?.number { v += abs(log10(m) + 1) * 0.3 }
        return v
    }

    /// Runs `trials` sequential trials of `sampler` on `space` with `objective`.
    static func run(_ sampler: any Sampler, _ space: SearchSpace, trials: Int,
                    direction: Direction = .minimize, _ objective: (Params) -> Double) -> StudyHistory {
        let history = StudyHistory(direction: direction)
        for n in 0..<trials {
            let params = sampler.suggest(for: n, in: space, history: history)
            history.append(TrialSnapshot(number: n, state: .running, params: params))
            history.finish(n, state: .complete, value: objective(params))
        }
        return history
    }

    /// A copy of `history` built from scratch (what a coordinator does on resume).
    static func rebuilt(_ history: StudyHistory) -> StudyHistory {
        StudyHistory(direction: history.direction, trials: history.trials)
    }

    /// A trial with a curve of intermediate values (steps 1, 2, ...).
    static func curve(_ number: Int, _ values: [Double], state: TrialState = .complete) -> TrialSnapshot {
        var t = TrialSnapshot(number: number, state: state, params: ["x": .double(Double(number))])
        for (i, v) in values.enumerated() { t.intermediate[i + 1] = v }
        if state == .complete || state == .pruned { t.value = values.last }
        return t
    }
}
