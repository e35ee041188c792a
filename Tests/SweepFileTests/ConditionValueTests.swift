import Testing
import Search
@testable import SweepFile

/// `when:` values are read as the parent's distribution draws them.
@Suite struct ConditionValueTests {
    static func sweep(_ inputs: String) -> String {
        """
        study: conditions
        synthetic:
          function: sphere
          epochs: 1
          inputs:
        \(inputs)
        sampler: {name: random}
        pruner: {name: none}
        budget: {trials: 2}
        """
    }

    @Test func aWholeNumberFloatNamesAnIntValue() throws {
        let d = try SweepDefinition.parse(text: Self.sweep("""
                layers: {int: [1, 4]}
                width: {int: [8, 64], when: {layers: [4.0]}}
                extra: {value: 1, when: {layers: 2.0}}
            """))
        let width = try #require(d.space.parameter(named: "width"))
        #expect(width.condition?.values == [.int(4)])
        #expect(d.space.isActive(width, given: ["layers": .int(4)]))
        #expect(!d.space.isActive(width, given: ["layers": .int(3)]))
        #expect(d.conditionalValues.first?.condition.values == [.int(2)])
    }

    @Test func aNumberNamesTheChoiceOfAnotherKind() throws {
        let d = try SweepDefinition.parse(text: Self.sweep("""
                scale: {choice: [0.5, 1.0, 2.0]}
                y: {uniform: [0, 1], when: {scale: [1, 2]}}
            """))
        let y = try #require(d.space.parameter(named: "y"))
        #expect(y.condition?.values == [.double(1), .double(2)])
        #expect(d.space.isActive(y, given: ["scale": .double(2)]))
        #expect(!d.space.isActive(y, given: ["scale": .double(0.5)]))
    }

    @Test func aSteppedFloatHoldsForTheValueAsDrawn() throws {
        let d = try SweepDefinition.parse(text: Self.sweep("""
                rate: {uniform: [0, 0.5], step: 0.1}
                y: {uniform: [0, 1], when: {rate: [0.3]}}
            """))
        let y = try #require(d.space.parameter(named: "y"))
        #expect(0.1 * 3 != 0.3)
        #expect(d.space.isActive(y, given: ["rate": .double(0.1 * 3)]))
        #expect(!d.space.isActive(y, given: ["rate": .double(0.4)]))
    }

    @Test func aStoredStudyKeepsItsConditionOnAContinuousRange() throws {
        let text = Self.sweep("""
                x: {uniform: [0, 1]}
                y: {uniform: [0, 1], when: {x: [0.5]}}
            """)
        #expect(throws: ConfigError.self) { try SweepDefinition.parse(text: text) }
        let stored = try SweepDefinition.parseStored(text: text, file: nil)
        #expect(stored.space.parameter(named: "y")?.condition?.values == [.double(0.5)])
    }
}
