/// Writes compact JSON into a byte buffer, value by value.
///
/// ```swift
/// var w = JSONWriter()
/// w.beginObject(); w.key("v"); w.int(1); w.key("type"); w.string("ready"); w.endObject()
/// // {"v":1,"type":"ready"}
/// ```
/// Floats always carry a decimal point or exponent (`1.0`, `1e-05`) so that readers can
/// tell them from ints; non-finite floats are written as the strings `"nan"`, `"inf"`,
/// `"-inf"`, or as `null` when `nonFiniteAsNull` is set.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Values written so far in each open container.
    private var counts: [Int] = []
    /// A member name was written; its value comes next.
    private var afterKey = false
    public var nonFiniteAsNull = false

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// Writes the comma before a value (or member name) when one is needed.
    private mutating func beginValue() {
        if afterKey {
            afterKey = false
            return
        }
        if let n = counts.last {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            counts[counts.count - 1] = n + 1
        }
    }

    public mutating func beginObject() {
        beginValue()
        bytes.append(UInt8(ascii: "{"))
        counts.append(0)
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        counts.removeLast()
    }

    public mutating func beginArray() {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        counts.append(0)
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        counts.removeLast()
    }

    /// Writes a member name; the value written next belongs to it.
    public mutating func key(_ k: String) {
        beginValue()
        appendString(k)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func string(_ s: String) {
        beginValue()
        appendString(s)
    }

    public mutating func int(_ v: Int) {
        beginValue()
        bytes.append(contentsOf: String(v).utf8)
    }

    public mutating func uint(_ v: UInt64) {
        beginValue()
        bytes.append(contentsOf: String(v).utf8)
    }

    public mutating func double(_ v: Double) {
        beginValue()
        if v.isFinite {
            bytes.append(contentsOf: "\(v)".utf8) // Swift prints 1.0, 0.001, 1e-05
        } else if nonFiniteAsNull {
            bytes.append(contentsOf: "null".utf8)
        } else {
            appendString(v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf"))
        }
    }

    public mutating func bool(_ v: Bool) {
        beginValue()
        bytes.append(contentsOf: (v ? "true" : "false").utf8)
    }

    public mutating func null() {
        beginValue()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Inserts already-encoded JSON as the next value.
    public mutating func raw(_ json: some Collection<UInt8>) {
        beginValue()
        bytes.append(contentsOf: json)
    }

    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let a):
            beginArray()
            for e in a { value(e) }
            endArray()
        case .object(let o):
            beginObject()
            for (k, e) in o { key(k); value(e) }
            endObject()
        }
    }

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]])
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
