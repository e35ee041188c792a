import Testing
@testable import Search

@Suite struct GridSamplerTests {
    @Test func axisValuesPerDistribution() {
        #expect(gridValues(of: .categorical([.string("a"), .string("b")]), pointsPerAxis: 5) == [.string("a"), .string("b")])
        #expect(gridValues(of: .int(low: 1, high: 7, step: 3), pointsPerAxis: 5) == [.int(1), .int(4), .int(7)])
        #expect(gridValues(of: .uniform(low: 0, high: 1, step: 0.25), pointsPerAxis: 2).count == 5)
        #expect(gridValues(of: .uniform(low: 0, high: 1, step: nil), pointsPerAxis: 3) == [.double(0), .double(0.5), .double(1)])
        let logs = gridValues(of: .logUniform(low: 1e-4, high: 1), pointsPerAxis: 5).map { $0.number! }
        #expect(logs.first == 1e-4 && logs.last == 1)
        #expect(abs(logs[2] - 1e-2) < 1e-12)
        #expect(gridValues(of: .logInt(low: 1, high: 4), pointsPerAxis: 10) == [.int(1), .int(2), .int(3), .int(4)])
        #expect(gridValues(of: .uniform(low: 3, high: 3, step: nil), pointsPerAxis: 5) == [.double(3)])
    }

    /// Grid values are the decimals the file wrote, not binary-floating-point sums
    /// (`0.001 + 9 * 0.001` printed as 0.010000000000000002).
    @Test func gridValuesAreTheDecimalsOfTheStep() {
        let milli = gridValues(of: .uniform(low: 0.001, high: 0.01, step: 0.001), pointsPerAxis: 2)
        #expect(milli == [0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01].map(ParamValue.double))
        #expect(gridValues(of: .uniform(low: 0.1, high: 0.7, step: 0.1), pointsPerAxis: 2).map { "\($0.number!)" }
                == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"])
        #expect(gridValues(of: .uniform(low: 0, high: 0.05, step: nil), pointsPerAxis: 6).map { "\($0.number!)" }
                == ["0.0", "0.01", "0.02", "0.03", "0.04", "0.05"])
        // Every snapped value is still on the distribution's grid.
        let dropout = Distribution.uniform(low: 0.05, high: 0.95, step: 0.05)
        #expect(gridValues(of: dropout, pointsPerAxis: 2).allSatisfy(dropout.contains))
        // Samplers' values too: a W&B quantum and a stepped range give short decimals.
        let q = NumericAxis(low: 0, high: 1, step: nil, isLog: false, isInt: false, quantum: 0.1)
        #expect((0..<50).map { q.quantized(Double($0) * 0.0199) }.allSatisfy { "\($0.number!)".count <= 3 })
        guard case .numeric(let stepped) = Axis(.uniform(low: 0.1, high: 0.9, step: 0.1)) else { Issue.record("not numeric"); return }
        #expect((0..<100).map { stepped.value(fromTransformed: 0.1 + Double($0) * 0.008) }.allSatisfy { "\($0.number!)".count <= 3 })
        #expect(DecimalGrid.decimalPlaces(1.0 / 3) == nil && DecimalGrid.snapped(0.30000000000000004, step: 1.0 / 3) == 0.30000000000000004)
        // The range's top too: [0, 0.9] step 0.3 gave 0.8999999999999999 (3 * 0.3) as its top.
        guard case .numeric(let thirds) = Axis(.uniform(low: 0, high: 0.9, step: 0.3)) else { Issue.record("not numeric"); return }
        #expect(thirds.high == 0.9 && thirds.value(fromTransformed: 0.9) == .double(0.9) && thirds.snapped(0.95) == .double(0.9))
        // No negative zero: the top of [-0.9, 0] step 0.3 reached the program as -0.0.
        let top = gridValues(of: .uniform(low: -0.9, high: 0, step: 0.3), pointsPerAxis: 2).last
        if case .double(let zero)? = top { #expect(zero == 0 && zero.sign == .plus, "\(zero)") } else { Issue.record("\(String(describing: top))") }
    }

    @Test func conditionalParametersOnlyMultiplyTheirBranch() throws {
        let space = try SearchSpace([
            Parameter(name: "optimizer", distribution: .categorical([.string("sgd"), .string("momentum")])),
            Parameter(name: "momentum", distribution: .uniform(low: 0.8, high: 0.9, step: 0.05),
                      condition: Condition(parent: "optimizer", values: [.string("momentum")])),
            Parameter(name: "layers", distribution: .int(low: 1, high: 2, step: 1)),
        ])
        let grid = try GridSampler(space: space)
        #expect(grid.gridSize == (1 + 3) * 2)
    }

