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

/// Every problem of a file in one round: the trial template's (an unknown key) came only
/// once a range in error elsewhere was fixed.
@Suite struct OneRoundTests {
    @Test func aRangeInErrorDoesNotHideTheTemplatesProblems() throws {
        let text = """
            study: lr
            data: {dataset: blobs, samples: 200, classes: 2}
            model: {hidden: [{int: [8, 4]}]}
            training:
              epochs: 2
              batch_sise: 64
              optimizer: {name: adam, learning_rate: {loguniform: [0.0, 0.1]}}
            sampler: {name: random}
            budget: {trials: 2}
            """
        let problems: [ConfigError]
        do {
            _ = try SweepDefinition.parse(text: text, file: "lr.yaml")
            Issue.record("accepted")
            return
        } catch {
            problems = error.all
        }
        #expect(problems.map(\.line) == [
            "lr.yaml:3:24: model.hidden[0].int: empty range: low 8 is greater than high 4",
            "lr.yaml:6:3: training.batch_sise: unknown key 'batch_sise'; did you mean 'batch_size'?",
            "lr.yaml:7:55: training.optimizer.learning_rate.loguniform: a log range needs low > 0, got 0.0",
        ], "\(problems.map(\.line))")
    }
}

/// What an Optuna user found: a condition on a range in error crashed validation; a
/// condition on a range with a whole `q` never held; ASHA's rungs were built for
/// `max_epochs` when the trials run fewer.
@Suite struct ConditionAndRungFindingsTests {
    @Test func aConditionOnARangeInErrorIsReportedNotACrash() {
        let text = ConditionValueTests.sweep("""
                lr: {loguniform: [0, 1]}
                n: {int: [0, 3], when: {lr: [0.5]}}
            """)
        do {
            _ = try SweepDefinition.parse(text: text, file: "c.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.all.map(\.line) == ["c.yaml:6:22: synthetic.inputs.lr.loguniform: a log range needs low > 0, got 0.0"], "\(error.all.map(\.line))")
        }
    }

    @Test func aConditionOnAWholeQRangeHoldsForTheIntsItDraws() throws {
        let d = try SweepDefinition.parse(text: ConditionValueTests.sweep("""
                q: {loguniform: [6, 10], q: 1}
                y: {uniform: [0, 1], when: {q: [8]}}
            """))
        let y = try #require(d.space.parameter(named: "y"))
        #expect(d.space.isActive(y, given: ["q": .int(8)]) && d.space.isActive(y, given: ["q": .double(8)]))
        #expect(!d.space.isActive(y, given: ["q": .int(7)]))
    }

    @Test func rungsAreBuiltForTheEpochsTrialsRun() throws {
        let d = try SweepDefinition.parse(text: """
            study: r
            synthetic:
              function: sphere
              epochs: 9
              inputs: {x: {uniform: [-1, 1]}}
            sampler: {name: random}
            pruner: {name: asha, reduction_factor: 3, min_resource: 1}
            budget: {trials: 4, max_epochs: 27}
            """)
        #expect(d.maxEpochs == 27 && d.prunerEpochs == 9)
        let asha = d.pruner.makePruner(maxSteps: d.prunerEpochs) as? SuccessiveHalvingPruner
        #expect(asha?.promotionSteps == [1, 3], "no rung at the trials' last epoch, 9")
    }
}
