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

    func decode(_ yaml: String) throws(ConfigError) -> SyntheticTask {
        try ConfigDecoder(file: "s.yaml").decode(SyntheticTask.self, from: try YAMLReader.parse(yaml, file: "s.yaml"))
    }

    /// Inputs as a mapping (sweep files) or a list of name/value pairs (the wire form), in
    /// order; anything else is refused at the inputs with the mapping's message.
    @Test func inputsDecodeAsAMappingOrAListInOrder() throws {
        let mapping = try decode("function: sphere\ninputs: {y: 2, x: 1}\n")
        #expect(mapping.inputs.map(\.name) == ["y", "x"] && mapping.inputs.map(\.value) == [2, 1])
        let list = try decode("function: sphere\ninputs: [{name: y, value: 2}, {name: x, value: 1}]\n")
        #expect(list.inputs == mapping.inputs)
        do {
            _ = try decode("function: sphere\ninputs: 3\n")
            Issue.record("a number as inputs was accepted")
        } catch {
            #expect(error.path.description == "inputs" && "\(error)".contains("expected a mapping"), "\(error)")
        }
    }
}
