import Testing
@testable import SweepFile

/// The synthetic functions' values at known points (they share the benchmarks' formulas).
@Suite struct SyntheticTaskTests {
    static func value(_ f: SyntheticTask.Function, _ x: [Double]) -> Double {
        SyntheticTask(function: f, inputs: x.enumerated().map { .init(name: "x\($0.offset)", value: $0.element) }).finalValue
    }

    @Test func knownValues() {
        #expect(abs(Self.value(.branin, [-Double.pi, 12.275]) - 0.397887) < 1e-5)
        #expect(abs(Self.value(.hartmann6, [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]) + 3.32237) < 1e-5)
        #expect(Self.value(.rosenbrock, [1, 1, 1]) == 0)
        #expect(Self.value(.rosenbrock, [0, 0]) == 1)
        #expect(Self.value(.rosenbrock, [3]) == 4)   // one input: (1 - x)^2
        #expect(Self.value(.sphere, [3, 4]) == 25)
        #expect(Self.value(.constant, [7]) == 0)
    }
}
