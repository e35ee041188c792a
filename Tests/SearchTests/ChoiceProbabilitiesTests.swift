import Testing
@testable import Search

/// Choices with `probabilities` (W&B's): random draws follow them, the grid refuses them,
/// and a space refuses probabilities that are none.
@Suite struct ChoiceProbabilitiesTests {
    static let choices: [ParamValue] = [.string("adam"), .string("sgd"), .string("rmsprop"), .string("never")]
    static let space = try! SearchSpace([
        Parameter(name: "opt", distribution: .categorical(choices, probabilities: [0.7, 0.2, 0.1, 0])),
        Parameter(name: "lr", distribution: .logUniform(low: 1e-4, high: 1e-1)),
    ])

    /// Shares of each choice among `n` suggestions of `sampler`.
    func shares(_ sampler: any Sampler, n: Int) -> [ParamValue: Double] {
        let history = StudyHistory(direction: .minimize)
        var counts: [ParamValue: Int] = [:]
        for i in 0..<n { counts[sampler.suggest(for: i, in: Self.space, history: history)["opt"]!, default: 0] += 1 }
        return counts.mapValues { Double($0) / Double(n) }
    }

    @Test func randomAndQuasiRandomDrawsFollowTheProbabilities() {
        for sampler: any Sampler in [RandomSampler(seed: 4), QuasiRandomSampler(kind: .halton, scramble: true, seed: 4), QuasiRandomSampler(kind: .sobol)] {
            let s = shares(sampler, n: 4000)
            #expect(abs(s[.string("adam"), default: 0] - 0.7) < 0.03, "\(sampler): \(s)")
            #expect(abs(s[.string("sgd"), default: 0] - 0.2) < 0.03, "\(sampler): \(s)")
            #expect(abs(s[.string("rmsprop"), default: 0] - 0.1) < 0.03, "\(sampler): \(s)")
            #expect(s[.string("never")] == nil, "\(sampler): a choice of probability 0 was drawn")
        }
    }

    @Test func tpesStartUpTrialsFollowThemAndItsModelSuggestsAChoiceOfTheSpace() {
        let history = StudyHistory(direction: .minimize)
        let tpe = TPESampler(seed: 2, options: .init(nStartupTrials: 200))
        var counts: [ParamValue: Int] = [:]
        for n in 0..<200 {
            let p = tpe.suggest(for: n, in: Self.space, history: history)
            counts[p["opt"]!, default: 0] += 1
            history.append(TrialSnapshot(number: n, state: .running, params: p))
            history.finish(n, state: .complete, value: p["lr"]!.number!)
        }
        #expect(counts[.string("adam"), default: 0] > 110 && counts[.string("never")] == nil, "\(counts)")
        // After the start-up trials, TPE's model suggests values of the space.
        let next = tpe.suggest(for: 200, in: Self.space, history: history)
        #expect(Self.space.parameters[0].distribution.contains(next["opt"]!))
    }

    @Test func aDrawAtTheTopOfTheUnitIntervalNeverLandsOnATrailingZero() {
        let cumulative = ChoiceProbabilities.cumulative([0.3, 0.3, 0.4, 0, 0])
        #expect(cumulative == [0.3, 0.6, 1, 1, 1])
        #expect(ChoiceProbabilities.index(of: 1.0.nextDown, cumulative: cumulative) == 2)
        #expect(ChoiceProbabilities.index(of: 0, cumulative: cumulative) == 0)
        #expect(ChoiceProbabilities.index(of: 0.3, cumulative: cumulative) == 1)
        // A zero in the middle is skipped.
        #expect(ChoiceProbabilities.index(of: 0.5, cumulative: ChoiceProbabilities.cumulative([0.5, 0, 0.5])) == 2)
    }

    @Test func theGridRefusesWeightedChoices() {
        #expect(throws: GridSampler.Error.weightedChoices(parameter: "opt")) { try GridSampler(space: Self.space) }
        #expect(GridSampler.Error.weightedChoices(parameter: "opt").description.contains("'probabilities' mean nothing there"))
    }

    @Test(arguments: [
        ([0.5, 0.4], ChoiceProbabilities.Problem.sum(0.9)),
        ([1.0], .count(got: 1, choices: 2)),
        ([1.5, -0.5], .notAProbability(index: 0, value: 1.5)),
        ([0.5, .nan], .notAProbability(index: 1, value: .nan)),
    ])
    func aSpaceRefusesProbabilitiesThatAreNone(_ probabilities: [Double], _ problem: ChoiceProbabilities.Problem) {
        let parameter = Parameter(name: "c", distribution: .categorical([.int(1), .int(2)], probabilities: probabilities))
        do {
            _ = try SearchSpace([parameter])
            Issue.record("accepted \(probabilities)")
        } catch let error as SearchSpace.Error {
            guard case .invalidProbabilities("c", let found) = error else { Issue.record("\(error)"); return }
            #expect(found.description == problem.description)
        } catch {
            Issue.record("\(error)")
        }
        // numpy's isclose: a sum off by rounding is 1.
        #expect(ChoiceProbabilities.problem([0.1, 0.2, 0.3, 0.4], choices: 4) == nil)
        #expect(ChoiceProbabilities.problem([1 / 3, 1 / 3, 1 / 3], choices: 3) == nil)
    }
}
