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

    static let densitySpace = try! SearchSpace([
        Parameter(name: "x", distribution: .uniform(low: -2, high: 3, step: nil)),
        Parameter(name: "lr", distribution: .logUniform(low: 1e-4, high: 1)),
        Parameter(name: "k", distribution: .int(low: 1, high: 9, step: 2)),
        Parameter(name: "y", distribution: .uniform(low: 0, high: 1, step: nil)),
        Parameter(name: "c", distribution: .categorical([.string("a"), .string("b"), .string("c")])),
        Parameter(name: "z", distribution: .uniform(low: 0, high: 1, step: nil)),
    ])

    /// The mixture's log density computed the slow, obvious way from its kernels.
    static func directLogDensity(_ est: ParzenEstimator, weights: [Double], point: [Double]) -> Double {
        var terms: [Double] = []
        for k in 0..<est.kernelCount where weights[k] > 0 {
            var t = log(weights[k])
            for (d, dim) in est.dimensions.enumerated() {
                let x = point[d]
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
        return m + log(terms.reduce(0) { $0 + exp($1 - m) })
    }

    /// The blocked, pruned log-sum-exp equals a direct evaluation of the mixture, in both
    /// layouts (member order for the good group, trial order with gaps for the bad one).
    @Test func densityMatchesADirectEvaluation() throws {
        let space = Self.densitySpace
        let history = Fixtures.run(RandomSampler(seed: 1), space, trials: 1500) { _ in 0 }
        let obs = TPEObservations(space: space, constantLiar: true)
        obs.update(from: history)
        let group = Array(0..<6)
        // Good-group layout: 30 members.
        let members = (0..<30).map { Int32($0 * 7) }
        let good = ParzenEstimator()
        good.rebuild(group: group, members: members, observations: obs, settings: ParzenSettings())
        // Bad-group layout: every trial but a few.
        var isMember = [Bool](repeating: true, count: 1500)
        for t in stride(from: 3, to: 1500, by: 11) { isMember[t] = false }
        let bad = ParzenEstimator()
        bad.update(group: group, isMember: isMember, members: isMember.filter { $0 }.count, observations: obs,
                   settings: ParzenSettings(), logWeights: LogWeights())
        let ramp = TPEDefaults.weights(isMember.filter { $0 }.count)
        var badWeights = [Double](repeating: 0, count: 1501)
        var rank = 0
        for t in 0..<1500 where isMember[t] { badWeights[t] = ramp[rank]; rank += 1 }
        badWeights[1500] = 1
        let total = badWeights.reduce(0, +)
        badWeights = badWeights.map { $0 / total }

        var rng = SeededGenerator(seed: 5)
        let points = good.sample(count: 30, rng: &rng)
        let fastGood = good.logDensity(at: points, count: 30)
        let fastBad = bad.logDensity(at: points, count: 30)
        for c in 0..<30 {
            let point = points.map { $0[c] }
            let g = Self.directLogDensity(good, weights: good.weights, point: point)
            let b = Self.directLogDensity(bad, weights: badWeights, point: point)
            #expect(abs(fastGood[c] - g) < 1e-9 * max(1, abs(g)), "good, point \(c): \(fastGood[c]) vs \(g)")
            #expect(abs(fastBad[c] - b) < 1e-9 * max(1, abs(b)), "bad, point \(c): \(fastBad[c]) vs \(b)")
        }
    }

    /// One continuous parameter: the windowed density over value-sorted blocks equals the
    /// direct evaluation (nothing that matters is skipped).
    @Test(arguments: [0, 1])
    func windowedDensityMatchesADirectEvaluation(parameter: Int) throws {
        let space = Self.densitySpace
        // A clustered study, as TPE produces: most trials near one spot, a few far away.
        let history = StudyHistory(direction: .minimize)
        var rng = SeededGenerator(seed: 9)
        for n in 0..<3000 {
            var p = RandomSampler(seed: 4).suggest(for: n, in: space, history: history)
            if n % 4 != 0 { p["x"] = .double(0.7 + 0.05 * rng.nextNormal()); p["lr"] = .double(0.01 * (1 + 0.1 * rng.nextDouble())) }
            history.append(TrialSnapshot(number: n, state: .complete, params: p, value: 0))
        }
        let obs = TPEObservations(space: space, constantLiar: true)
        obs.update(from: history)
        var isMember = [Bool](repeating: true, count: 3000)
        for t in stride(from: 5, to: 3000, by: 13) { isMember[t] = false }
        let members = isMember.filter { $0 }.count
        let bad = ParzenEstimator()
        bad.update(group: [parameter], isMember: isMember, members: members, observations: obs,
                   settings: ParzenSettings(), logWeights: LogWeights())
        #expect(bad.sorted != nil)
        let ramp = TPEDefaults.weights(members)
        var weights = [Double](repeating: 0, count: 3001)
        var rank = 0
        for t in 0..<3000 where isMember[t] { weights[t] = ramp[rank]; rank += 1 }
        weights[3000] = 1
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let axis = bad.dimensions[0].axis!
        let xs = (0..<40).map { i in axis.untransform(bad.dimensions[0].low + (bad.dimensions[0].high - bad.dimensions[0].low) * Double(i) / 39) }
        let fast = bad.logDensity(at: [xs], count: xs.count)
        for (c, x) in xs.enumerated() {
            let direct = Self.directLogDensity(bad, weights: weights, point: [x])
            #expect(abs(fast[c] - direct) < 1e-9 * max(1, abs(direct)), "x = \(x): \(fast[c]) vs \(direct)")
        }
    }

    /// Updating the bad group's estimator in place gives the same kernels as building it
    /// afresh, through trials joining and leaving (past the magic-clip saturation at 98).
    @Test func incrementalUpdateEqualsAFreshBuild() throws {
        let space = Self.densitySpace
        let all = Fixtures.run(RandomSampler(seed: 2), space, trials: 400) { _ in 0 }
        let view = StudyHistory(direction: .minimize)
        let obs = TPEObservations(space: space, constantLiar: true)
        let live = ParzenEstimator()
        var rng = SeededGenerator(seed: 3)
        var isMember = [Bool](repeating: false, count: 400)
        for round in 0..<40 {
            // Grow the study a little and flip some memberships.
            let visible = min(400, 150 + round * 5)
            while view.trials.count < visible { view.append(all.trials[view.trials.count]) }
            obs.update(from: view)
            isMember = (0..<visible).map { t in round == 0 ? t % 5 != 0 : (t < isMember.count ? isMember[t] : true) }
            for _ in 0..<3 { isMember[rng.nextInt(below: visible)].toggle() }
            let n = isMember.filter { $0 }.count
            live.update(group: [0, 1, 3, 5], isMember: isMember, members: n, observations: obs, settings: ParzenSettings(),
                        logWeights: LogWeights())
            // Built from its own observations, so it leaves the live one's cached widths alone.
            let freshObs = TPEObservations(space: space, constantLiar: true)
            freshObs.update(from: Fixtures.rebuilt(view))
            let fresh = ParzenEstimator()
            fresh.update(group: [0, 1, 3, 5], isMember: isMember, members: n, observations: freshObs,
                         settings: ParzenSettings(), logWeights: LogWeights())
            #expect(live.kernelCount == fresh.kernelCount)
            for t in 0..<fresh.kernelCount where t == visible || isMember[t] {
                #expect(live.constant[t] == fresh.constant[t], "round \(round), kernel \(t)")
                for d in 0..<4 {
                    #expect(live.dimensions[d].sigma[t] == fresh.dimensions[d].sigma[t], "round \(round), kernel \(t), dim \(d)")
                }
            }
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
        est.rebuild(group: [0], members: [0, 1, 2], observations: obs, settings: ParzenSettings())
        let sigma = est.dimensions[0].sigma
        #expect(abs(sigma[0] - 0.2) < 1e-12)   // gap 0.1 clipped up to 1/5
        #expect(abs(sigma[1] - 0.4) < 1e-12)
        #expect(abs(sigma[2] - 0.4) < 1e-12)
        #expect(sigma[3] == 1)                 // prior
        #expect(est.weights == [0.25, 0.25, 0.25, 0.25])
    }
}
