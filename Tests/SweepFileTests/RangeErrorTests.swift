import Testing
@testable import SweepFile

/// Every error a search range or a `when:` condition can give, with where it points: the
/// messages users see, kept while the parsing code changes shape.
@Suite struct RangeErrorTests {
    /// A synthetic sweep whose input `x` is `range` (line 6) and whose `extra` lines follow
    /// it inside the inputs.
    static func sweep(_ range: String, extra: String = "") -> String {
        """
        study: ranges
        synthetic:
          function: sphere
          epochs: 1
          inputs:
            x: \(range)\(extra.isEmpty ? "" : "\n    " + extra)
        sampler: {name: random}
        pruner: {name: none}
        budget: {trials: 2}
        """
    }

    struct Case: Sendable, CustomStringConvertible {
        var range: String
        var extra = ""
        var field: String
        var message: String
        var description: String { range + " " + extra }
    }

    static let cases: [Case] = [
        Case(range: "{uniform: [0, 1], int: [0, 1]}", field: "synthetic.inputs.x", message: "a parameter has exactly one distribution; found 'uniform' and 'int'"),
        Case(range: "{uniform: [0, 1], stepp: 0.1}", field: "synthetic.inputs.x.stepp", message: "unknown key 'stepp' in a search range; did you mean 'step'?"),
        Case(range: "{uniform: [0, 1], zzzzzzzz: 1}", field: "synthetic.inputs.x.zzzzzzzz", message: "a range allows only one distribution plus step (or q, or probabilities), name and when"),
        Case(range: "{choice: [1, 2], probabilities: [0.5, 0.6]}", field: "synthetic.inputs.x.probabilities", message: "probabilities sum to 1.1, not 1"),
        Case(range: "{choice: [1, 2, 3], probabilities: [0.5, 0.5]}", field: "synthetic.inputs.x.probabilities", message: "2 probabilities for 3 choices: give one per choice"),
        Case(range: "{choice: [1, 2], probabilities: [2, -1]}", field: "synthetic.inputs.x.probabilities[0]", message: "a probability is a number from 0 to 1, got 2.0"),
        Case(range: "{choice: [1, 2], probabilities: 1}", field: "synthetic.inputs.x.probabilities", message: "'probabilities' takes a list of numbers, one per choice; got an integer"),
        Case(range: "{uniform: [0, 1], probabilities: [1]}", field: "synthetic.inputs.x.probabilities", message: "'probabilities' applies only to 'choice' (one per choice)"),
        Case(range: "{loguniform: [0.1, 1], step: 0.1}", field: "synthetic.inputs.x.step", message: "'step' applies only to 'uniform' and 'int' ranges"),
        Case(range: "{uniform: 3}", field: "synthetic.inputs.x.uniform", message: "'uniform' takes a list of two bounds, [low, high]; got an integer"),
        Case(range: "{uniform: [0, abc]}", field: "synthetic.inputs.x.uniform", message: "bounds must be finite numbers, got the string 'abc'"),
        Case(range: "{uniform: [-1e308, 1e308]}", field: "synthetic.inputs.x.uniform", message: "bounds must be numbers within ±1e300 (a range's width must stay finite), got -1e+308"),
        Case(range: "{uniform: [0, .nan]}", field: "synthetic.inputs.x.uniform", message: "bounds must be finite numbers, got NaN"),
        Case(range: "{uniform: [2, 1]}", field: "synthetic.inputs.x.uniform", message: "empty range: low 2.0 is greater than high 1.0"),
        Case(range: "{uniform: [0, 1], step: 0}", field: "synthetic.inputs.x.step", message: "step must be > 0, got 0.0"),
        Case(range: "{uniform: [0, 1], step: 2}", field: "synthetic.inputs.x.step", message: "step 2.0 is larger than the range 0.0...1.0"),
        Case(range: "{uniform: [0, 1], step: 0.3}", field: "synthetic.inputs.x.step", message: "the range 0.0...1.0 is not a whole number of steps of 0.3"),
        Case(range: "{log_uniform: [0, 1]}", field: "synthetic.inputs.x.log_uniform", message: "a log range needs low > 0, got 0.0"),
        Case(range: "{loguniform: [2, 1]}", field: "synthetic.inputs.x.loguniform", message: "empty range: low 2.0 is greater than high 1.0"),
        Case(range: "{int: [0, 1.5]}", field: "synthetic.inputs.x.int", message: "'int' bounds must be whole numbers, got 1.5"),
        Case(range: "{int: [0, 1.0e17]}", field: "synthetic.inputs.x.int", message: "integer bounds must be within ±2^53, got 1e+17"),
        Case(range: "{int: [0, 10], step: 1.5}", field: "synthetic.inputs.x.step", message: "step must be a whole number > 0, got 1.5"),
        Case(range: "{int: [0, 10], step: 3}", field: "synthetic.inputs.x.step", message: "the range 0...10 is not a whole number of steps of 3"),
        Case(range: "{log_int: [0, 10]}", field: "synthetic.inputs.x.log_int", message: "a log range needs low >= 1, got 0"),
        Case(range: "{logint: [9, 3]}", field: "synthetic.inputs.x.logint", message: "empty range: low 9 is greater than high 3"),
        Case(range: "{categorical: 3}", field: "synthetic.inputs.x.categorical", message: "'categorical' takes a list of choices, got an integer"),
        Case(range: "{choice: []}", field: "synthetic.inputs.x.choice", message: "'choice' needs at least one choice"),
        Case(range: "{choice: [1, {a: 2}]}", field: "synthetic.inputs.x", message: "expected a number, got a mapping (when x = {\"a\": 2})"),
        Case(range: "{choice: [1, {a: .nan}]}", field: "synthetic.inputs.x.choice[1]", message: "choices must be values (numbers, text, true/false, null) or lists or mappings of them, got a mapping"),
        Case(range: "{choice: [.nan, 0.1]}", field: "synthetic.inputs.x.choice[0]", message: "a choice must be a finite number, got nan (quote it to pass the text)"),
        Case(range: "{choice: [0.1, -.inf]}", field: "synthetic.inputs.x.choice[1]", message: "a choice must be a finite number, got -inf (quote it to pass the text)"),
        Case(range: "{fixed: .nan}", field: "synthetic.inputs.x.fixed", message: "'fixed' takes a finite number, got nan (quote it to pass the text)"),
        Case(range: "{fixed: [1, 2]}", field: "synthetic.inputs.x", message: "expected a number, got a list (when x = [1, 2])"),
        Case(range: "{fixed: [1, .nan]}", field: "synthetic.inputs.x.fixed", message: "'fixed' takes one value (a number, text, true/false, null, or a list or mapping of them), got a list"),
        Case(range: "{normal: [0, 0]}", field: "synthetic.inputs.x.normal", message: "'normal' needs sigma > 0, got 0.0"),
        Case(range: "{log_normal: [0, -1]}", field: "synthetic.inputs.x.log_normal", message: "'log_normal' needs sigma > 0, got -1.0"),
        Case(range: "{beta: [0, 1]}", field: "synthetic.inputs.x.beta", message: "'beta' needs a > 0, got 0.0"),
        Case(range: "{beta: [1, -2]}", field: "synthetic.inputs.x.beta", message: "'beta' needs b > 0, got -2.0"),
        Case(range: "{normal: 3}", field: "synthetic.inputs.x.normal", message: "'normal' takes a list of two numbers, [mu, sigma]; got an integer"),
        Case(range: "{beta: [1]}", field: "synthetic.inputs.x.beta", message: "'beta' takes a list of two numbers, [a, b]; got a list"),
        Case(range: "{lognormal: [x, 1]}", field: "synthetic.inputs.x.lognormal", message: "bounds must be finite numbers, got the string 'x'"),
        Case(range: "{normal: [0, 1], q: 0}", field: "synthetic.inputs.x.q", message: "q must be > 0, got 0.0"),
        Case(range: "{uniform: [0, 1], q: 0.1}", field: "synthetic.inputs.x.q", message: "'q' applies only to 'loguniform', 'normal', 'lognormal' and 'beta' distributions (use 'step' for 'uniform' and 'int')"),
        Case(range: "{normal: [0, 1], step: 0.1}", field: "synthetic.inputs.x.step", message: "'step' applies only to 'uniform' and 'int' ranges"),
        Case(range: "{uniform: [0, 1], name: 3}", field: "synthetic.inputs.x.name", message: "name must be text, got an integer"),
        Case(range: "{uniform: [0, 1], when: {a: 1, b: 2}}", field: "synthetic.inputs.x.when",
             message: "'when' takes one condition, e.g. when: {optimizer.name: [momentum, nesterov]}"),
        Case(range: "{uniform: [0, 1], when: {y: [{a: .nan}]}}", field: "synthetic.inputs.x.when.y", message: "condition values must be values, or lists or mappings of them, got a mapping"),
        Case(range: "{uniform: [0, 1], when: {y: []}}", field: "synthetic.inputs.x.when", message: "'when' needs at least one value"),
        Case(range: "{uniform: [0, 1], when: {y: [a]}}", field: "synthetic.inputs.x.when", message: "condition on unknown parameter 'y'"),
        Case(range: "{uniform: [0, 1], when: {x: [a]}}", field: "synthetic.inputs.x.when", message: "a parameter cannot depend on itself"),
        Case(range: "{choice: [a, b]}", extra: "y: {uniform: [0, 1], when: {x: [c]}}", field: "synthetic.inputs.y.when", message: "'x' can never be \"c\"; its values are [a, b]"),
        Case(range: "{choice: [a, b]}", extra: "y: {value: 1, when: {x: a, z: b}}", field: "synthetic.inputs.y.when",
             message: "'when' takes one condition, e.g. when: {schedule.name: [piecewise]}"),
        Case(range: "{choice: [a, b]}", extra: "y: {value: 1, when: {x: [{a: 1}]}}", field: "synthetic.inputs.y.when", message: "'x' can never be {\"a\": 1}"),
        Case(range: "{uniform: [0, 1]}", extra: "y: {uniform: [0, 1], when: {x: [0.5]}}", field: "synthetic.inputs.y.when",
             message: "'x' is continuous (0.0...1.0): a condition on one of its values would almost never hold"),
        Case(range: "{loguniform: [0.001, 1]}", extra: "y: {value: 1, when: {x: 0.01}}", field: "synthetic.inputs.y.when", message: "'x' is continuous"),
        Case(range: "{int: [1, 4]}", extra: "y: {uniform: [0, 1], when: {x: [4.5]}}", field: "synthetic.inputs.y.when", message: "'x' can never be 4.5; its values are 1...4"),
        Case(range: "{int: [1, 4]}", extra: "y: {uniform: [0, 1], when: {x: ['4']}}", field: "synthetic.inputs.y.when", message: "'x' can never be \"4\"; its values are 1...4"),
        Case(range: "{choice: [a, b]}", extra: "y: [{value: 1, when: {x: a}}]", field: "synthetic.inputs.y[0]", message: "a value inside a list cannot have a 'when' condition"),
        Case(range: "{choice: [a, b]}", extra: "y: [{uniform: [0, 1], when: {x: [a]}}]", field: "synthetic.inputs.y[0]", message: "a parameter inside a list cannot have a 'when' condition"),
        Case(range: "{choice: [a, b]}", extra: "y: {uniform: [0, 1], name: x}", field: "synthetic.inputs.y", message: "parameter name 'x' is used twice (first on line 6)"),
    ]

    @Test(arguments: cases)
    func rangeErrorNamesItsField(_ c: Case) throws {
        let all = try #require(parseError(Self.sweep(c.range, extra: c.extra), file: "r.yaml"), "accepted")
        // (Among the file's problems: a text choice of a sphere's input is one too.)
        let error = try #require(all.all.first { $0.path.description == c.field }, "\(all)")
        #expect(error.description.contains(c.message), "\(error)")
        #expect(error.mark?.line == (c.extra.isEmpty ? 6 : 7), "\(error)")
    }
}
