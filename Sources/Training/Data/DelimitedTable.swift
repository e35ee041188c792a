#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SweepSupport

/// A CSV or TSV file, read into float features and label tokens. Its first row names the
/// columns, unless `header` is false: then they are named by position from 0 ("0", "1", ...).
///
/// Quoted fields (`"a, b"`, `""` for a quote) are understood; a blank line is skipped.
/// Missing values are an empty field or a marker such as `NA`, `N/A`, `NaN`, `null`, `?`,
/// `#N/A` or `None` (``MissingValueText/isMarker(_:)`` has them all); with the
/// `error` policy they, and any value that is not a finite number, stop the load with the
/// file, line and column; with `mean` or `zero` they become NaN here (filled in later from
/// the training split).
struct DelimitedTable {
    /// Row-major features, `featureNames.count` per row.
    var features: [Float]
    /// The label column's value of each row, as written.
    var labels: [String]
    /// The 1-based line of each row (for messages about its label).
    var lines: [Int32]
    /// The feature columns in feature order.
    var featureNames: [String]

    var count: Int { labels.count }

    /// Reads `path`; `field` names the `data` field for a missing file.
    static func read(
        _ path: String, field: String, separator: UInt8, decimal: UInt8 = UInt8(ascii: "."), header hasHeader: Bool = true, label: String,
        columns: [String]?, ignore: [String]?, missing: MissingValues, labelOptional: Bool = false, numericLabel: Bool = false,
        checksColumns: Bool = true
    ) throws(DataError) -> DelimitedTable {
        let mapped = try MappedFile(path, field: field)
        // A gzipped table (`digits.csv.gz`) is read inflated, as IDX files are.
        let inflated = try GzipReader.inflatedIfGzip(mapped.bytes, path: path)
        defer { withExtendedLifetime(mapped) {}; withExtendedLifetime(inflated) {} }
        let bytes = inflated?.bytes ?? mapped.bytes
        // UTF-16 (Excel's "Unicode text"): its bytes read as Latin-1 noise, and the hint was iconv from Latin-1.
        if bytes.count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
            throw DataError.malformed(path: path, line: 1, column: 1, reason: "the file is UTF-16 text (Excel's \"Unicode text\"?): save it as UTF-8, e.g. iconv -f utf-16 -t utf-8 FILE > NEW")
        }
        // Text holds no NUL byte: a file of zeros (or another binary file) read as one line of
        // megabytes took gigabytes and echoed that line back as its "header". The start is
        // enough to tell (memchr: the whole file would cost a pass over gigabytes).
        let start = UnsafeRawBufferPointer(rebasing: bytes.prefix(1 << 20))
        if let base = start.baseAddress, let hit = memchr(base, 0, start.count) {
            let at = UnsafeRawPointer(hit) - base
            let before = UnsafeRawBufferPointer(rebasing: start.prefix(at))
            let line = before.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            let column = at - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
            // UTF-16 without its byte-order mark: every other byte of ASCII text is 0.
            let pairs = stride(from: 0, to: min(start.count, 64) - 1, by: 2).map { (start[$0], start[$0 + 1]) }
            let utf16 = pairs.count >= 4 && (pairs.allSatisfy { $0.1 == 0 && $0.0 != 0 } || pairs.allSatisfy { $0.0 == 0 && $0.1 != 0 })
            throw DataError.malformed(path: path, line: line, column: column, reason: utf16
                ? "a NUL byte: the file seems UTF-16 text: save it as UTF-8, e.g. iconv -f utf-16 -t utf-8 FILE > NEW"
                : "a NUL byte: this is binary data, not a text table (CSV or TSV)")
        }
        var parser = Parser(bytes: bytes, path: path, separator: separator, decimal: decimal)
        parser.skipBOM()
        guard let header = try parser.record(), !(header.count == 1 && header[0].text.isEmpty) else {
            throw DataError.malformed(path: path, line: 1, column: 1, reason: hasHeader ? "empty file: expected a header row with the column names" : "empty file")
        }
        if hasHeader, let bad = header.first(where: { $0.validText == nil }) {
            throw DataError.malformed(path: path, line: 1, column: bad.column, reason: notUTF8)
        }
        let names = hasHeader ? header.map(\.text) : header.indices.map { String($0) }
        if !hasHeader {
            // The first row is data: read it again as a row.
            parser = Parser(bytes: bytes, path: path, separator: separator, decimal: decimal)
            parser.skipBOM()
        }
        let rowWord = hasHeader ? "the header" : "the first row"
        // Prediction input (`labelOptional`) is read as the model's training file was: the
        // hints say what the file needs, not a `data` setting `sweep predict` does not have.
        let predicting = labelOptional
        let otherSeparator = [(UInt8(ascii: ";"), "';'"), (9, "a tab"), (UInt8(ascii: "|"), "'|'"), (UInt8(ascii: ","), "','")]
            .first { $0.0 != separator && header.count == 1 && header[0].text.utf8.contains($0.0) }
        let separatorName = separator == 9 ? "tabs" : "'\(Character(UnicodeScalar(separator)))'"
        /// When line 1 is not part of the table (sklearn's files begin with a line of counts,
        /// `569,30,malignant,benign`): the hints built on its fields sent users astray.
        func strayFirstLine() -> String? {
            var look = Parser(bytes: bytes, path: path, separator: separator, decimal: decimal)
            look.skipBOM()
            look.keptFields = names.count + 1 // counted in full, kept as far as judged
            guard let first = try? look.record() else { return nil }
            let firstCount = look.lastRecordFields
            guard let second = try? look.record(), !(second.count == 1 && second[0].text.isEmpty) else { return nil }
            let secondCount = look.lastRecordFields
            let fix = "if line 1 is not part of the table (sklearn's data files begin with counts), remove it, e.g. tail -n +2 FILE > NEW"
            // Counts (`569,30,...`), not names: a header one field short is R's row names
            // or rows ending with a separator, and removing it would lose the names.
            func isCount(_ f: Field) -> Bool { f.number.map { $0 >= 0 && $0 == $0.rounded() } ?? false }
            guard firstCount >= 2, isCount(first[0]), isCount(first[1]) else { return nil }
            if firstCount != secondCount {
                // Line 1 is the odd one when the lines after it agree (a short row is not).
                guard (try? look.record()) != nil, look.lastRecordFields == secondCount else { return nil }
                return "line 1 has \(firstCount) field(s) and lines 2 and 3 have \(secondCount): \(fix)"
            }
            let namesBelow = second.allSatisfy { $0.number == nil && !$0.text.isEmpty }
            if first.contains(where: { $0.text.isEmpty }), first.allSatisfy({ $0.number != nil || $0.text.isEmpty }), namesBelow {
                return "line 2 looks like the column names: \(fix)"
            }
            return nil
        }
        func column(_ name: String, _ what: String) throws(DataError) -> Int {
            if let i = names.firstIndex(of: name) { return i }
            if !predicting, let stray = strayFirstLine() {
                throw DataError.malformed(path: path, line: 1, column: 1, reason: "no \(what) column '\(name)'; \(stray)")
            }
            // (A position, `2`, is no typo of a name: said below.)
            let hint = hasHeader && Int(name) == nil ? closestName(to: name, in: names).map { "; did you mean '\($0)'?" } ?? "" : ""
            var why = "no \(what) column '\(shown(name))'\(hint) (the columns are: \(listed(names)))"
            if let other = otherSeparator {
                why += predicting
                    ? "; the first row is one column: this model reads tables separated by \(separatorName), this one seems separated by \(other.1) (sweep predict --separator \(other.0 == 9 ? "'\\t'" : other.1))"
                    : "; \(rowWord) is one column: if its fields are separated by \(other.1), set data.separator"
            } else if !hasHeader {
                why += predicting
                    ? "; this model was trained on a file without a header: it reads rows laid out as that file, columns numbered from 0, the label in column \(label) (keep that column, empty, in rows without a label)"
                    : "; the file has no header (data.header: false), so its columns are numbered from 0"
            } else if !predicting, Int(name) != nil, !header.contains(where: { $0.number != nil }) {
                why += "; columns are named by their position from 0 only in a file without a header (data.header: false): this file's first row names them"
            } else if header.contains(where: { $0.number != nil }) {
                why += predicting
                    ? "; the first row holds numbers: this model reads a table whose first row names its columns"
                    : "; the first row holds numbers: if the file has no header, set data.header: false and name columns by position from 0"
            }
            throw DataError.malformed(path: path, line: 1, column: 1, reason: why)
        }
        // (A set, not a search per column: a table of 500,000 columns took minutes.)
        var seenNames = Set<String>()
        if hasHeader, let duplicate = names.enumerated().first(where: { !seenNames.insert($0.element).inserted }) {
            let hint = !predicting ? strayFirstLine().map { "; " + $0 } : nil
            if let hint { throw DataError.malformed(path: path, line: 1, column: header[duplicate.offset].column, reason: "column name '\(duplicate.element)' appears twice\(hint)") }
            let numbersHint = !header.contains(where: { $0.number != nil }) ? ""
                : predicting ? "; the first row holds numbers: this model reads a table whose first row names its columns"
                : "; the first row holds numbers: if the file has no header, set data.header: false and name columns by position from 0"
            throw DataError.malformed(path: path, line: 1, column: header[duplicate.offset].column, reason: "column name '\(duplicate.element)' appears twice\(numbersHint)")
        }
        // Prediction input may come without the label column.
        let labelIndex = labelOptional && !names.contains(label) ? -1 : try column(label, "label")
        var featureIndices: [Int]
        if let columns {
            featureIndices = []
            for name in columns { featureIndices.append(try column(name, "feature")) }
        } else {
            var skipped: Set<Int> = labelIndex >= 0 ? [labelIndex] : []
            for name in ignore ?? [] { skipped.insert(try column(name, "ignored")) }
            featureIndices = names.indices.filter { !skipped.contains($0) }
        }
        guard !featureIndices.isEmpty else {
            let hint = otherSeparator.map { predicting ? "; this model reads tables separated by \(separatorName), this one seems separated by \($0.1) (sweep predict --separator \($0.0 == 9 ? "'\\t'" : $0.1))"
                : "; \(rowWord) is one column: if its fields are separated by \($0.1), set data.separator" } ?? ""
            throw DataError.malformed(path: path, line: 1, column: 1, reason: "no feature columns left besides the label '\(label)'\(hint)")
        }
        // Where each field goes: a feature position, the label (-1), or nowhere (-2).
        var role = [Int](repeating: -2, count: names.count)
        for (position, index) in featureIndices.enumerated() { role[index] = position }
        if labelIndex >= 0 { role[labelIndex] = -1 }
        let width = featureIndices.count
        var table = DelimitedTable(features: [], labels: [], lines: [], featureNames: featureIndices.map { names[$0] })
        table.features.reserveCapacity(min(bytes.count / 2, 1 << 26))
        var row = [Float](repeating: 0, count: width)
        // Per feature: how many rows hold a number and how many hold text that is neither a
        // number nor a missing-value token, the first such text, and the range of the
        // numbers (in Double: a column finer than Float can tell apart is refused below).
        var numbers = [Int](repeating: 0, count: width), texts = [Int](repeating: 0, count: width)
        var firstText = [(line: Int, column: Int, text: String)?](repeating: nil, count: width)
        var low = [Double](repeating: .infinity, count: width), high = [Double](repeating: -.infinity, count: width)
        // Unnamed columns that hold a different whole number in every row so far: pandas'
        // `to_csv` writes its index so, in order or, after a split or a shuffle, not; a
        // feature that is the row number leaks the label of a file sorted by it (only the
        // index in order was refused, and a shuffled one was trained on).
        var indexLike = Dictionary(uniqueKeysWithValues: featureIndices.enumerated()
            .filter { names[$0.element].isEmpty || names[$0.element].hasPrefix("Unnamed: ") }.map { ($0.offset, Set<Double>()) })
        // With `header: false`, whether line 1 holds text where the rows below hold numbers
        // (a header after all: it was filled as a sample, or its label became a class).
        var firstRowText: [Int: (column: Int, text: String)] = [:]
        var firstLine: Int?
        parser.keptFields = names.count + 1
        while let line = parser.peekLine(), let fields = try parser.record() {
            if fields.count == 1 && fields[0].wasEmptyLine { continue }
            if firstLine == nil {
                firstLine = line
                if !hasHeader, SampleFiles.isPandasNumberedHeader(fields.lazy.map(\.text)) {
                    throw DataError.malformed(path: path, line: line, column: 1, reason: "line \(line) is 0,1,2,...,\(fields.count - 1): the header pandas writes for columns without names, not a sample; "
                        + (predicting ? "this model reads rows without a header: remove the line, e.g. tail -n +2 FILE > NEW"
                            : "remove data.header: false (the columns keep their names '0', '1', ...)"))
                }
            }
            guard parser.lastRecordFields == names.count else {
                throw DataError.malformed(
                    path: path, line: line, column: parser.lastRecordLastColumn,
                    reason: "this row has \(parser.lastRecordFields) fields, \(rowWord) has \(names.count)\(line == 2 && !predicting ? strayFirstLine().map { "; " + $0 } ?? "" : "")")
            }
            var labelText = ""
            for (i, f) in fields.enumerated() {
                let r = role[i]
                if r == -1 {
                    // Class names are told apart by their text: 'café' and 'cafè' in Latin-1
                    // would both decode to 'caf\u{FFFD}', one class.
                    guard let text = f.validText else { throw DataError.malformed(path: path, line: line, column: f.column, reason: notUTF8) }
                    labelText = text
                    if labelText.isEmpty || isMissingToken(labelText) {
                        // Predicting: a row without its label (class or target) is predicted,
                        // not scored (a table of some labelled rows and new ones was refused whole).
                        guard labelOptional else {
                            throw DataError.malformed(path: path, line: line, column: f.column, reason: "missing label in column '\(label)'")
                        }
                        labelText = ""
                    }
                    if numericLabel && !labelText.isEmpty && f.number == nil {
                        throw DataError.malformed(
                            path: path, line: line, column: f.column,
                            reason: "'\(shown(labelText))' in the label column '\(label)' is not a finite number (task: regression needs a numeric target)")
                    }
                    // A target read with a decimal comma is kept as the number it is.
                    if numericLabel, decimal != UInt8(ascii: "."), let v = f.number { labelText = "\(v)" }
                } else if r >= 0 {
                    if let v = f.number {
                        row[r] = Float(v)
                        if !indexLike.isEmpty, indexLike[r] != nil {
                            // (Distinctness is checked over the first million rows: a set of
                            // every value of a file of tens of millions took gigabytes.)
                            if v < 0 || v != v.rounded() {
                                indexLike[r] = nil
                            } else if indexLike[r]!.count < Self.indexValuesChecked, indexLike[r]?.insert(v).inserted == false {
                                indexLike[r] = nil
                            }
                        }
                        numbers[r] += 1
                        if v < low[r] { low[r] = v }
                        if v > high[r] { high[r] = v }
                    } else if let d = Double(f.text.trimmingCharacters(in: .whitespaces)), d.isFinite, abs(d) > Double(Float.greatestFiniteMagnitude) {
                        // A number, but not a Float one: an overflow is not a missing value.
                        throw DataError.malformed(
                            path: path, line: line, column: f.column,
                            reason: "\(shown(f.text)) in column '\(shown(names[i]))' is beyond the range of 32-bit floats (±3.4e38) the training core computes in")
                    } else if missing != .error, let hint = numberWrittenOtherwise(f.text, decimal: decimal, predicting: predicting) {
                        // A number written another way is a value, not a missing one: filled,
                        // `14,23` or `1,234.5` became the column's mean without a word.
                        throw DataError.malformed(
                            path: path, line: line, column: f.column,
                            reason: "'\(shown(f.text))' in column '\(shown(names[i]))' is not a finite number (\(hint))")
                    } else if missing != .error, predicting, !f.text.isEmpty, !isMissingToken(f.text) {
                        // Training fills a few odd cells of a numeric column; a new sample's is
                        // no missing value to fill without a word (`abc` predicted as the mean).
                        throw DataError.malformed(
                            path: path, line: line, column: f.column,
                            reason: "'\(shown(f.text))' in column '\(shown(names[i]))' is not a finite number (sweep predict fills only missing values: empty, NA, NaN, ?, ...)")
                    } else if missing != .error {
                        row[r] = .nan
                        if !f.text.isEmpty, !isMissingToken(f.text) {
                            texts[r] += 1
                            if firstText[r] == nil { firstText[r] = (line, f.column, shown(f.text)) }
                            if line == firstLine { firstRowText[r] = (f.column, shown(f.text)) }
                        }
                    } else if f.text.isEmpty || isMissingToken(f.text) {
                        throw DataError.malformed(
                            path: path, line: line, column: f.column,
                            reason: names[i].isEmpty && f.text.isEmpty && !predicting
                                // Lines that end with a separator (an Excel export): no column to fill.
                                ? "missing value in a column without a name (do the lines end with a separator?): leave it out with \(ignoreHint(""))"
                                : "missing value in column '\(names[i])' (\(predicting ? "sweep predict needs every feature value" : "set data.missing: mean or zero to fill it"))")
                    } else {
                        let header = !hasHeader && line == firstLine && f.text.contains(where: \.isLetter)
                        let hint = numberWrittenOtherwise(f.text, decimal: decimal, predicting: predicting) ?? (header
                            ? (predicting ? "is line \(line) a header? this model reads rows without one: remove the line" : "is line \(line) a header? remove data.header: false")
                            : predicting ? "sweep predict needs every feature value"
                            : Double(f.text) == nil && f.text.contains(where: \.isLetter) ? "a text column? leave it out with \(ignoreHint(names[i])); data.missing: mean or zero fills values that are missing"
                            : Self.looksLikeDate(f.text) ? "a date or time? leave the column out with \(ignoreHint(names[i])), or write it as numbers (e.g. days or seconds since a start)"
                            : "set data.missing: mean or zero to fill it")
                        throw DataError.malformed(
                            path: path, line: line, column: f.column,
                            reason: "'\(shown(f.text))' in column '\(shown(names[i]))' is not a finite number (\(hint))")
                    }
                }
            }
            table.features.append(contentsOf: row)
            table.labels.append(labelText)
            table.lines.append(Int32(clamping: line))
        }
        guard table.count > 0 else {
            throw DataError.malformed(path: path, line: 2, column: 1, reason: hasHeader ? "no data rows after the header" : "no data rows")
        }
        // (The training file's columns only: a small test file with a column left empty is
        // filled from the training split.)
        if !hasHeader, let line = firstLine, let r = firstRowText.keys.sorted().first(where: { texts[$0] == 1 && numbers[$0] == table.count - 1 && table.count >= 2 }) {
            let (column, text) = firstRowText[r]!
            throw DataError.malformed(
                path: path, line: line, column: column,
                reason: "'\(text)' in column '\(shown(names[featureIndices[r]]))' is the only text in a column of numbers: line \(line) looks like a header; "
                    + (predicting ? "this model reads rows without one: remove the line, e.g. tail -n +2 FILE > NEW" : "remove data.header: false"))
        }
        if !predicting && checksColumns {
            // Row numbers of this file or of a larger frame it was split or sampled from (up
            // to ten times its rows), not counts or prices in a column whose header cell was
            // left blank.
            if let r = indexLike.keys.sorted().first(where: { numbers[$0] == table.count && table.count >= 3 && high[$0] < 10 * Double(table.count) }) {
                let name = table.featureNames[r]
                throw DataError.malformed(
                    path: path, line: 1, column: 1,
                    reason: "column \(featureIndices[r] + 1) ('\(name)') has no name and holds a different whole number in every row (an index that pandas' to_csv wrote?): leave it out with \(ignoreHint(name)), write the file with index=False, or give the column a name to train on it")
            }
            try checkColumns(table, path: path, numbers: numbers, texts: texts, firstText: firstText, low: low, high: high, decimal: decimal)
        }
        return table
    }

    /// Refuses the feature columns a model cannot learn from although every value was read:
    /// text only or mostly (`region: north, south`, or decimal commas read as text: 175 of
    /// 178 values filled with the mean), and numbers whose spread 32-bit floats cannot
    /// resolve (Unix timestamps within minutes of each other all read as three values). (A
    /// column with no value at all is kept: filled, it is a constant the scaling zeroes, as
    /// the empty last column of a file whose lines end with a separator.)
    private static func checkColumns(
        _ table: DelimitedTable, path: String, numbers: [Int], texts: [Int], firstText: [(line: Int, column: Int, text: String)?],
        low: [Double], high: [Double], decimal: UInt8
    ) throws(DataError) {
        for r in numbers.indices {
            let name = shown(table.featureNames[r])
            if let t = firstText[r], texts[r] > numbers[r] {
                let what = numbers[r] == 0 ? "holds no numbers ('\(t.text)')" : "holds text in \(texts[r]) of its \(texts[r] + numbers[r]) values ('\(t.text)')"
                let hint = decimalCommaHint(t.text, decimal: decimal, predicting: false).map { "; " + $0 }
                    ?? ", only text the training core cannot use: leave it out with \(ignoreHint(table.featureNames[r])), or encode it as numbers (one column per category)"
                throw DataError.malformed(path: path, line: t.line, column: t.column, reason: "column '\(name)' \(what)\(hint)")
            }
            let magnitude = max(abs(low[r]), abs(high[r])), spread = high[r] - low[r]
            if spread > 0, Double(Float(magnitude).ulp) * 16 > spread {
                throw DataError.malformed(
                    path: path, line: 1, column: 1,
                    reason: "column '\(name)' varies by \(shortNumber(spread)) around \(shortNumber(magnitude)), finer than the 32-bit floats the training core computes in can tell apart (steps of \(shortNumber(Double(Float(magnitude).ulp))) there): subtract an offset from it first (e.g. \(name) - \(shortNumber(low[r].rounded(.down))))")
            }
        }
    }

    private static func shortNumber(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.6g", v)
    }

    /// How many values of an unnamed column are checked for being distinct (an index).
    static let indexValuesChecked = 1_000_000

    /// `2020-01-31`, `31/01/2020`, `12:30`, `2020-01-31T12:30:00Z`: digits with date or time
    /// separators, which no missing-value setting makes a number.
    static func looksLikeDate(_ text: String) -> Bool {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.count >= 4, t.first?.isNumber == true else { return false }
        let separators = t.filter { "-/:".contains($0) }.count
        return separators >= 1 && t.allSatisfy { $0.isASCII && ($0.isNumber || "-/:. TZ+".contains($0)) }
            && (t.filter({ $0 == "-" }).count == 2 || t.filter({ $0 == "/" }).count == 2 || t.contains(":"))
    }

    /// What to do about a field that would be a number with a decimal comma (`14,23`) in a
    /// table read with decimal points (nil: it does not look like one).
    static func decimalCommaHint(_ text: String, decimal: UInt8, predicting: Bool) -> String? {
        guard decimal == UInt8(ascii: "."), text.contains(","),
              let d = Double(text.replacingOccurrences(of: ",", with: ".")), d.isFinite, text.filter({ $0 == "," }).count == 1,
              // `1,234` is as likely a thousands separator: no hint that would read it as 1.234.
              text.split(separator: ",").last?.count != 3 else { return nil }
        return predicting ? "this model reads decimal points, and this value has a decimal comma (sweep predict --separator ';' --decimal ',')"
            : "a decimal comma? set data.decimal: \",\" (with data.separator: \";\")"
    }

    /// What to do about a field that is a number written otherwise: with a decimal comma
    /// (``decimalCommaHint(_:decimal:predicting:)``) or digit grouping (`1,234.5`, `1 234`,
    /// `1'234`, `1_234`); nil for anything else (text, a missing value).
    static func numberWrittenOtherwise(_ text: String, decimal: UInt8, predicting: Bool) -> String? {
        if let hint = decimalCommaHint(text, decimal: decimal, predicting: predicting) { return hint }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let hint = numberInAnotherNotation(trimmed, decimal: decimal) { return hint }
        // A number with a unit or a sign around it (`2%`, `$3.50`, `12 kg`): data.missing
        // would make every such value missing, and the column then holds no numbers.
        let units: Set<Character> = ["%", "$", "€", "£", "¥", "‰"]
        let isUnit = { (c: Character) in units.contains(c) || c.isLetter || c == " " }
        let bare = String(trimmed.drop(while: isUnit).reversed().drop(while: isUnit).reversed())
        if bare.count < trimmed.count, !bare.isEmpty, let v = Double(bare.replacingOccurrences(of: String(UnicodeScalar(decimal)), with: ".")), v.isFinite {
            return "a number with a unit? write the numbers alone (\(bare)), or leave the column out with \(predicting ? "the training file's data.ignore" : "data.ignore")"
        }
        let mark: Character = decimal == UInt8(ascii: ",") ? "," : "."
        // `data.decimal: ","` on a file written with decimal points (`14.5`): not grouping.
        if mark == ",", trimmed.filter({ $0 == "." }).count == 1, trimmed.split(separator: ".").last?.count != 3,
           let v = Double(trimmed), v.isFinite {
            return predicting ? "this model reads decimal commas, and this value has a decimal point (sweep predict --decimal '.' with the input's --separator)" : "a decimal point, while data.decimal is ','? remove data.decimal"
        }
        let grouping: Set<Character> = [mark == "." ? "," : ".", " ", "'", "_", "\u{A0}", "\u{202F}"]
        guard trimmed.contains(where: \.isNumber), trimmed.contains(where: { grouping.contains($0) }),
              trimmed.allSatisfy({ $0.isASCII && $0.isNumber || grouping.contains($0) || $0 == mark || $0 == "-" || $0 == "+" }) else { return numberWrittenWrong(trimmed) }
        // Grouping comes before the decimal mark (`1.234,5` in a table of decimal points is
        // no grouping: it read as 1.2345).
        if let markAt = trimmed.firstIndex(of: mark), trimmed[markAt...].contains(where: { grouping.contains($0) }) { return numberWrittenWrong(trimmed) }
        let plain = String(trimmed.filter { !grouping.contains($0) }).replacingOccurrences(of: String(mark), with: ".")
        guard let v = Double(plain), v.isFinite else { return numberWrittenWrong(trimmed) }
        // (Written with the table's decimal mark: `1234.5` was refused in a table of commas.)
        return "digit grouping? write numbers without it (\(plain.replacingOccurrences(of: ".", with: String(mark))))"
    }

    /// What to write for a number in a notation the reader does not take: a Unicode minus
    /// (`−5`), accounting's parentheses (`(5)`), a trailing or doubled sign (`5-`, `--5`),
    /// hexadecimal (`0x10`), digits of another script (`５`, `١٢`), grouping by the decimal
    /// mark itself (`1.234.567`), an infinity, or a number past any float (`1e5000`). Under
    /// `data.missing: mean` each was filled with the column's mean without a word.
    static func numberInAnotherNotation(_ t: String, decimal: UInt8) -> String? {
        let mark = Character(UnicodeScalar(decimal))
        let beyond = "beyond the range of 32-bit floats (±3.4e38) the training core computes in"
        /// `s` as a plain number (ASCII digits, the decimal mark, an exponent), if it is one.
        func plain<S: StringProtocol>(_ s: S) -> Double? {
            guard !s.isEmpty, s.first?.isNumber == true || s.first == mark,
                  s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == mark || "eE+-".contains($0)) }) else { return nil }
            return Double(s.replacingOccurrences(of: String(mark), with: "."))
        }
        /// `v` as the table should have it, with its decimal mark; nil past 32-bit floats
        /// (a hint must never suggest a number the reader then refuses).
        func written(_ v: Double) -> String? {
            guard v.isFinite, abs(v) <= Double(Float.greatestFiniteMagnitude) else { return nil }
            let text = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
            return mark == "," ? text.replacingOccurrences(of: ".", with: ",") : text
        }
        /// `hint` with the number written in, or the range's hint when it has none.
        func suggest(_ hint: String, _ v: Double) -> String { written(v).map { hint + $0 } ?? beyond }
        if ["inf", "infinity"].contains(t.lowercased().drop { $0 == "+" || $0 == "-" }) {
            return "an infinite value; the training core needs finite numbers: write a number, or leave the cell empty for data.missing to fill"
        }
        // A sign prefix of any length, counted once: `--5` is 5, `+-0x10` is -16.
        let signs = t.prefix { $0 == "+" || $0 == "-" }
        let negative = signs.filter { $0 == "-" }.count % 2 == 1
        let unsigned = t.dropFirst(signs.count)
        if let v = plain(unsigned), written(v) == nil { return beyond }
        if let first = t.unicodeScalars.first, ["\u{2212}", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{FE63}", "\u{FF0D}"].contains(first),
           let v = plain(t.unicodeScalars.dropFirst().map(String.init).joined()) {
            return suggest("a minus sign U+\(String(first.value, radix: 16, uppercase: true)), not the ASCII '-'? write ", -v)
        }
        if t.hasPrefix("("), t.hasSuffix(")"), let v = plain(t.dropFirst().dropLast()) {
            return suggest("a negative number in parentheses, as accounting writes it? write ", -v)
        }
        if t.count > 1, t.hasSuffix("-"), let v = plain(t.dropLast()) {
            return suggest("a trailing minus sign? write ", -v)
        }
        if signs.count > 1, let v = plain(unsigned) {
            return suggest("\(signs.count) signs? write one: ", negative ? -v : v)
        }
        let hex = unsigned.dropFirst(2)
        if unsigned.lowercased().hasPrefix("0x"), !hex.isEmpty, hex.allSatisfy(\.isHexDigit), let v = Int(hex, radix: 16) {
            return suggest("a hexadecimal number? write ", Double(negative ? -v : v))
        }
        let isDigit = { (c: Character) in c.unicodeScalars.count == 1 && c.unicodeScalars.first!.properties.numericType == .decimal }
        // (Arabic writes U+066B for its decimal mark.)
        let isMark = { (c: Character) in c == mark || c == "\u{066B}" }
        if unsigned.contains(where: { !$0.isASCII && isDigit($0) }), unsigned.allSatisfy({ isDigit($0) || isMark($0) }) {
            let digits = String(unsigned.map { isMark($0) ? "." : String($0.wholeNumberValue!) }.joined())
            if let v = Double(digits) { return suggest("digits of another script? write ", negative ? -v : v) }
        }
        let groups = unsigned.split(separator: mark, omittingEmptySubsequences: false)
        if groups.count > 2, (1...3).contains(groups[0].count), groups.dropFirst().allSatisfy({ $0.count == 3 }),
           groups.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) {
            return "digit grouping? write numbers without it (\(negative ? "-" : "")\(groups.joined()))"
        }
        return nil
    }

    /// Anything else of digits and number punctuation alone (`1.5.`, `5..0`, `1e5.5`, `5e+`,
    /// `(5`, `5 -`, `0b101`, `0x1p3`), or a numeral of another kind (`½`, `Ⅴ`, `五`): a number
    /// written wrong, not a missing value to fill (a date is said elsewhere).
    static func numberWrittenWrong(_ t: String) -> String? {
        guard t.contains(where: \.isNumber), !looksLikeDate(t),
              t.range(of: #"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"#, options: .regularExpression) == nil,
              t.allSatisfy({ $0.isNumber || $0 == " " || ".,+-()_'eExXbBoOpP\u{066B}\u{066C}\u{2212}\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}\u{FE63}\u{FF0D}\u{2044}/".contains($0) }),
              t.contains(where: { !$0.isNumber }) || t.contains(where: { !$0.isASCII }) else { return nil }
        return "not a number as written: write it with ASCII digits, one sign and one decimal mark"
    }

    /// A field's text as an error quotes it: at most 80 characters (a 10 MB cell was quoted
    /// whole).
    /// `data.ignore: [NAME]` for a hint, NAME quoted where YAML would not read it back as
    /// the same text (`Alcohol, %` pasted as written was "not valid YAML").
    static func ignoreHint(_ name: String) -> String {
        let special = ",:[]{}#&*!|>'\"%@`?-"
        let plain = !name.isEmpty && name.trimmingCharacters(in: .whitespaces) == name && !name.contains(where: { special.contains($0) })
            && Double(name) == nil && !["true", "false", "yes", "no", "null", "~", "on", "off"].contains(name.lowercased())
        let quoted = "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        return "data.ignore: [\(plain ? name : quoted)]"
    }

    static func shown(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(60)) + "… (\(text.utf8.count) bytes)"
    }

    /// Column names for a message: each ``shown(_:)``, at most `limit` of them, then how
    /// many there are (a label typo in a table of 100,000 columns printed 989 KB).
    static func listed(_ names: [String], limit: Int = 20) -> String {
        let some = names.prefix(limit).map(shown).joined(separator: ", ")
        return names.count <= limit ? some : some + ", … (\(names.count) in all)"
    }

    /// Why a header or label field whose bytes are not UTF-8 is refused.
    static let notUTF8 = "this text is not valid UTF-8 (a file saved as Latin-1 or Windows-1252?): save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 FILE > NEW"

    static func isMissingToken(_ s: String) -> Bool { MissingValueText.isMarker(s) }

    /// One field: its text (unquoted, trimmed), its number when it is a finite number, and
    /// its 1-based column in the line.
    struct Field {
        /// The unquoted text of a plain field (a view into the file).
        var raw: UnsafeRawBufferPointer?
        /// The text of a quoted field.
        var quotedText: String?
        var number: Double?
        var column: Int
        var wasEmptyLine = false
        /// A quoted field whose bytes are not UTF-8.
        var quotedNotUTF8 = false

        /// The text (built on demand: numbers are the hot path); bytes that are not UTF-8
        /// read as U+FFFD.
        var text: String { quotedText ?? raw.map { String(decoding: $0, as: UTF8.self) } ?? "" }

        /// The text, or nil when its bytes are not UTF-8.
        var validText: String? {
            if let quotedText { return quotedNotUTF8 ? nil : quotedText }
            guard let raw else { return "" }
            return String(validating: raw, as: UTF8.self)
        }
    }

    /// A cursor over the bytes that yields records of fields.
    struct Parser {
        let bytes: UnsafeRawBufferPointer
        let path: String
        let separator: UInt8
        /// The decimal mark of numbers: `.`, or `,` in a table separated otherwise.
        let decimal: UInt8
        var offset = 0
        var line = 1
        /// Fields kept of a record; a record with more is read to its end and counted, its
        /// extra fields not kept (one row of 15 million fields took 1.3 GB to be refused).
        var keptFields = Int.max
        /// The fields of the last record, kept or not, and the column of its last one.
        private(set) var lastRecordFields = 0
        private(set) var lastRecordLastColumn = 1

        init(bytes: UnsafeRawBufferPointer, path: String, separator: UInt8, decimal: UInt8 = UInt8(ascii: ".")) {
            self.bytes = bytes
            self.path = path
            self.separator = separator
            self.decimal = decimal
        }

        mutating func skipBOM() {
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { offset = 3 }
        }

        /// The line number of the next record, nil at the end.
        func peekLine() -> Int? { offset < bytes.count ? line : nil }

        /// The next record, nil at the end of the file.
        mutating func record() throws(DataError) -> [Field]? {
            guard offset < bytes.count else { return nil }
            var fields: [Field] = []
            var count = 0
            let lineStart = offset
            while true {
                let column = offset - lineStart + 1
                var field: Field
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") {
                    field = try quoted(column: column)
                } else {
                    let start = offset
                    while offset < bytes.count {
                        let b = bytes[offset]
                        if b == separator || b == 10 || b == 13 { break }
                        offset += 1
                    }
                    field = plain(start, offset, column: column)
                }
                count += 1
                lastRecordLastColumn = field.column
                if fields.count < keptFields { fields.append(field) }
                if offset >= bytes.count { break }
                let b = bytes[offset]
                if b == separator { offset += 1; continue }
                // End of line: \n, \r\n or \r.
                offset += 1
                if b == 13, offset < bytes.count, bytes[offset] == 10 { offset += 1 }
                break
            }
            if fields.count == 1, fields[0].text.isEmpty, offset - lineStart <= 2 { fields[0].wasEmptyLine = true }
            lastRecordFields = count
            line += 1
            return fields
        }

        private func plain(_ start: Int, _ end: Int, column: Int) -> Field {
            var s = start, e = end
            while s < e, bytes[s] == 32 { s += 1 }
            while e > s, bytes[e - 1] == 32 { e -= 1 }
            let raw = UnsafeRawBufferPointer(rebasing: bytes[s..<e])
            return Field(raw: raw, number: FastFloat.parse(raw, decimal: decimal), column: column + (s - start))
        }

        private mutating func quoted(column: Int) throws(DataError) -> Field {
            let startLine = line
            offset += 1
            var text: [UInt8] = []
            while true {
                guard offset < bytes.count else {
                    throw DataError.malformed(path: path, line: startLine, column: column, reason: "a quoted field is not closed")
                }
                let b = bytes[offset]
                offset += 1
                if b == UInt8(ascii: "\"") {
                    if offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") { text.append(b); offset += 1; continue }
                    break
                }
                if b == 10 { line += 1 }
                text.append(b)
            }
            // Anything up to the separator or the line end after the closing quote is an error.
            let after = offset
            while offset < bytes.count, bytes[offset] == 32 { offset += 1 }
            if offset < bytes.count, bytes[offset] != separator, bytes[offset] != 10, bytes[offset] != 13 {
                throw DataError.malformed(path: path, line: line, column: column + (after - offset), reason: "unexpected text after a closing quote")
            }
            let valid = String(validating: text, as: UTF8.self)
            let trimmed = (valid ?? String(decoding: text, as: UTF8.self)).trimmingSpaces
            let number = trimmed.utf8.withContiguousStorageIfAvailable { FastFloat.parse(UnsafeRawBufferPointer($0), decimal: decimal) } ?? nil
            return Field(quotedText: trimmed, number: number, column: column, quotedNotUTF8: valid == nil)
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// Decimal text to a number finite as a Float without allocating: the fast path for up to
/// 19 significant digits and small exponents (exact powers of ten), `strtod` otherwise.
/// The value is returned in Double (a column's spread is judged before it becomes a Float).
enum FastFloat {
    private static let powers: [Double] = (0...22).map { pow(10, Double($0)) }

    static func parse(_ text: UnsafeRawBufferPointer, decimal: UInt8 = UInt8(ascii: ".")) -> Double? {
        let n = text.count
        guard n > 0 else { return nil }
        var i = 0, negative = false
        if text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+") { negative = text[0] == UInt8(ascii: "-"); i = 1 }
        var mantissa: UInt64 = 0, digits = 0, exponent = 0, sawDigit = false
        while i < n, text[i] &- 48 < 10 {
            if digits < 19 { mantissa = mantissa * 10 + UInt64(text[i] - 48); if mantissa > 0 { digits += 1 } } else { exponent += 1 }
            sawDigit = true
            i += 1
        }
        if i < n, text[i] == decimal {
            i += 1
            while i < n, text[i] &- 48 < 10 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(text[i] - 48); if mantissa > 0 { digits += 1 }; exponent -= 1 }
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < n, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false, e = 0, expDigit = false
            if i < n, text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") { expNegative = text[i] == UInt8(ascii: "-"); i += 1 }
            while i < n, text[i] &- 48 < 10 { if e < 10_000 { e = e * 10 + Int(text[i] - 48) }; expDigit = true; i += 1 }
            guard expDigit else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return nil }
        var value: Double
        if mantissa < (1 << 53), abs(exponent) <= 22 {
            value = Double(mantissa)
            value = exponent >= 0 ? value * powers[exponent] : value / powers[-exponent]
        } else {
            value = slow(text, decimal: decimal)
        }
        let v = negative ? -value : value
        return Float(v).isFinite ? v : nil
    }

    private static func slow(_ text: UnsafeRawBufferPointer, decimal: UInt8) -> Double {
        var buffer = [CChar](repeating: 0, count: text.count + 1)
        for (i, b) in text.enumerated() { buffer[i] = CChar(bitPattern: b == decimal ? UInt8(ascii: ".") : b) }
        let v = strtod(buffer, nil)
        return abs(v) // the sign is applied by the caller
    }
}


/// The texts a table writes for a missing value: never a number, nor a column's name.
public enum MissingValueText {
    /// Whether `s` is one (`NA`, `NaN`, empty; pandas' markers as well: `#N/A` from Excel,
    /// `None`, `<NA>`).
    public static func isMarker(_ s: String) -> Bool {
        switch s {
        case "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "?", "", "#N/A", "#N/A N/A", "#NA", "n/a", "None", "<NA>", "-NaN", "-nan": true
        default: false
        }
    }
}
