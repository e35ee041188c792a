import Randomness
import Testing
@testable import Search

@Suite("Population Based Training")
struct PopulationBasedTrainingTests {
    static func pbt(_ direction: Direction = .maximize, quantile: Double = 0.25, resample: Double = 0.25,
                    mutations: [String] = ["lr", "activation", "batch"]) -> PopulationBasedTraining {
        PopulationBasedTraining(
            config: PopulationBasedTrainingConfig(population: 8, perturbationInterval: 2, quantile: quantile,
                                                  resampleProbability: resample, mutations: mutations),
            direction: direction)
    }

    static let params: Params = ["lr": .double(0.01), "dropout": .double(0.2), "momentum": .double(0.9), "layers": .int(3),
                                 "width": .int(64), "batch": .int(128), "activation": .string("elu"), "fixed": .int(7)]

    static func members(_ scores: [Double]) -> [PopulationBasedTraining.Member] {
        scores.enumerated().map { .init(trial: $0.offset, score: $0.element, params: params.merging(["layers": .int($0.offset % 6 + 1)]) { $1 }) }
    }

    @Test func theBottomAndTopQuartersByDirectionWithNaNLast() {
        let scores = [0.5, 0.9, .nan, 0.7, 0.1, 0.8, 0.3, 0.6]
        let up = Self.pbt(.maximize).quantiles(Self.members(scores))
        #expect(up.bottom == [2, 4] && up.top == [5, 1])
        let down = Self.pbt(.minimize).quantiles(Self.members(scores))
        #expect(down.bottom == [2, 1] && down.top == [6, 4])
        // ceil(3 * 0.5) = 2 is capped at floor(3 / 2) = 1; one member has no groups.
        let three = Self.pbt(quantile: 0.5).quantiles(Self.members([1, 2, 3]))
        #expect(three.bottom == [0] && three.top == [2])
        #expect(Self.pbt().quantiles(Self.members([1])) == ([], []))
    }

