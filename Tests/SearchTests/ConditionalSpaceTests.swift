import Testing
@testable import Search

/// No inactive parameter is ever sampled or stored, by any sampler.
@Suite struct ConditionalSpaceTests {
    static let samplers: [(String, @Sendable () -> any Sampler)] = [
        ("random", { RandomSampler(seed: 2) }),
        ("sobol", { QuasiRandomSampler(kind: .sobol) }),
        ("halton", { QuasiRandomSampler(kind: .halton, scramble: true, seed: 4) }),
        ("grid", { try! GridSampler(space: Fixtures.conditionalSpace, seed: 1, pointsPerAxis: 3) }),
        ("tpe", { TPESampler(seed: 3) }),
        ("tpe_independent", { TPESampler(seed: 3, options: .init(multivariate: false)) }),
    ]

    @Test(arguments: 0..<6)
    func onlyActiveParametersAreStored(samplerIndex: Int) {
        let (name, make) = Self.samplers[samplerIndex]
        let space = Fixtures.conditionalSpace
        let history = Fixtures.run(make(), space, trials: 60, Fixtures.conditionalObjective)
        var seenBranches = Set<String>()
        for t in history.trials {
            #expect(Set(t.params.keys) == Fixtures.expectedActive(t.params, in: space), "\(name) trial \(t.number): \(t.params)")
            for (k, v) in t.params {
                #expect(space.parameter(named: k)!.distribution.contains(v), "\(name): \(k) = \(v)")
            }
            if case .string(let o)? = t.params["optimizer"] { seenBranches.insert(o) }
        }
        #expect(seenBranches.count == 3, "\(name) explored \(seenBranches)")
    }

    @Test func tpeLearnsTheConditionalBranch() {
        // The objective favours optimizer = momentum with momentum near 0.9.
        let space = Fixtures.conditionalSpace
        let history = Fixtures.run(TPESampler(seed: 11), space, trials: 80, Fixtures.conditionalObjective)
        let late = history.trials.suffix(30)
        let momentum = late.filter { $0.params["optimizer"] == .string("momentum") }.count
        #expect(momentum >= 15, "TPE chose momentum in \(momentum) of the last 30 trials")
        let random = Fixtures.run(RandomSampler(seed: 11), space, trials: 80, Fixtures.conditionalObjective)
        #expect(history.best!.value! < random.best!.value!)
    }
}
