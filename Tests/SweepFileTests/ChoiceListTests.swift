import Search
import Testing
@testable import SweepFile

/// Long `choice` lists (issue #19 item 7): checked in linear time, capped with a clear error.
@Suite struct ChoiceListTests {
    /// A synthetic sweep whose input `x` chooses among `values` (line 6 of the file).
    static func sweep(choices values: [Int]) -> String {
        """
        study: choices
        synthetic:
          function: sphere
          epochs: 1
          inputs:
            x: {choice: [\(values.map(String.init).joined(separator: ", "))]}
        sampler: {name: random}
        pruner: {name: none}
        budget: {trials: 2}
        """
    }

    @Test func aListOfOneHundredThousandChoicesIsRefusedAtItsKey() throws {
        let error = try #require(parseError(Self.sweep(choices: Array(0..<100_000)), file: "big.yaml"), "accepted")
        #expect(error.mark?.line == 6, "\(error)")
        #expect(error.path.description == "synthetic.inputs.x.choice", "\(error)")
        #expect(error.description.contains("'choice' has 100000 choices; at most 10000 are allowed"), "\(error)")
    }

    @Test func aListAtTheCapIsAccepted() throws {
        let definition = try SweepDefinition.parse(text: Self.sweep(choices: Array(0..<ParameterExtraction.maxChoices)), file: "cap.yaml")
        let x = try #require(definition.space.parameters.first { $0.name == "inputs.x" || $0.name.hasSuffix("x") })
        guard case .categorical(let values) = x.distribution else {
            Issue.record("x is not categorical: \(x.distribution)")
            return
        }
        #expect(values == (0..<ParameterExtraction.maxChoices).map { ParamValue.int($0) })
    }

    @Test func aDuplicateAtTheEndOfALongListIsFound() throws {
        var values = Array(0..<ParameterExtraction.maxChoices)
        values[values.count - 1] = 17
        let error = try #require(parseError(Self.sweep(choices: values), file: "dup.yaml"), "accepted")
        #expect(error.path.description == "synthetic.inputs.x.choice[9999]", "\(error)")
        #expect(error.description.contains("choice 17 appears twice"), "\(error)")
    }
}

@Suite("YAML words that are not numbers")
struct YAMLNonFiniteWordsTests {
    /// `nan`, `inf` and `infinity` are text, as PyYAML (and so W&B) reads them; `.nan` and
    /// `.inf` are YAML's non-finite floats.
    @Test func wordsAreTextAndDottedFormsAreFloats() throws {
        let root = try YAMLReader.parse("a: [relu, nan, inf, Inf, infinity]\nb: [.nan, .inf, -.inf, 1.5]\n", file: "w.yaml")
        #expect(root["a"]?.elements?.map(\.value) == [.string("relu"), .string("nan"), .string("inf"), .string("Inf"), .string("infinity")])
        let b = root["b"]?.elements?.compactMap { node -> Double? in if case .double(let d) = node.value { d } else { nil } } ?? []
        #expect(b.count == 4 && b[0].isNaN && b[1] == .infinity && b[2] == -.infinity && b[3] == 1.5)
    }
}