    @Test func aBottomMemberCopiesATopMemberAndExploresOnlyTheMutations() {
        let pbt = Self.pbt()
        let members = Self.members([0.5, 0.9, 0.2, 0.7, 0.1, 0.8, 0.3, 0.6])
        var rng = SeededGenerator(seed: 3)
        var sources = Set<Int>()
        for _ in 0..<50 {
            guard case .exploit(let source, let params, let changes) = pbt.decide(member: 4, among: members, space: Fixtures.mixedSpace, rng: &rng) else {
                Issue.record("the worst member must exploit")
                return
            }
            sources.insert(source)
            let copied = members[source].params
            for name in ["dropout", "momentum", "layers", "width", "fixed"] { #expect(params[name] == copied[name], "\(name) is not mutated") }
            #expect(Set(changes.map(\.parameter)) == ["lr", "batch", "activation"])
            for name in ["lr", "batch", "activation"] {
                #expect(Fixtures.mixedSpace.parameter(named: name)!.distribution.contains(params[name]!))
            }
        }
        #expect(sources == [1, 5], "the source is drawn from the top quarter only")
        for middle in [0, 3, 6, 7, 1] {
            #expect(pbt.decide(member: middle, among: members, space: Fixtures.mixedSpace, rng: &rng) == .keep)
        }
    }

    @Test func perturbationMultipliesSnapsAndClipsAndShiftsChoices() {
        let pbt = Self.pbt(resample: 0)
        var rng = SeededGenerator(seed: 11)
        var lrs = Set<Double>(), batches = Set<Int>(), activations = Set<String>()
        for _ in 0..<200 {
            let (explored, changes) = pbt.explore(Self.params, space: Fixtures.mixedSpace, rng: &rng)
            lrs.insert(explored["lr"]!.number!)
            if case .int(let b) = explored["batch"]! { batches.insert(b) }
            if case .string(let a) = explored["activation"]! { activations.insert(a) }
            #expect(!changes.contains { $0.kind == .resampled })
        }
        #expect(lrs.count == 2 && lrs.allSatisfy { abs($0 - 0.008) < 1e-12 || abs($0 - 0.012) < 1e-12 }, "\(lrs)")
        // 128 * 0.8 = 102.4 -> 96, 128 * 1.2 = 153.6 -> 160 on the grid 32, 64, ..., 256.
        #expect(batches == [96, 160])
        #expect(activations == ["relu", "selu"])
        // At the edges: clipped into the range, and the first/last choice stays put one way.
        var edge = Self.params
        edge["lr"] = .double(0.1)
        edge["activation"] = .string("relu")
        var seen = Set<String>(), recorded = Set<String>()
        for _ in 0..<100 {
            let (explored, changes) = pbt.explore(edge, space: Fixtures.mixedSpace, rng: &rng)
            #expect(explored["lr"]!.number! <= 0.1)
            if case .string(let a) = explored["activation"]! { seen.insert(a) }
            // The change recorded is the one made: a shift past the end keeps the value.
            let change = changes.first { $0.parameter == "activation" }!
            recorded.insert(change.kind.text)
            #expect((change.kind.text == "kept") == (explored["activation"] == .string("relu")))
        }
        #expect(seen == ["relu", "elu"])
        #expect(recorded == ["kept", "+1"])
    }

    @Test func resamplingHappensAtTheConfiguredRate() {
        let pbt = Self.pbt(resample: 0.25, mutations: ["lr"])
        var rng = SeededGenerator(seed: 5)
        var resampled = 0
        let draws = 4000
        for _ in 0..<draws {
            let (_, changes) = pbt.explore(Self.params, space: Fixtures.mixedSpace, rng: &rng)
            if changes.first?.kind == .resampled { resampled += 1 }
        }
        let rate = Double(resampled) / Double(draws)
        #expect(rate > 0.22 && rate < 0.28, "resampled \(rate)")
    }

    @Test func aMutatedParentKeepsTheActiveSetConsistent() {
        let pbt = PopulationBasedTraining(
            config: PopulationBasedTrainingConfig(population: 4, perturbationInterval: 1, resampleProbability: 0.5, mutations: ["optimizer", "lr"]),
            direction: .minimize)
        var rng = SeededGenerator(seed: 8)
        var params: Params = ["optimizer": .string("momentum"), "momentum": .double(0.9), "nesterov": .bool(true),
                              "schedule": .string("constant"), "lr": .double(0.01)]
        var optimizers = Set<ParamValue>()
        for _ in 0..<100 {
            (params, _) = pbt.explore(params, space: Fixtures.conditionalSpace, rng: &rng)
            optimizers.insert(params["optimizer"]!)
            #expect(Set(params.keys) == Fixtures.expectedActive(params, in: Fixtures.conditionalSpace))
        }
        #expect(optimizers.count == 3)
    }

    @Test func theSameSeedReplaysTheSameDecisions() {
        let pbt = Self.pbt()
        let members = Self.members([0.5, 0.9, 0.2, 0.7, 0.1, 0.8, 0.3, 0.6])
        func run(_ seed: UInt64) -> [PopulationBasedTraining.Decision] {
            var rng = SeededGenerator(seed: seed)
            return (0..<8).map { pbt.decide(member: $0, among: members, space: Fixtures.mixedSpace, rng: &rng) }
        }
        #expect(run(1) == run(1))
        #expect(run(1) != run(2))
        #expect(pbt.isBoundary(epoch: 4) && !pbt.isBoundary(epoch: 3) && !pbt.isBoundary(epoch: 0))
    }

    @Test(arguments: [
        (PopulationBasedTrainingConfig(population: 1, perturbationInterval: 2, mutations: ["lr"]), "population"),
        (PopulationBasedTrainingConfig(population: 4, perturbationInterval: 0, mutations: ["lr"]), "perturbation_interval"),
        (PopulationBasedTrainingConfig(population: 4, perturbationInterval: 2, quantile: 0.6, mutations: ["lr"]), "quantile"),
        (PopulationBasedTrainingConfig(population: 4, perturbationInterval: 2, resampleProbability: 1.5, mutations: ["lr"]), "resample_probability"),
        (PopulationBasedTrainingConfig(population: 4, perturbationInterval: 2, perturbationFactors: [0.8, -1], mutations: ["lr"]), "perturbation_factors"),
        (PopulationBasedTrainingConfig(population: 4, perturbationInterval: 2, mutations: []), "mutations"),
        (PopulationBasedTrainingConfig(population: 4, perturbationInterval: 2, mutations: ["learning_rate"]), "mutations"),
    ])
    func invalidSettingsNameTheirKey(_ config: PopulationBasedTrainingConfig, key: String) {
        #expect(throws: PopulationBasedTrainingConfig.Invalid.self) { try config.validate(against: Fixtures.mixedSpace) }
        do {
            try config.validate(against: Fixtures.mixedSpace)
        } catch {
            #expect(error.key == key, "\(error)")
        }
        #expect(throws: Never.self) {
            try PopulationBasedTrainingConfig(population: 4, perturbationInterval: 2, mutations: ["lr"]).validate(against: Fixtures.mixedSpace)
        }
    }
}
