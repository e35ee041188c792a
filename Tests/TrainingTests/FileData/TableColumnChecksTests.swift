import Foundation
import Testing
import Randomness
@testable import Training

/// Tables whose numbers the reader would have got wrong without a word: decimal commas,
/// text filled as missing, columns with no value, and spreads 32-bit floats cannot resolve.
@Suite("CSV columns a model cannot learn from")
struct TableColumnChecksTests {
    /// 40 rows `alcohol;ash;class` written as a European export: `14,25;2,5;a`.
    func european(_ dir: DataDirectory, wholeNumbersPlain: Bool = false) throws -> String {
        let lines = (0..<40).map { i -> String in
            let alcohol = 12 + Double(i) * 0.25
            let text = wholeNumbersPlain && alcohol == alcohol.rounded() ? "\(Int(alcohol))" : String(format: "%.2f", alcohol).replacingOccurrences(of: ".", with: ",")
            return "\(text);\(i % 5),5;\(i % 2 == 0 ? "a" : "b")"
        }
        return try dir.write("eu.csv", (["alcohol;ash;class"] + lines).joined(separator: "\n") + "\n")
    }

    @Test func decimalCommasAreReadWithTheDecimalSetting() throws {
        let dir = try DataDirectory()
        let path = try european(dir)
        let data = try loadData(#"{"dataset": "csv", "train_file": "\#(path)", "label": "class", "separator": ";", "decimal": ",", "scaling": "none", "validation": 0, "test": 0}"#)
        let values = Set(rows(data.train).map { $0[0] })
        #expect(values == Set((0..<40).map { Float(12 + Double($0) * 0.25) }))
        #expect(Set(rows(data.train).map { $0[1] }) == [0.5, 1.5, 2.5, 3.5, 4.5])
    }

    @Test func decimalCommasWithoutTheSettingAreRefusedWithTheHint() throws {
        let dir = try DataDirectory()
        let path = try european(dir)
        let plain = try dataFailure(#"{"dataset": "csv", "train_file": "\#(path)", "label": "class", "separator": ";"}"#)
        #expect(plain == "\(path):2:1: '12,00' in column 'alcohol' is not a finite number (a decimal comma? set data.decimal: \",\" (with data.separator: \";\"))")
        // Filled as missing, 30 of 40 values were the column mean, and training went on; a
        // single one was filled without a word. A number written otherwise is no missing value.
        let mixed = try european(dir, wholeNumbersPlain: true)
        let filled = try dataFailure(#"{"dataset": "csv", "train_file": "\#(mixed)", "label": "class", "separator": ";", "missing": "mean"}"#)
        #expect(filled == "\(mixed):2:4: '0,5' in column 'ash' is not a finite number (a decimal comma? set data.decimal: \",\" (with data.separator: \";\"))")
        let grouped = try dir.write("grouped.csv", "a,b,y\n1,\"1,234.5\",x\n" + (0..<8).map { "\($0),\($0 * 3),\($0 % 2 == 0 ? "x" : "y")" }.joined(separator: "\n") + "\n")
        for missing in ["error", "mean", "zero"] {
            #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(grouped)", "label": "y", "missing": "\#(missing)"}"#)
                    == "\(grouped):2:3: '1,234.5' in column 'b' is not a finite number (digit grouping? write numbers without it (1234.5))")
        }
        #expect(DelimitedTable.numberWrittenOtherwise("1 234", decimal: UInt8(ascii: "."), predicting: false) != nil)
        #expect(DelimitedTable.numberWrittenOtherwise("1.234,5", decimal: UInt8(ascii: ","), predicting: false) == "digit grouping? write numbers without it (1234,5)")
        #expect(DelimitedTable.numberWrittenOtherwise("1 234,5", decimal: UInt8(ascii: ","), predicting: false) == "digit grouping? write numbers without it (1234,5)")
        // A comma after the decimal point is no grouping (it read as 1.2345); a Unicode minus
        // with the other decimal mark, and a fraction slash, are refused too.
        #expect(DelimitedTable.numberWrittenOtherwise("1.234,5", decimal: UInt8(ascii: "."), predicting: false) != "digit grouping? write numbers without it (1.2345)")
        for (text, decimal) in [("\u{2212}1.5", ","), ("\u{2010}1.5", ","), ("1\u{2044}2", ".")] {
            #expect(DelimitedTable.numberWrittenOtherwise(text, decimal: UInt8(ascii: decimal == "," ? "," : "."), predicting: false) != nil, "\(text)")
        }
        #expect(DelimitedTable.numberWrittenOtherwise("abc", decimal: UInt8(ascii: "."), predicting: false) == nil)
        #expect(DelimitedTable.numberWrittenOtherwise("NA", decimal: UInt8(ascii: "."), predicting: false) == nil)
        // A range or a code of digits is no number either: refused rather than filled.
        #expect(DelimitedTable.numberWrittenOtherwise("1-2", decimal: UInt8(ascii: "."), predicting: false) == "not a number as written: write it with ASCII digits, one sign and one decimal mark")
        // A number with a unit: data.missing would blank the whole column (said next: "holds
        // no numbers"), so the hint is to write the numbers alone.
        for (text, bare) in [("2%", "2"), ("$3.50", "3.50"), ("12 kg", "12"), ("3,5 €", "3,5")] {
            let decimal = UInt8(ascii: text.contains(",") ? "," : ".")
            #expect(DelimitedTable.numberWrittenOtherwise(text, decimal: decimal, predicting: false)
                    == "a number with a unit? write the numbers alone (\(bare)), or leave the column out with data.ignore", "\(text)")
        }
    }

    /// Numbers in notations the reader does not take were filled with the column's mean
    /// under `data.missing: mean` without a word (a Unicode minus, accounting's
    /// parentheses, other scripts' digits, ...): refused in every mode, with what to write.
    @Test func numbersInAnotherNotationAreRefusedWithWhatToWrite() throws {
        let dot = UInt8(ascii: "."), comma = UInt8(ascii: ",")
        let cases: [(String, UInt8, String)] = [
            ("\u{2212}5", dot, "a minus sign U+2212, not the ASCII '-'? write -5"),
            ("\u{2013}2.5", dot, "a minus sign U+2013, not the ASCII '-'? write -2.5"),
            ("(5)", dot, "a negative number in parentheses, as accounting writes it? write -5"),
            ("5-", dot, "a trailing minus sign? write -5"),
            ("--5", dot, "2 signs? write one: 5"),
            ("+-5", dot, "2 signs? write one: -5"),
            ("+-0x10", dot, "a hexadecimal number? write -16"),
            ("--\u{FF15}", dot, "digits of another script? write 5"),
            // With decimal commas, the number is written with one.
            ("(1,5)", comma, "a negative number in parentheses, as accounting writes it? write -1,5"),
            ("\u{2212}1,5", comma, "a minus sign U+2212, not the ASCII '-'? write -1,5"),
            // Never a number the reader then refuses.
            ("\u{2212}1e5000", dot, "beyond the range of 32-bit floats (±3.4e38) the training core computes in"),
            ("(1e39)", dot, "beyond the range of 32-bit floats (±3.4e38) the training core computes in"),
            ("0x10", dot, "a hexadecimal number? write 16"),
            ("\u{FF15}", dot, "digits of another script? write 5"),
            ("\u{0661}\u{0662}", dot, "digits of another script? write 12"),
            ("1.234.567", dot, "digit grouping? write numbers without it (1234567)"),
            ("1,234,567", comma, "digit grouping? write numbers without it (1234567)"),
            ("1e5000", dot, "beyond the range of 32-bit floats (±3.4e38) the training core computes in"),
        ]
        for (text, decimal, hint) in cases {
            #expect(DelimitedTable.numberWrittenOtherwise(text, decimal: decimal, predicting: false) == hint, "\(text)")
        }
        for text in ["1.5.", "5..0", "1e5.5", "5e+", "(5", "5 -", "0b101", "0o17", "0x1p3", "0x-5", "5\u{00B2}", "\u{00BD}", "\u{2164}", "\u{4E94}"] {
            #expect(DelimitedTable.numberWrittenOtherwise(text, decimal: dot, predicting: false) == "not a number as written: write it with ASCII digits, one sign and one decimal mark", "\(text)")
        }
        #expect(DelimitedTable.numberWrittenOtherwise("\u{2010}5", decimal: dot, predicting: false) == "a minus sign U+2010, not the ASCII '-'? write -5")
        #expect(DelimitedTable.numberWrittenOtherwise("\u{0663}\u{066B}\u{0665}", decimal: dot, predicting: false) == "digits of another script? write 3.5")
        for text in ["inf", "-Infinity", "+inf"] {
            #expect(DelimitedTable.numberWrittenOtherwise(text, decimal: dot, predicting: false)?.hasPrefix("an infinite value") == true, "\(text)")
        }
        // Text, missing markers, a decimal number, dates and superscripts are none of them.
        for text in ["abc", "NA", "-nan", "1.234", "12", "2020-01-31", "-", "(a)", "x-"] {
            #expect(DelimitedTable.numberWrittenOtherwise(text, decimal: dot, predicting: false) == nil, "\(text)")
        }
        // In a table: refused under data.missing: mean, and the error-mode hint says what to
        // write (it said to set data.missing, which filled it).
        let dir = try DataDirectory()
        let path = try dir.write("minus.csv", "a,b,y\n1,\u{2212}5,x\n" + (2..<10).map { "\($0),\($0 * 3),\($0 % 2 == 0 ? "x" : "z")" }.joined(separator: "\n") + "\n")
        for missing in ["error", "mean", "zero"] {
            #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "missing": "\#(missing)"}"#)
                    == "\(path):2:3: '\u{2212}5' in column 'b' is not a finite number (a minus sign U+2212, not the ASCII '-'? write -5)", "\(missing)")
        }
    }

