import Foundation
import SweepReport

/// A plain-text table for people: aligned columns, numbers right-aligned.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers.map(Self.oneLine) }

    mutating func add(_ row: [String]) { rows.append(row.map(Self.oneLine)) }

    /// `lines` without the spaces padding left after their last column (copied lines kept them).
    static func withoutTrailingSpaces(_ lines: [String]) -> [String] {
        lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
    }

    /// A cell on one line: a line break or tab inside a value (a text parameter, an error)
    /// would break the row apart, so control characters are shown escaped (`\n`, `\t`).
    static func oneLine(_ cell: String) -> String {
        guard cell.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || isBidiControl($0) }) else { return cell }
        var out = ""
        for u in cell.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.properties.generalCategory == .control || isBidiControl(u): out += String(format: "\\u{%X}", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// The invisible marks that reorder text (U+202E shows "\u{202E}evil" as "live"): shown
    /// escaped as control characters are.
    static func isBidiControl(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    func render() -> String {
        let columns = headers.count
        var widths = headers.map(TerminalWidth.of)
        for r in rows { for (i, c) in r.enumerated() where i < columns { widths[i] = max(widths[i], TerminalWidth.of(c)) } }
        // Written with digits: `Double` also reads the words "nan" and "inf" (a text choice `nan`
        // stood right-aligned like a number).
        func isNumeric(_ s: String) -> Bool {
            s.contains(where: { $0.isASCII && $0.isNumber }) && (Double(s) != nil || s.hasSuffix("%") && Double(s.dropLast()) != nil)
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - TerminalWidth.of(c)))
                return isNumeric(c) ? pad + c : c + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }
}

/// RFC 4180 CSV.
enum CSV {
    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func render(_ headers: [String], _ rows: [[String]]) -> String {
        ([headers] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
}

/// Number formatting lives in the report module so that reports and commands agree.
typealias Fmt = SweepReport.Fmt
