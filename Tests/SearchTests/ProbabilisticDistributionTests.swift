import Foundation
import Testing
@testable import Search

/// Normal, log-normal and beta parameters (W&B's `normal`, `log_normal`, `beta` and their
/// `q_` forms) in every sampler.
@Suite struct ProbabilisticDistributionTests {
    static let space = try! SearchSpace([
        Parameter(name: "n", distribution: .normal(mu: 2, sigma: 0.5, q: nil)),
        Parameter(name: "ln", distribution: .logNormal(mu: -1, sigma: 0.5, q: nil)),
        Parameter(name: "b", distribution: .beta(a: 2, b: 5, q: nil)),
        Parameter(name: "qn", distribution: .normal(mu: 0, sigma: 3, q: 0.5)),
        Parameter(name: "qln", distribution: .logNormal(mu: 0, sigma: 1, q: 0.25)),
        Parameter(name: "qb", distribution: .beta(a: 0.5, b: 0.5, q: 0.1)),
    ])

    static func moments(_ xs: [Double]) -> (mean: Double, std: Double) {
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
        return (mean, variance.squareRoot())
    }

    static let samplers: [(String, @Sendable () -> any Sampler)] = [
        ("random", { RandomSampler(seed: 1) }),
        ("sobol", { QuasiRandomSampler(kind: .sobol) }),
        ("halton", { QuasiRandomSampler(kind: .halton, scramble: true, seed: 4) }),
    ]

    @Test(arguments: samplers)
    func drawsFollowTheDistributions(_ named: (String, @Sendable () -> any Sampler)) {
        let sampler = named.1()
        let history = StudyHistory(direction: .minimize)
        var columns: [String: [Double]] = [:]
        for i in 0..<4000 {
            let p = sampler.suggest(for: i, in: Self.space, history: history)
            for parameter in Self.space.parameters {
                guard let v = p[parameter.name], case .double(let x) = v else {
                    Issue.record("\(named.0) \(parameter.name): \(String(describing: p[parameter.name]))"); continue
                }
                #expect(parameter.distribution.contains(v), "\(named.0) \(parameter.name) = \(x)")
                columns[parameter.name, default: []].append(x)
            }
        }
        let n = Self.moments(columns["n"]!)
        #expect(abs(n.mean - 2) < 0.03 && abs(n.std - 0.5) < 0.03, "\(named.0) normal \(n)")
        let ln = Self.moments(columns["ln"]!.map { log($0) })
        #expect(columns["ln"]!.allSatisfy { $0 > 0 })
        #expect(abs(ln.mean + 1) < 0.03 && abs(ln.std - 0.5) < 0.03, "\(named.0) log-normal \(ln)")
        // Beta(2, 5): mean 2/7, variance ab / ((a+b)^2 (a+b+1)) = 10/392.
        let b = Self.moments(columns["b"]!)
        #expect(columns["b"]!.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(abs(b.mean - 2.0 / 7) < 0.01 && abs(b.std - (10.0 / 392).squareRoot()) < 0.01, "\(named.0) beta \(b)")
        // Rounded values sit on multiples of q, and rounding keeps the spread.
        let qn = Self.moments(columns["qn"]!)
        #expect(abs(qn.mean) < 0.15 && abs(qn.std - 3) < 0.15, "\(named.0) q_normal \(qn)")
        #expect(columns["qn"]!.allSatisfy { ($0 / 0.5).rounded() * 0.5 == $0 })
        #expect(columns["qln"]!.allSatisfy { $0 >= 0 && ($0 / 0.25).rounded() * 0.25 == $0 })
        // The tenths as decimals (0.3, not 0.1 * 3 = 0.30000000000000004).
        #expect(Set(columns["qb"]!).isSubset(of: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]), "\(Set(columns["qb"]!).sorted())")
        #expect(Set(columns["qb"]!).count == 11) // Beta(0.5, 0.5) reaches both ends
    }

    @Test func betaCDFAndQuantileMatchClosedForms() {
        // I_x(1, 1) = x; I_0.5(2, 2) = 0.5; I_0.2(2, 5) = P(Bin(6, 0.2) >= 2) = 0.34464.
        #expect(abs(BetaDistribution.cdf(0.3, a: 1, b: 1) - 0.3) < 1e-12)
        #expect(abs(BetaDistribution.cdf(0.5, a: 2, b: 2) - 0.5) < 1e-12)
        #expect(abs(BetaDistribution.cdf(0.2, a: 2, b: 5) - 0.34464) < 1e-12)
        #expect(abs(BetaDistribution.quantile(0.34464, a: 2, b: 5) - 0.2) < 1e-10)
        // Beta(0.5, 0.5) is the arcsine law: F(x) = (2/pi) asin(sqrt(x)).
        #expect(abs(BetaDistribution.cdf(0.1, a: 0.5, b: 0.5) - 2 / Double.pi * asin(0.1.squareRoot())) < 1e-10)
    }

