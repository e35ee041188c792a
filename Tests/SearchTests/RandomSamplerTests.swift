import Testing
@testable import Search

@Suite struct RandomSamplerTests {
    @Test func valuesStayInTheirDistributions() {
        let sampler = RandomSampler(seed: 1)
        let history = StudyHistory(direction: .minimize)
        for n in 0..<300 {
            let params = sampler.suggest(for: n, in: Fixtures.mixedSpace, history: history)
            #expect(params.count == Fixtures.mixedSpace.parameters.count)
            for p in Fixtures.mixedSpace.parameters {
                let v = params[p.name]
                #expect(v != nil && p.distribution.contains(v!), "\(p.name) = \(String(describing: v))")
            }
            #expect(params["fixed"] == .int(7))
            if case .int = params["layers"]! {} else { Issue.record("ints must stay ints") }
            if case .double = params["dropout"]! {} else { Issue.record("floats must stay floats") }
        }
    }

    @Test func sameSeedSameSuggestionsAndSeedsDiffer() {
        let h = StudyHistory(direction: .minimize)
        let a = (0..<20).map { RandomSampler(seed: 5).suggest(for: $0, in: Fixtures.mixedSpace, history: h) }
        let b = (0..<20).map { RandomSampler(seed: 5).suggest(for: $0, in: Fixtures.mixedSpace, history: h) }
        let c = (0..<20).map { RandomSampler(seed: 6).suggest(for: $0, in: Fixtures.mixedSpace, history: h) }
        #expect(a == b)
        #expect(a != c)
    }

    @Test func everyGridValueIsReachedAndLogRangesAreLogUniform() {
        let sampler = RandomSampler(seed: 3)
        let h = StudyHistory(direction: .minimize)
        var layers = Set<ParamValue>(), activations = Set<ParamValue>()
        var belowGeometricMean = 0
        let n = 2000
        for i in 0..<n {
            let p = sampler.suggest(for: i, in: Fixtures.mixedSpace, history: h)
            layers.insert(p["layers"]!)
            activations.insert(p["activation"]!)
            if p["lr"]!.number! < 1e-3 { belowGeometricMean += 1 }
        }
        #expect(layers.count == 6)
        #expect(activations.count == 3)
        // Half the mass of a log-uniform [1e-5, 1e-1] lies below 1e-3.
        #expect(abs(Double(belowGeometricMean) / Double(n) - 0.5) < 0.05)
    }

    @Test func suggestionForATrialIgnoresTheHistory() {
        let sampler = RandomSampler(seed: 9)
        let empty = StudyHistory(direction: .minimize)
        let full = Fixtures.run(RandomSampler(seed: 1), Fixtures.mixedSpace, trials: 10) { _ in 1 }
        #expect(sampler.suggest(for: 10, in: Fixtures.mixedSpace, history: empty)
                == sampler.suggest(for: 10, in: Fixtures.mixedSpace, history: full))
    }
}
