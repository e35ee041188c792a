import Testing
import JSONValue

@Suite struct JSONValueTests {
    let parser = JSONParser()

    @Test func parsesEveryKindAndKeepsIntsApartFromFloats() throws {
        let v = try parser.parse(#"{"a": 1, "b": 1.0, "c": -2.5e-3, "d": "x\"y\\z\n\u00e9\ud83d\ude00", "e": [true, false, null], "f": {}}"#)
        #expect(v["a"] == .int(1))
        #expect(v["b"] == .double(1.0))
        #expect(v["c"] == .double(-0.0025))
        #expect(v["d"] == .string("x\"y\\z\né😀"))
        #expect(v["e"] == .array([.bool(true), .bool(false), .null]))
        #expect(v["f"] == .object([]))
        #expect(v.members?.map(\.0) == ["a", "b", "c", "d", "e", "f"])
    }

    @Test func loneSurrogatesBecomeReplacementCharacters() throws {
        // A high surrogate followed by a non-surrogate escape once overflowed and crashed.
        #expect(try parser.parse(#""\uD800\u0041""#) == .string("\u{FFFD}A"))
        #expect(try parser.parse(#""\uD83D\uDE00""#) == .string("😀"))
        #expect(try parser.parse(#""\uDC00x""#) == .string("\u{FFFD}x"))
        #expect(try parser.parse(#""\uD800""#) == .string("\u{FFFD}"))
    }

    @Test func rejectsMalformedInput() {
        for bad in ["", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "nul", "01x", "\"unterminated", "{\"a\":1} trailing", "\"\u{1}\"", "[-]"] {
            #expect(throws: JSONParseError.self, "accepted: \(bad)") { try parser.parse(bad) }
        }
        // Deep nesting is refused instead of recursing without bound.
        #expect(throws: JSONParseError.self) { try parser.parse(String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)) }
    }

    @Test func writerRoundTripsThroughTheParser() throws {
        let value: JSONValue = .object([("n", .int(-3)), ("f", .double(2.0)), ("tiny", .double(1e-05)), ("s", .string("tab\t\"q\" \u{1}")),
                                        ("list", .array([.int(1), .null, .bool(true), .object([("x", .array([]))])]))])
        var w = JSONWriter()
        w.value(value)
        #expect(try parser.parse(w.bytes) == value)
        #expect(String(decoding: w.bytes, as: UTF8.self).contains("\"f\":2.0"))
    }

    @Test func writerSeparatesMembersAndElements() {
        var w = JSONWriter()
        w.beginObject()
        w.key("a"); w.int(1)
        w.key("b"); w.beginArray(); w.int(2); w.string("x"); w.beginObject(); w.endObject(); w.endArray()
        w.key("c"); w.raw(Array("{\"k\":true}".utf8))
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"a":1,"b":[2,"x",{}],"c":{"k":true}}"#)
    }

    @Test func nonFiniteFloats() {
        var w = JSONWriter()
        w.beginArray(); w.double(.nan); w.double(.infinity); w.endArray()
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"["nan","inf"]"#)
        var n = JSONWriter()
        n.nonFiniteAsNull = true
        n.beginArray(); n.double(-.infinity); n.endArray()
        #expect(String(decoding: n.bytes, as: UTF8.self) == "[null]")
        #expect(JSONValue.string("nan").double?.isNaN == true)
    }

    @Test func capturesTheRangeOfATopLevelMember() throws {
        let bytes = Array(#"{"a":{"spec":1},"spec":{"kind":"x","n":[1,2]},"z":0}"#.utf8)
        let (_, range) = try parser.parse(bytes, capturing: "spec")
        let r = try #require(range)
        #expect(String(decoding: bytes[r], as: UTF8.self) == #"{"kind":"x","n":[1,2]}"#)
    }
}