    @Test(arguments: [1, 7, 9] as [UInt64])
    func tpeModelsThemAndImprovesOnRandomDraws(seed: UInt64) {
        let space = try! SearchSpace([
            Parameter(name: "x", distribution: .normal(mu: 0, sigma: 2, q: nil)),
            Parameter(name: "y", distribution: .logNormal(mu: 0, sigma: 1, q: nil)),
            Parameter(name: "z", distribution: .beta(a: 2, b: 2, q: nil)),
        ])
        func objective(_ p: Params) -> Double {
            let x = p["x"]!.number!, y = p["y"]!.number!, z = p["z"]!.number!
            return (x - 1.5) * (x - 1.5) + (log(y) - 0.5) * (log(y) - 0.5) + (z - 0.8) * (z - 0.8)
        }
        let trials = 80
        let tpe = Fixtures.run(TPESampler(seed: seed), space, trials: trials, objective)
        let random = Fixtures.run(RandomSampler(seed: seed), space, trials: trials, objective)
        for t in tpe.trials {
            for p in space.parameters { #expect(p.distribution.contains(t.params[p.name]!), "\(t.params)") }
        }
        let lastTPE = tpe.trials.suffix(30).map { $0.value! }
        let lastRandom = random.trials.suffix(30).map { $0.value! }
        let tpeMean = lastTPE.reduce(0, +) / 30, randomMean = lastRandom.reduce(0, +) / 30
        // Random draws average E[(X-1.5)^2] + E[(L-0.5)^2] + E[(Z-0.8)^2] ≈ 6.25 + 1.25 + 0.14.
        #expect(tpeMean < 0.5 * randomMean, "TPE \(tpeMean), random \(randomMean)")
    }

    @Test func theGridRefusesThem() {
        #expect(throws: GridSampler.Error.notGriddable(parameter: "b")) {
            _ = try GridSampler(space: try SearchSpace([
                Parameter(name: "a", distribution: .uniform(low: 0, high: 1, step: nil)),
                Parameter(name: "b", distribution: .beta(a: 1, b: 2, q: nil)),
            ]))
        }
    }

    @Test func theSpaceSurvivesJSON() throws {
        let data = try JSONEncoder().encode(Self.space)
        #expect(try JSONDecoder().decode(SearchSpace.self, from: data) == Self.space)
    }

    @Test func containsChecksSupportAndQuantum() {
        #expect(Distribution.logNormal(mu: 0, sigma: 1, q: nil).contains(.double(0)) == false)
        #expect(Distribution.logNormal(mu: 0, sigma: 1, q: 0.5).contains(.double(0)))
        #expect(Distribution.normal(mu: 0, sigma: 1, q: 0.5).contains(.double(0.7)) == false)
        #expect(Distribution.normal(mu: 0, sigma: 1, q: nil).contains(.double(-40)))
        #expect(Distribution.beta(a: 1, b: 1, q: nil).contains(.double(1.2)) == false)
    }
}

/// W&B's `q_log_uniform_values`: log-uniform values rounded to multiples of q, integers
/// for a whole-number q.
@Suite struct QuantizedLogUniformTests {
    static let space = try! SearchSpace([
        Parameter(name: "batch", distribution: .logUniform(low: 16, high: 256, q: 8)),
        Parameter(name: "rate", distribution: .logUniform(low: 0.001, high: 1, q: 0.0005)),
    ])

    @Test(arguments: ProbabilisticDistributionTests.samplers)
    func drawsAreLogSpacedMultiplesOfQ(_ named: (String, @Sendable () -> any Sampler)) {
        let sampler = named.1()
        let history = StudyHistory(direction: .minimize)
        var batches: [Int] = []
        for i in 0..<4000 {
            let p = sampler.suggest(for: i, in: Self.space, history: history)
            guard case .int(let b)? = p["batch"], case .double(let r)? = p["rate"] else {
                Issue.record("\(named.0): \(p)"); continue
            }
            #expect(b % 8 == 0 && b >= 16 && b <= 256, "\(named.0) batch \(b)")
            #expect(Self.space.parameters[1].distribution.contains(.double(r)), "\(named.0) rate \(r)")
            batches.append(b)
        }
        // Log-uniform: half the mass below the geometric middle, 64 (within rounding).
        let below = Double(batches.filter { $0 < 64 }.count) / Double(batches.count)
        #expect(abs(below - 0.5) < 0.05, "\(named.0): \(below) below 64")
        #expect(Set(batches).count > 20)
    }

    @Test func tpeSuggestsMultiplesOfQAndLearnsWhereTheOptimumIs() {
        let tpe = TPESampler(seed: 3)
        let history = StudyHistory(direction: .minimize)
        for i in 0..<80 {
            let p = tpe.suggest(for: i, in: Self.space, history: history)
            guard case .int(let b)? = p["batch"] else { Issue.record("trial \(i): \(p)"); return }
            #expect(b % 8 == 0 && b >= 16 && b <= 256)
            history.append(TrialSnapshot(number: i, state: .complete, params: p, value: abs(log(Double(b)) - log(200))))
        }
        let late = history.trials.suffix(30).compactMap { $0.params["batch"]?.number }
        #expect(late.filter { $0 >= 128 }.count > 20, "\(late)")
    }

    @Test func valuesAreCheckedAgainstTheQuantum() {
        let d = Distribution.logUniform(low: 16, high: 256, q: 8)
        #expect(d.contains(.int(64)) && d.contains(.double(256)) && !d.contains(.int(60)) && !d.contains(.int(264)))
        #expect(gridValues(of: d, pointsPerAxis: 5) == [.int(16), .int(32), .int(64), .int(128), .int(256)])
    }
}
