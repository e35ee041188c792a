import Foundation

/// A plain-text table for people: aligned columns, numbers right-aligned.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let columns = headers.count
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < columns { widths[i] = max(widths[i], c.count) } }
        func isNumeric(_ s: String) -> Bool { Double(s) != nil || s.hasSuffix("%") && Double(s.dropLast()) != nil }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
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

/// Number formatting shared by the commands.
enum Fmt {
    static func value(_ v: Double?) -> String {
        guard let v else { return "-" }
        if v == 0 { return "0" }
        if abs(v) >= 1e5 || abs(v) < 1e-4 { return String(format: "%.4g", v) }
        return String(format: "%.4f", v)
    }

    static func seconds(_ s: Double?) -> String {
        guard let s, s.isFinite else { return "-" }
        if s < 60 { return String(format: "%.1fs", s) }
        if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
        return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60)
    }

    static func time(_ t: Double?) -> String {
        guard let t else { return "-" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
