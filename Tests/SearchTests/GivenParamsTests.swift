import Search
import Testing

/// Values given for an enqueued trial, checked against the space (`sweep enqueue`, the dashboard).
@Suite struct GivenParamsTests {
    let space = try! SearchSpace([
        Parameter(name: "lr", distribution: .logUniform(low: 1e-4, high: 1e-1)),
        Parameter(name: "layers", distribution: .int(low: 1, high: 8, step: 1)),
        Parameter(name: "optimizer", distribution: .categorical([.string("sgd"), .string("adam")])),
        Parameter(name: "momentum", distribution: .uniform(low: 0, high: 0.99, step: nil),
                  condition: Condition(parent: "optimizer", values: [.string("sgd")])),
        Parameter(name: "width", distribution: .categorical([.double(0.5), .int(1), .int(2)])),
    ])

    func error(_ given: Params) -> GivenParamError? {
        do { _ = try space.check(given: given); return nil } catch { return error }
    }

    @Test func valuesAreNormalizedToTheSpaceKinds() throws {
        let text = try space.check(given: ["lr": .string("0.003"), "layers": .string("4"), "optimizer": .string("sgd"),
                                           "momentum": .int(0), "width": .string("2")])
        #expect(text == ["lr": .double(0.003), "layers": .int(4), "optimizer": .string("sgd"), "momentum": .double(0), "width": .int(2)])
        let json = try space.check(given: ["lr": .double(0.01), "layers": .double(3), "optimizer": .string("adam"), "width": .double(1)])
        #expect(json == ["lr": .double(0.01), "layers": .int(3), "optimizer": .string("adam"), "width": .int(1)])
        #expect(try space.check(given: ["lr": .double(0.01), "layers": .int(3), "optimizer": .string("adam"), "width": .string("0.5")])["width"] == .double(0.5))
        // A whole number written as a float, as text (`sweep enqueue S layers=4.0`), as the number 4.0 is read.
        #expect(try space.check(given: ["lr": .double(0.01), "layers": .string("4.0"), "optimizer": .string("adam"), "width": .int(1)])["layers"] == .int(4))
        #expect(throws: GivenParamError.self) { try space.check(given: ["lr": .double(0.01), "layers": .string("4.5"), "optimizer": .string("adam"), "width": .int(1)]) }
    }

    /// A flag given as a program gets it (`True`, W&B's form) or as JSON.
    @Test func flagsAreTakenInEveryForm() throws {
        let flags = try SearchSpace([Parameter(name: "flag", distribution: .categorical([.bool(true), .bool(false)]))])
        for (given, expected) in [("True", true), ("true", true), ("False", false), ("FALSE", false)] {
            #expect(try flags.check(given: ["flag": .string(given)]) == ["flag": .bool(expected)])
        }
        #expect(throws: GivenParamError.self) { try flags.check(given: ["flag": .string("yes please")]) }
    }

    /// A choice of a flag and the same text: the text is picked in quotes, and the list in
    /// messages quotes the texts that read as another kind (`{true, true, null, None}`).
    @Test func textThatReadsAsAnotherKindIsQuoted() throws {
        let mixed = try SearchSpace([Parameter(name: "k", distribution: .categorical([.int(1), .double(1.0), .bool(true), .string("true"), .null, .string("None"), .string("adam")]))])
        #expect(try mixed.check(given: ["k": .string("\"true\"")]) == ["k": .string("true")])
        #expect(try mixed.check(given: ["k": .string("\"None\"")]) == ["k": .string("None")])
        #expect(try mixed.check(given: ["k": .bool(true)]) == ["k": .bool(true)])
        let e = #expect(throws: GivenParamError.self) { try mixed.check(given: ["k": .string("maybe")]) }
        #expect(e?.message == "maybe is not in choice {1, 1.0, true, \"true\", null, \"None\", adam}", "\(String(describing: e))")
    }

    /// Text the list would misread (a comma, a quote, a line break, spaces at an end) is
    /// quoted, escaped: a line break split the message over two lines.
    @Test func textAListWouldMisreadIsQuotedAndEscaped() {
        let texts = ["a,b", "say \"hi\"", "line1\nline2", " pad", "", "\u{1B}[31mred", "plain"]
        let shown = Distribution.categorical(texts.map { .string($0) }).summary
        #expect(shown == #"choice {"a,b", "say \"hi\"", "line1\nline2", " pad", "", "\u{1B}[31mred", plain}"#, "\(shown)")
        #expect(!shown.contains("\n") && !shown.contains("\u{1B}"))
    }