    @Test func aDecimalCommaNeedsAnotherSeparator() throws {
        let f = decodingFailure { _ = try decodeConfig(DataConfig.self, #"{"dataset": "csv", "train_file": "x.csv", "label": "y", "decimal": ","}"#) }
        #expect(f?.path == "decimal" && f?.message.hasPrefix("a decimal comma needs another field separator") == true, "\(String(describing: f))")
        let other = decodingFailure { _ = try decodeConfig(DataConfig.self, #"{"dataset": "csv", "train_file": "x.csv", "label": "y", "separator": ";", "decimal": "·"}"#) }
        #expect(other?.message == "must be \".\" or \",\", got '·'")
    }

    @Test func mostlyTextColumnsAreRefusedUnderFilling() throws {
        let dir = try DataDirectory()
        let mostlyText = (0..<20).map { i in "\(i),\(i < 15 ? "unknown" : "\(i)"),\(i % 2)" }
        let text = try dir.write("text.csv", (["x,income,y"] + mostlyText).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(text)", "label": "y", "missing": "mean"}"#)
            == "\(text):2:3: column 'income' holds text in 15 of its 20 values ('unknown'), only text the training core cannot use: leave it out with data.ignore: [income], or encode it as numbers (one column per category)")
        // A few words among numbers are filled, as documented.
        let fewWords = (0..<20).map { i in "\(i),\(i < 3 ? "unknown" : "\(i)"),\(i % 2)" }
        let few = try dir.write("few.csv", (["x,income,y"] + fewWords).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(few)", "label": "y", "missing": "mean"}"#) == nil)
        let empty = (0..<20).map { i in "\(i),\(i % 3 == 0 ? "NaN" : ""),\(i % 2)" }
        let none = try dir.write("none.csv", (["x,blank,y"] + empty).joined(separator: "\n"))
        // A column with no value is kept (filled, a constant the scaling zeroes): the empty
        // last column of a file whose lines end with a separator (Kaggle's breast cancer set).
        for policy in ["mean", "zero"] {
            #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(none)", "label": "y", "missing": "\#(policy)"}"#) == nil)
        }
        // The checks read the training file only: a small test file with the column empty is filled.
        let test = try dir.write("test.csv", "x,income,y\n1,unknown,0\n2,,1\n")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(few)", "test_file": "\#(test)", "label": "y", "missing": "mean"}"#) == nil)
        // A thousands separator gets no decimal-comma hint (it would read 1,234 as 1.234).
        #expect(DelimitedTable.decimalCommaHint("1,234", decimal: UInt8(ascii: "."), predicting: false) == nil)
        #expect(DelimitedTable.decimalCommaHint("12,25", decimal: UInt8(ascii: "."), predicting: false) != nil)
    }

    /// Unix timestamps 0-200 s apart read as three distinct Float values: a label that
    /// depends on them was learned at chance (0.54 against scikit-learn's 1.0).
    @Test func aSpreadFloatsCannotResolveIsRefused() throws {
        let dir = try DataDirectory()
        let lines = (0..<40).map { i in "\(1_700_000_000 + i * 5),\(i % 2)" }
        let path = try dir.write("ts.csv", (["ts,y"] + lines).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(path)", "label": "y"}"#)
            == "\(path):1:1: column 'ts' varies by 195 around 1700000195, finer than the 32-bit floats the training core computes in can tell apart (steps of 128 there): subtract an offset from it first (e.g. ts - 1700000000)")
        // Large values that vary enough for floats (a customer id, milliseconds over days) load.
        let ids = (0..<40).map { i in "\(10_000_000 + i * 97),\(1_700_000_000_000 + i * 86_400_000),\(i % 2)" }
        let fine = try dir.write("fine.csv", (["id,ms,y"] + ids).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(fine)", "label": "y"}"#) == nil)
    }

    /// pandas' `to_csv` writes its index as an unnamed first column: a feature that is the
    /// row number (a file sorted by class scored 1.0 on it).
    @Test func anUnnamedColumnOfRowNumbersIsRefused() throws {
        let dir = try DataDirectory()
        let lines = (0..<30).map { i in "\(i),\(Double(i % 7) * 0.5),\(i < 15 ? "a" : "b")" }
        let path = try dir.write("pandas.csv", ([",x,y"] + lines).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(path)", "label": "y"}"#)
            == "\(path):1:1: column 1 ('') has no name and holds a different whole number in every row (an index that pandas' to_csv wrote?): leave it out with data.ignore: [\"\"], write the file with index=False, or give the column a name to train on it")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "ignore": [""]}"#) == nil)
        // The index of a split or shuffled frame (`Unnamed: 0` as pandas reads it back) is
        // not in order: it was trained on without a word.
        var shuffled = SeededGenerator(seed: 4)
        let permuted = (0..<30).map { "\($0)" }.shuffled(using: &shuffled)
        let split = try dir.write("split.csv", (["Unnamed: 0,x,y"] + zip(permuted, lines).map { "\($0),\($1.split(separator: ",", maxSplits: 1)[1])" }).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(split)", "label": "y"}"#)?.contains("column 1 ('Unnamed: 0') has no name and holds a different whole number in every row") == true)
        // A named column of row numbers (an id the user chose) and an unnamed one whose values repeat load.
        let named = try dir.write("named.csv", (["id,x,y"] + lines).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(named)", "label": "y"}"#) == nil)
        let other = try dir.write("other.csv", ([",x,y"] + (0..<30).map { i in "\(i % 9),\(Double(i % 7) * 0.5),\(i < 15 ? "a" : "b")" }).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(other)", "label": "y"}"#) == nil)
        // Nor distinct whole numbers far beyond the row count (prices under a blank header cell).
        let prices = try dir.write("prices.csv", ([",x,y"] + (0..<30).map { i in "\(1000 + 37 * i),\(Double(i % 7) * 0.5),\(i < 15 ? "a" : "b")" }).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(prices)", "label": "y"}"#) == nil)
    }

    /// Dates, decimal points under `decimal: ","`, and a gzipped .npy get a hint that fits.
    @Test func hintsForDatesDecimalPointsAndGzippedArrays() throws {
        let dir = try DataDirectory()
        let dated = try dir.write("dated.csv", "when,x,y\n2020-01-31,1,a\n2020-02-01,2,b\n")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(dated)", "label": "y"}"#)
            == "\(dated):2:1: '2020-01-31' in column 'when' is not a finite number (a date or time? leave the column out with data.ignore: [when], or write it as numbers (e.g. days or seconds since a start))")
        let points = try dir.write("points.csv", "x;y\n14.5;a\n2.25;b\n")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(points)", "label": "y", "separator": ";", "decimal": ","}"#)
            == "\(points):2:1: '14.5' in column 'x' is not a finite number (a decimal point, while data.decimal is ','? remove data.decimal)")
        let x = try dir.npy("x.npy", descr: "<f4", shape: [4, 1], payload: littleEndian([1, 2, 3, 4] as [Float]))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-f", x]
        try gzip.run()
        gzip.waitUntilExit()
        let failure = try dataFailure(#"{"dataset": "npy", "train_file": "\#(x).gz", "train_labels": "\#(x).gz"}"#)
        #expect(failure?.contains("it is gzip-compressed: .npy and .npz files are read uncompressed, gunzip it first") == true, "\(failure ?? "loaded")")
    }

    /// `header: false` on a file with a header: its line 1 was trained on as a sample (its
    /// text filled as missing, or pandas' `0,1,2,...` header read as numbers, its label a class).
    @Test func aHeaderReadAsDataIsRefused() throws {
        let dir = try DataDirectory()
        let rows = (0..<30).map { i in "\(Double(i % 7) * 0.5),\(i % 3),\(i % 2)" }
        let pandas = try dir.write("pandas.csv", (["0,1,2"] + rows).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(pandas)", "label": "2", "header": false}"#)
            == "\(pandas):1:1: line 1 is 0,1,2,...,2: the header pandas writes for columns without names, not a sample; remove data.header: false (the columns keep their names '0', '1', ...)")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(pandas)", "label": "2"}"#) == nil)
        let named = try dir.write("named.csv", (["alcohol,ash,class"] + rows).joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(named)", "label": "2", "header": false, "missing": "mean"}"#)
            == "\(named):1:1: 'alcohol' in column '0' is the only text in a column of numbers: line 1 looks like a header; remove data.header: false")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(named)", "label": "2", "header": false}"#)
            == "\(named):1:1: 'alcohol' in column '0' is not a finite number (is line 1 a header? remove data.header: false)")
        // A file without a header whose first row is data loads.
        let plain = try dir.write("plain.csv", rows.joined(separator: "\n"))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(plain)", "label": "2", "header": false}"#) == nil)
    }

    /// A numeric target without `task: regression` is read as classes: a value only the
    /// validation file has is refused with the hint to set the task.
    @Test func manyNumericClassesHintAtRegression() throws {
        let dir = try DataDirectory()
        let train = try dir.write("train.csv", (["x,y"] + (0..<60).map { "\($0),\(100 + $0 % 30)" }).joined(separator: "\n"))
        let validation = try dir.write("val.csv", "x,y\n1,345\n")
        let failure = try dataFailure(#"{"dataset": "csv", "train_file": "\#(train)", "validation_file": "\#(validation)", "label": "y", "test": 0}"#)
        #expect(failure?.hasSuffix("(the labels are 31 distinct numbers: a numeric target? set data.task: regression)") == true, "\(failure ?? "loaded")")
    }

    @Test func aRegressionTargetWithADecimalCommaKeepsItsValue() throws {
        let dir = try DataDirectory()
        let lines = (0..<30).map { i in "\(i);\(i / 2),\(i % 2 == 0 ? "0" : "5")" }
        let path = try dir.write("r.csv", (["x;y"] + lines).joined(separator: "\n"))
        let data = try loadData(#"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "separator": ";", "decimal": ",", "task": "regression", "target_scaling": "none", "scaling": "none", "validation": 0, "test": 0}"#)
        for (row, target) in zip(rows(data.train), data.train.targets) {
            #expect(target == Float(row[0]) / 2, "row \(row[0])")
        }
    }
}