    @Test func visitsEveryPointOnceThenReportsExhaustion() throws {
        let space = Fixtures.conditionalSpace
        let sampler = try GridSampler(space: space, seed: 7, pointsPerAxis: 3)
        let size = sampler.gridSize
        #expect(size > 20)
        let history = Fixtures.run(sampler, space, trials: size) { _ in 0 }
        let distinct = Set(history.trials.map(\.params))
        #expect(distinct.count == size)
        #expect(sampler.isExhausted(history))
        #expect(sampler.remaining(in: history) == 0)
        // Asked anyway: repeats points in shuffled order.
        let extra = sampler.suggest(for: size + 2, in: space, history: history)
        #expect(extra == sampler.point(at: 2))
        for t in history.trials {
            #expect(Set(t.params.keys) == Fixtures.expectedActive(t.params, in: space))
        }
    }

    @Test func takesTheFirstFreePointAndResumes() throws {
        let space = Fixtures.mixedSpace
        let a = try GridSampler(space: space, seed: 3, pointsPerAxis: 2)
        let history = Fixtures.run(a, space, trials: 10) { _ in 0 }
        #expect(history.trials.map(\.params) == (0..<10).map { a.point(at: $0) })
        // A trial that failed still holds its point; a rebuilt history and a new sampler
        // continue at the first free point.
        history.finish(4, state: .fail, value: nil)
        let b = try GridSampler(space: space, seed: 3, pointsPerAxis: 2)
        #expect(b.suggest(for: 10, in: space, history: Fixtures.rebuilt(history)) == a.point(at: 10))
        // Points held by trials out of order are skipped.
        let h2 = StudyHistory(direction: .minimize)
        h2.append(TrialSnapshot(number: 0, state: .running, params: a.point(at: 1)))
        h2.append(TrialSnapshot(number: 1, state: .running, params: a.point(at: 0)))
        #expect(b.suggest(for: 2, in: space, history: h2) == a.point(at: 2))
    }

    /// A study written before grid values were rounded to the step's decimals holds
    /// 0.30000000000000004 for 0.3: resumed, those points are taken, not run again.
    @Test func pointsStoredWithFloatNoiseAreTakenOnResume() throws {
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0.1, high: 0.7, step: 0.1))])
        let sampler = try GridSampler(space: space, seed: 0, pointsPerAxis: 2)
        let history = StudyHistory(direction: .minimize)
        for k in 0..<6 { history.append(TrialSnapshot(number: k, state: .complete, params: ["x": .double(0.1 + Double(k) * 0.1)], value: 1)) }
        #expect(history.trials.contains { $0.params["x"] == .double(0.30000000000000004) }, "the old form is in the history")
        #expect(sampler.suggest(for: 6, in: space, history: history) == ["x": .double(0.7)])
    }

    @Test func seedShufflesTheOrder() throws {
        let space = Fixtures.mixedSpace
        let a = try GridSampler(space: space, seed: 1, pointsPerAxis: 2)
        let b = try GridSampler(space: space, seed: 2, pointsPerAxis: 2)
        #expect(a.gridSize == b.gridSize)
        #expect((0..<5).map { a.point(at: $0) } != (0..<5).map { b.point(at: $0) })
        #expect(Set((0..<a.gridSize).map { a.point(at: $0) }) == Set((0..<b.gridSize).map { b.point(at: $0) }))
    }

    /// An axis far over the limit is refused without building it: a step of 1e-300 crashed
    /// (a Double past Int.max), an int range of 1e14 values asked for 2.4 PB, `n_points` of
    /// 2^63 corrupted the heap.
    @Test func anAxisFarOverTheLimitIsRefusedWithoutBuildingIt() throws {
        for d in [Distribution.uniform(low: 0, high: 1, step: 1e-300), .int(low: 0, high: 100_000_000_000_000, step: 1)] {
            #expect(gridValues(of: d, pointsPerAxis: 5, limit: 10).count == 11, "\(d)")
            #expect(throws: GridSampler.Error.tooLarge(limit: GridSampler.maxGridSize)) {
                _ = try GridSampler(space: try SearchSpace([Parameter(name: "x", distribution: d)]))
            }
        }
        #expect(gridValues(of: .uniform(low: 0, high: 1, step: nil), pointsPerAxis: Int.max, limit: 10).count == 11)
        #expect(throws: GridSampler.Error.tooLarge(limit: GridSampler.maxGridSize)) {
            _ = try GridSampler(space: try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil))]), pointsPerAxis: Int.max)
        }
    }

    @Test func tooLargeGridsAreRejected() throws {
        let space = try SearchSpace((0..<7).map {
            Parameter(name: "p\($0)", distribution: .int(low: 1, high: 10, step: 1))
        })
        #expect(throws: GridSampler.Error.tooLarge(limit: GridSampler.maxGridSize)) {
            _ = try GridSampler(space: space)
        }
    }
}
