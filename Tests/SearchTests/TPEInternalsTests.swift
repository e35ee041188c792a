import Testing
@testable import Search
import Randomness
#if canImport(Glibc)
import Glibc
#endif

@Suite struct TPEInternalsTests {
    @Test func gammaAndWeightsMatchOptuna() {
        #expect(TPEDefaults.gamma(10) == 1)
        #expect(TPEDefaults.gamma(11) == 2)
        #expect(TPEDefaults.gamma(30) == 3)
        #expect(TPEDefaults.gamma(31) == 4)
        #expect(TPEDefaults.gamma(1000) == 25)
        #expect(TPEDefaults.weights(3) == [1, 1, 1])
        let w = TPEDefaults.weights(30)
        #expect(w.count == 30)
        #expect(abs(w[0] - 1.0 / 30) < 1e-15)
        #expect(w[4] == 1 && w[5...].allSatisfy { $0 == 1 })
        #expect(w[1] > w[0] && w[2] > w[1] && w[3] > w[2])
        #expect(TPEDefaults.weights(26)[0] == 1.0 / 26)
    }

    @Test func normalQuantileInvertsTheCDF() {
        // Left tail and centre (the right tail of cdf(x) rounds to 1 and cannot round-trip).
        for x in stride(from: -30.0, through: 1.0, by: 0.37) {
            let p = Normal.cdf(x)
            #expect(abs(Normal.quantile(p) - x) < 1e-12 * max(1, abs(x)), "x = \(x)")
        }
        #expect(abs(Normal.quantile(0.975) - 1.959963984540054) < 1e-14)
        #expect(abs(Normal.quantile(1e-10) + 6.361340902404056) < 1e-12)
        #expect(abs(Normal.logMass(-1, 1) - log(0.6826894921370859)) < 1e-12)
        #expect(abs(Normal.logMass(30, 31) - Normal.logMass(-31, -30)) < 1e-9)
        for (a, b) in [(-0.5, 3.0), (0.0, 1.0), (2.0, 2.5), (-40.0, -39.0)] {
            for u in [0.0, 0.1, 0.5, 0.9, 0.999] {
                let z = Normal.truncatedQuantile(u: u, a: a, b: b)
                #expect(z >= a && z <= b)
            }
        }
    }

    /// The blocked, pruned log-sum-exp equals a direct evaluation of the mixture.
    @Test func densityMatchesADirectEvaluation() throws {
        let space = try SearchSpace([
            Parameter(name: "x", distribution: .uniform(low: -2, high: 3, step: nil)),
            Parameter(name: "lr", distribution: .logUniform(low: 1e-4, high: 1)),
            Parameter(name: "k", distribution: .int(low: 1, high: 9, step: 2)),
            Parameter(name: "c", distribution: .categorical([.string("a"), .string("b"), .string("c")])),
        ])
        let history = Fixtures.run(RandomSampler(seed: 1), space, trials: 1500) { _ in 0 }
        let obs = TPEObservations(space: space, constantLiar: true)
        obs.update(from: history)
        let members = (0..<1500).map { Int32($0) }
        let isMember = [Bool](repeating: true, count: 1500)
        let est = ParzenEstimator()
        est.rebuild(group: [0, 1, 2, 3], members: members, observations: obs, settings: ParzenSettings(),
                    source: .cached(isMember: isMember, kernelOf: members))
        var rng = SeededGenerator(seed: 5)
        let points = est.sample(count: 30, rng: &rng)
        let fast = est.logDensity(at: points, count: 30)
        for c in 0..<30 {
            var terms: [Double] = []
            for k in 0..<est.kernelCount {
                var t = log(est.weights[k])
                for dim in est.dimensions {
                    let x = points[est.dimensions.firstIndex { $0.parameter == dim.parameter }!][c]
                    switch dim.kind {
                    case .continuous:
                        let a = dim.axis!, s = dim.sigma[k], mu = dim.mu[k], xt = a.transform(x)
                        t += -0.5 * ((xt - mu) / s) * ((xt - mu) / s) - log(s) - 0.5 * log(2 * Double.pi)
                            - log(Normal.mass((dim.low - mu) / s, (dim.high - mu) / s))
                    case .discrete(let step):
                        let a = dim.axis!, s = dim.sigma[k], mu = dim.mu[k]
                        let l = a.transform(x - step / 2), r = a.transform(x + step / 2)
                        t += log(Normal.mass((l - mu) / s, (r - mu) / s)) - log(Normal.mass((dim.low - mu) / s, (dim.high - mu) / s))
                    case .categorical(let n):
                        let isPrior = k == est.kernelCount - 1
                        t += isPrior ? log(1 / Double(n)) : log(dim.mu[k] == x ? dim.boosted : dim.base)
                    }
                }
                terms.append(t)
            }
            let m = terms.max()!
            let direct = m + log(terms.reduce(0) { $0 + exp($1 - m) })
            #expect(abs(fast[c] - direct) < 1e-9 * max(1, abs(direct)), "point \(c): \(fast[c]) vs \(direct)")
        }
    }

    @Test func kernelWidthsFollowOptuna() throws {
        // Observations 0.1, 0.2, 0.6 in [0, 1]: widths are the larger neighbour gap, with the
        // outermost ones using their inner neighbour only; magic clip min = 1 / min(100, 5).
        let space = TestFunction.box([(0, 1)])
        let history = StudyHistory(direction: .minimize)
        for (n, x) in [0.1, 0.2, 0.6].enumerated() {
            history.append(TrialSnapshot(number: n, state: .complete, params: ["x0": .double(x)], value: 0))
        }
        let obs = TPEObservations(space: space, constantLiar: true)
        obs.update(from: history)
        let est = ParzenEstimator()
        est.rebuild(group: [0], members: [0, 1, 2], observations: obs, settings: ParzenSettings(), source: .direct)
        let sigma = est.dimensions[0].sigma
        #expect(abs(sigma[0] - 0.2) < 1e-12)   // gap 0.1 clipped up to 1/5
        #expect(abs(sigma[1] - 0.4) < 1e-12)
        #expect(abs(sigma[2] - 0.4) < 1e-12)
        #expect(sigma[3] == 1)                 // prior
        #expect(est.weights == [0.25, 0.25, 0.25, 0.25])
    }
}