    @Test func eachRefusalNamesItsField() {
        let ok: Params = ["lr": .double(0.01), "layers": .int(3), "optimizer": .string("adam"), "width": .int(1)]
        var e = error(ok.merging(["depth": .int(1)]) { $1 })
        #expect(e?.field == "depth" && e?.message.hasPrefix("not a parameter of this study (its parameters: lr, layers") == true, "\(String(describing: e))")
        e = error(ok.filter { $0.key != "layers" })
        #expect(e == GivenParamError(field: "layers", message: "missing: give a value in int [1, 8]"))
        e = error(ok.merging(["momentum": .double(0.9)]) { $1 })
        #expect(e == GivenParamError(field: "momentum", message: "inactive: only used when optimizer is sgd"))
        e = error(ok.merging(["optimizer": .string("sgd")]) { $1 })
        #expect(e?.field == "momentum" && e?.message.hasPrefix("missing") == true)
        e = error(ok.merging(["lr": .double(0.5)]) { $1 })
        #expect(e == GivenParamError(field: "lr", message: "0.5 is not in loguniform [0.0001, 0.1]"))
        #expect(error(ok.merging(["layers": .double(2.5)]) { $1 })?.field == "layers")
        #expect(error(ok.merging(["layers": .string("two")]) { $1 })?.field == "layers")
        #expect(error(ok.merging(["optimizer": .string("rmsprop")]) { $1 }) == GivenParamError(field: "optimizer", message: "rmsprop is not in choice {sgd, adam}"))
        #expect(error(ok.merging(["width": .int(3)]) { $1 })?.field == "width")
        #expect(error(ok.merging(["width": .bool(true)]) { $1 })?.field == "width", "true is not the choice 1")
        #expect(error(ok) == nil)
    }

    /// Spaces around a number typed on a command line (`"x= 0.5"`) are not part of it; text
    /// with spaces at its ends is shown in quotes (it read " 0.5 is not in uniform").
    @Test func spacesAroundGivenNumbersAreNotPartOfThem() throws {
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil)),
                                     Parameter(name: "n", distribution: .int(low: 1, high: 8, step: 1)),
                                     Parameter(name: "k", distribution: .categorical([.string("a"), .string("b")]))])
        #expect(try space.check(given: ["x": .string(" 0.5"), "n": .string("\t3 "), "k": .string("a")]) == ["x": .double(0.5), "n": .int(3), "k": .string("a")])
        #expect(try space.check(given: ["x": .string("0.5\n"), "n": .string("3"), "k": .string("a")])["x"] == .double(0.5))
        let numbers = try SearchSpace([Parameter(name: "batch", distribution: .categorical([.int(16), .int(32)]))])
        #expect(try numbers.check(given: ["batch": .string(" 32")]) == ["batch": .int(32)])
        let e = #expect(throws: GivenParamError.self) { try space.check(given: ["x": .string("0.5"), "n": .string("3"), "k": .string(" a")]) }
        #expect(e?.message == "\" a\" is not in choice {a, b}", "\(String(describing: e))")
        let empty = #expect(throws: GivenParamError.self) { try space.check(given: ["x": .string(""), "n": .string("3"), "k": .string("a")]) }
        #expect(empty?.message == "\"\" is not a number; give one in uniform [0.0, 1.0]", "\(String(describing: empty))")
    }

    /// Text that is no decimal number is said to be none (it was "abc is not in uniform"),
    /// and hexadecimal, nan and inf, which Swift's `Double` reads, are not numbers here (0x1
    /// was queued as 1).
    @Test func givenNumbersAreDecimal() throws {
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: -3, high: 5, step: nil)),
                                     Parameter(name: "n", distribution: .int(low: 1, high: 8, step: 1))])
        for text in ["abc", "0x1", "nan", "inf", "1,5", "1e"] {
            let e = #expect(throws: GivenParamError.self) { try space.check(given: ["x": .string(text), "n": .string("2")]) }
            #expect(e?.field == "x" && e?.message.hasPrefix("\(text) is not a number; give one in uniform") == true, "\(String(describing: e))")
            let i = #expect(throws: GivenParamError.self) { try space.check(given: ["x": .string("1"), "n": .string(text)]) }
            #expect(i?.field == "n", "\(String(describing: i))")
        }
        #expect(try space.check(given: ["x": .string("-2.5e-1"), "n": .string("+3")]) == ["x": .double(-0.25), "n": .int(3)])
        // A number out of range is said to be out of it.
        let out = #expect(throws: GivenParamError.self) { try space.check(given: ["x": .string("9"), "n": .string("2")]) }
        #expect(out?.message == "9 is not in uniform [-3.0, 5.0]", "\(String(describing: out))")
    }
}
