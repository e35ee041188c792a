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
        guard case .categorical(let values, _) = x.distribution else {
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

/// Many searched parameters: a file checks in time that grows with the square of their
/// count (it grew with the cube: 400 took 8 s), and beyond ``ParameterExtraction/maxParameters``
/// it is refused where the first one too many is.
@Suite struct ManyParametersTests {
    static func sweep(parameters n: Int) -> String {
        "study: many\nsynthetic:\n  function: sphere\n  epochs: 1\n  inputs:\n"
            + (0..<n).map { "    x\($0): {uniform: [-1, 1]}\n" }.joined()
            + "sampler: {name: random}\nbudget: {trials: 2}\n"
    }

    @Test func oneTooManyIsRefusedAtItsKey() throws {
        let error = try #require(parseError(Self.sweep(parameters: ParameterExtraction.maxParameters + 1), file: "many.yaml"), "accepted")
        #expect(error.path.description == "synthetic.inputs.x\(ParameterExtraction.maxParameters)" && error.mark?.line == ParameterExtraction.maxParameters + 6, "\(error)")
        #expect(error.description.contains("the file searches 1001 parameters; at most 1000 can be searched"), "\(error)")
    }

    @Test func theCapIsAcceptedAndEachTrialGetsEveryValue() throws {
        let d = try SweepDefinition.parse(text: Self.sweep(parameters: 300), file: "many.yaml")
        #expect(d.space.parameters.count == 300)
        let params = Dictionary(uniqueKeysWithValues: d.space.parameters.enumerated().map { ($1.name, ParamValue.double(Double($0) / 1000)) })
        guard case .synthetic(let task) = try d.spec(for: params, trialSeed: 1) else { Issue.record("not synthetic"); return }
        #expect(task.inputs.count == 300 && task.inputs.first { $0.name == "x299" }?.value == 0.299, "\(task.inputs.count)")
    }

    /// Replacing many paths in one walk is replacing them one by one.
    @Test func replacingAllAtOnceIsReplacingOneByOne() throws {
        let doc = try YAMLReader.parse("a: {b: 1, c: [1, 2, {d: 3}], e: 4}\nf: [5, 6]\ng: {h: {i: 7}}\n", file: nil)
        let replacements: [(path: ConfigPath, node: ConfigNode?)] = [
            (ConfigPath(parsing: "a.b"), ConfigNode(.int(10))), (ConfigPath(parsing: "a.c[2].d"), nil), (ConfigPath(parsing: "a.e"), nil),
            (ConfigPath(parsing: "f[1]"), ConfigNode(.string("x"))), (ConfigPath(parsing: "g.h.i"), ConfigNode(.bool(true))),
            (ConfigPath(parsing: "missing.key"), ConfigNode(.int(1))), (ConfigPath(parsing: "f[9]"), ConfigNode(.int(1))),
        ]
        var oneByOne = doc
        for r in replacements { oneByOne = oneByOne.replacing(at: r.path, with: r.node) }
        #expect(doc.replacing(all: replacements).literal == oneByOne.literal)
        #expect(oneByOne.literal == "{a: {b: 10, c: [1, 2, {}]}, f: [5, x], g: {h: {i: true}}}", "\(oneByOne.literal)")
    }
}
