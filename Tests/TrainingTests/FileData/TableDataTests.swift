import Foundation
import Testing
@testable import Training

/// CSV and TSV data sets: columns, classes, splits, missing values and every malformed table.
@Suite("CSV/TSV data sets")
struct TableDataTests {
    /// 60 rows: id, a (= the row number, identifies the row), b, species (20 per class).
    func animals(_ dir: DataDirectory) throws -> String {
        let species = ["dog", "cat", "eel"]
        let lines = (0..<60).map { i in "\(1000 + i),\(i),\(Double(i) * 0.5),\(species[i % 3])" }
        return try dir.write("animals.csv", (["id,a,b,species"] + lines).joined(separator: "\n") + "\n")
    }

    @Test func columnsClassesAndStratifiedSeededSplits() throws {
        let dir = try DataDirectory()
        let path = try animals(dir)
        let json = #"{"dataset": "csv", "train_file": "\#(path)", "label": "species", "ignore": ["id"], "validation": 0.25, "test": 0.25, "seed": 3}"#
        let data = try loadData(json)
        #expect(data.classNames == ["cat", "dog", "eel"] && data.sampleShape == [2])
        #expect(data.train.count == 30 && data.validation.count == 15 && data.test.count == 15)
        var seen: [Float] = []
        let species = ["dog", "cat", "eel"]
        for split in Split.allCases {
            let s = data.split(split)
            // Stratified: every class has its share in every split.
            for c in 0..<3 { #expect(s.labels.filter { $0 == Int32(c) }.count == s.count / 3) }
            for (row, label) in zip(rows(s), s.labels) {
                let i = Int(row[0])
                #expect(row[1] == Float(i) * 0.5)
                #expect(data.classNames[Int(label)] == species[i % 3])
                seen.append(row[0])
            }
        }
        #expect(seen.sorted() == (0..<60).map(Float.init))
        #expect(try loadData(json).validation.features == data.validation.features)
        let other = try loadData(json.replacingOccurrences(of: #""seed": 3"#, with: #""seed": 4"#))
        #expect(other.validation.features != data.validation.features)
    }

    @Test func classesListOrdersTheClassesAndRejectsOthers() throws {
        let dir = try DataDirectory()
        let path = try animals(dir)
        let data = try loadData(#"{"dataset": "csv", "train_file": "\#(path)", "label": "species", "classes": ["eel", "dog", "cat"], "test": 0}"#)
        #expect(data.classNames == ["eel", "dog", "cat"])
        for (row, label) in zip(rows(data.train), data.train.labels) {
            #expect(["dog", "cat", "eel"][Int(row[1]) % 3] == data.classNames[Int(label)])
        }
        let failure = try dataFailure(#"{"dataset": "csv", "train_file": "\#(path)", "label": "species", "classes": ["dog", "cat"]}"#)
        #expect(failure == "data: label 'eel' at \(path):4 is not one of the classes [dog, cat]")
    }

    @Test func integerLabelsAndTSVColumns() throws {
        let dir = try DataDirectory()
        let lines = (0..<20).map { i in "\(i)\t\(i * 2)\t\(i % 2 == 0 ? 3 : 1)" }
        let path = try dir.write("t.tsv", (["x\ty\tlabel"] + lines).joined(separator: "\r\n"))
        let data = try loadData(#"{"dataset": "tsv", "train_file": "\#(path)", "label": "label", "columns": ["y"], "validation": 4, "test": 0}"#)
        #expect(data.classNames == ["1", "3"] && data.sampleShape == [1])
        #expect(data.train.count == 16 && data.validation.count == 4 && data.test.count == 0)
        for (row, label) in zip(rows(data.train), data.train.labels) {
            #expect((Int(row[0]) / 2) % 2 == (label == 1 ? 0 : 1))
        }
    }

    @Test func explicitValidationAndTestFiles() throws {
        let dir = try DataDirectory()
        let header = "f1,f2,y\n"
        let train = try dir.write("train.csv", header + (0..<10).map { "\($0),1,\($0 % 2 == 0 ? "no" : "yes")" }.joined(separator: "\n"))
        let validation = try dir.write("val.csv", header + "5,5,yes\n6,6,no\n7,7,yes\n")
        let test = try dir.write("test.csv", header + "\"8\", 8 ,no\n")
        let data = try loadData(#"{"dataset": "csv", "train_file": "\#(train)", "validation_file": "\#(validation)", "test_file": "\#(test)", "label": "y"}"#)
        #expect(data.train.count == 10 && data.validation.count == 3 && data.test.count == 1)
        #expect(data.validation.labels == [1, 0, 1] && rows(data.test) == [[8, 8]])
        let other = try dir.write("other.csv", "f1,f3,y\n1,2,no\n")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(train)", "test_file": "\#(other)", "label": "y"}"#)
            == "\(other):1:1: lacks the feature column(s) f2 of \(train), and has f3 that it has not")
        // The column missing is named (it said: samples of shape [1], those of train.csv [2]).
        let fewer = try dir.write("fewer.csv", "f1,y\n1,no\n")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(train)", "test_file": "\#(fewer)", "label": "y"}"#)
            == "\(fewer):1:1: lacks the feature column(s) f2 of \(train)")
        let swapped = try dir.write("swapped.csv", "f2,f1,y\n1,2,no\n")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(train)", "test_file": "\#(swapped)", "label": "y"}"#)
            == "\(swapped):1:1: has the feature columns of \(train) in another order: [f2, f1] against [f1, f2]; write them in the same order, or set data.columns: [f1, f2] (it reads those columns in that order from every file)")
        // A column only the test file has: data.columns, as said (data.ignore would name a column the others lack).
        let extra = try dir.write("extra.csv", "f1,id,f2,y\n1,77,2,no\n")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(train)", "test_file": "\#(extra)", "label": "y"}"#)
            == "\(extra):1:1: has the feature column(s) id that \(train) has not; data.columns: [f1, f2] reads those columns, in that order, from every file")
        for file in [extra, swapped] {
            let fixed = try loadData(#"{"dataset": "csv", "train_file": "\#(train)", "test_file": "\#(file)", "label": "y", "columns": ["f1", "f2"]}"#)
            #expect(rows(fixed.test) == [file == extra ? [1, 2] : [2, 1]])
        }
    }

    /// A FIFO named as a data file is refused at once (opening it waited for a writer, and
    /// `sweep validate` hung).
    @Test(.timeLimit(.minutes(1))) func aFIFOIsRefusedWithoutWaiting() throws {
        let dir = try DataDirectory()
        let fifo = dir.path + "/pipe.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        let message = try dataFailure(#"{"dataset": "csv", "train_file": "\#(fifo)", "label": "y"}"#)
        #expect(message?.contains("not a regular file (a pipe or a device)") == true, "\(String(describing: message))")
    }

    /// Binary files and wide tables give short errors: a file of zeros was read as one line
    /// of megabytes (gigabytes of memory, the line echoed as its header), and a label typo in
    /// a table of 100,000 columns printed every name.
    @Test func binaryFilesAndWideTablesGiveShortErrors() throws {
        let dir = try DataDirectory()
        let zeros = try dir.write("zeros.csv", [UInt8](repeating: 0, count: 3 << 20))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(zeros)", "label": "y"}"#)
            == "\(zeros):1:1: a NUL byte: this is binary data, not a text table (CSV or TSV)")
        let late = try dir.write("late.csv", Array("a,b,y\n1,2,p\n3,".utf8) + [0] + Array("4,q\n".utf8))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(late)", "label": "y"}"#)
            == "\(late):3:3: a NUL byte: this is binary data, not a text table (CSV or TSV)")
        let utf16 = try dir.write("u16.csv", Array("a,b,y\n1,2,p\n".utf8).flatMap { [$0, 0] })
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(utf16)", "label": "y"}"#)?.contains("the file seems UTF-16 text: save it as UTF-8") == true)
        let names = (0..<5000).map { "feature_\($0)" }
        let wide = try dir.write("wide.csv", (names + ["y"]).joined(separator: ",") + "\n" + Array(repeating: "1", count: 5000).joined(separator: ",") + ",p\n")
        let message = try #require(try dataFailure(#"{"dataset": "csv", "train_file": "\#(wide)", "label": "label"}"#))
        #expect(message.count < 1000 && message.contains("feature_0, feature_1,") && message.contains("… (5001 in all)"), "\(message.prefix(2000))")
    }

    /// UCI-style files: no header (columns named by position from 0, as pandas'
    /// `header=None`), and `;`-separated tables; both read as the headed CSV does.
    @Test func headerlessAndSemicolonTables() throws {
        let dir = try DataDirectory()
        let path = try animals(dir)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let body = text.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n"
        let headerless = try dir.write("animals.data", body)
        let semicolons = try dir.write("animals-semi.csv", text.replacingOccurrences(of: ",", with: ";"))
        let reference = try loadData(#"{"dataset": "csv", "train_file": "\#(path)", "label": "species", "ignore": ["id"], "seed": 3}"#)
        let byPosition = try loadData(#"{"dataset": "csv", "train_file": "\#(headerless)", "header": false, "label": 3, "ignore": [0], "seed": 3}"#)
        let bySemicolon = try loadData(#"{"dataset": "csv", "train_file": "\#(semicolons)", "separator": ";", "label": "species", "ignore": ["id"], "seed": 3}"#)
        for data in [byPosition, bySemicolon] {
            #expect(data.classNames == reference.classNames)
            #expect(data.train.features == reference.train.features && data.test.labels == reference.test.labels)
        }
        #expect(byPosition.featureColumns == ["1", "2"] && bySemicolon.featureColumns == ["a", "b"])
        // Read with the defaults, each says what to set.
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(headerless)", "label": "species"}"#)
            == "\(headerless):1:1: no label column 'species' (the columns are: 1000, 0, 0.0, dog); the first row holds numbers: if the file has no header, set data.header: false and name columns by position from 0")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(semicolons)", "label": "species"}"#)
            == "\(semicolons):1:1: no label column 'species' (the columns are: id;a;b;species); the header is one column: if its fields are separated by ';', set data.separator")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(headerless)", "header": false, "label": 4}"#)
            == "\(headerless):1:1: no label column '4' (the columns are: 0, 1, 2, 3); the file has no header (data.header: false), so its columns are numbered from 0")
        let short = try dir.write("short.data", "1,2,p\n3,p\n")
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(short)", "header": false, "label": 2, "validation": 0, "test": 0}"#)
            == "\(short):2:3: this row has 2 fields, the first row has 3")
    }

    @Test func missingValuesFilledFromTheTrainingSplit() throws {
        let dir = try DataDirectory()
        let path = try dir.write("m.csv", "a,b,y\n1,,p\n3,NA,q\n,4,p\n5,8,q\n")
        let json = #"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "validation": 0, "test": 0, "missing": "mean"}"#
        let filled = try loadData(json)
        #expect(rows(filled.train) == [[1, 6], [3, 6], [3, 4], [5, 8]])
        // The fill values are the data set's, for the model file (prediction fills the same way).
        #expect(filled.missingFill == [3, 6])
        let zero = try loadData(json.replacingOccurrences(of: "mean", with: "zero"))
        #expect(rows(zero.train) == [[1, 0], [3, 0], [0, 4], [5, 8]] && zero.missingFill == [0, 0])
        let full = try dir.write("full.csv", "a,b,y\n1,2,p\n5,8,q\n")
        #expect(try loadData(#"{"dataset": "csv", "train_file": "\#(full)", "label": "y", "validation": 0, "test": 0}"#).missingFill == nil)
    }

    /// A gzipped table is read inflated (`digits.csv.gz` read as binary noise); a UTF-16
    /// one is refused as such (it was "Latin-1?", and iconv from Latin-1 made it worse); a
    /// gzip stream cut short says so (it named the inflated part's size as the file's).
    @Test func gzippedTablesAreReadAndUTF16AndTruncatedOnesSaidAsSuch() throws {
        let dir = try DataDirectory()
        let text = "a,b,y\n" + (0..<30).map { "\($0),\($0 % 7),\($0 % 2 == 0 ? "p" : "q")" }.joined(separator: "\n") + "\n"
        let plain = try dir.write("t.csv", text)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", "-n", plain]
        try gzip.run()
        gzip.waitUntilExit()
        let json = { (file: String) in #"{"dataset": "csv", "train_file": "\#(file)", "label": "y", "validation": 0, "test": 0}"# }
        let inflated = try loadData(json(plain + ".gz")), original = try loadData(json(plain))
        #expect(inflated.train.count == 30 && inflated.train.features == original.train.features && inflated.train.labels == original.train.labels)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: plain + ".gz")))
        let cut = try dir.write("cut.csv.gz", Array(bytes.prefix(bytes.count - 12)))
        let truncated = try dataFailure(json(cut)) ?? ""
        #expect(truncated.contains("the gzip data ends early (a truncated file? `gzip -t` checks it)"), "\(truncated)")
        let utf16 = try dir.write("u.csv", [0xFF, 0xFE] + Array("a,b,y\n1,2,p\n".utf16).flatMap { [UInt8($0 & 255), UInt8($0 >> 8)] })
        #expect(try dataFailure(json(utf16)) == "\(utf16):1:1: the file is UTF-16 text (Excel's \"Unicode text\"?): save it as UTF-8, e.g. iconv -f utf-16 -t utf-8 FILE > NEW")
    }

    /// Every malformed table fails with its file, line and column.
    @Test(arguments: [
        ("a,b,y\n1,2,p\n3,4\n", "y", ":3:3: this row has 2 fields, the header has 3"),
        ("a,b,y\n1,zz,p\n", "y", ":2:3: 'zz' in column 'b' is not a finite number (a text column? leave it out with data.ignore: [b]; data.missing: mean or zero fills values that are missing)"),
        ("a,b,y\n1,-,p\n", "y", ":2:3: '-' in column 'b' is not a finite number (set data.missing: mean or zero to fill it)"),
        // A name YAML would not read back as written is quoted in the hint (pasted, it was "not valid YAML").
        ("a,\"Alcohol, %\",y\n1,zz,p\n", "y", ":2:3: 'zz' in column 'Alcohol, %' is not a finite number (a text column? leave it out with data.ignore: [\"Alcohol, %\"]; data.missing: mean or zero fills values that are missing)"),
        // Lines that end with a separator (an Excel export): filling the column was the hint.
        ("a,b,y,\n1,2,p,\n", "y", ":2:7: missing value in a column without a name (do the lines end with a separator?): leave it out with data.ignore: [\"\"]"),
        ("a,b,y\n1,NaN,p\n", "y", ":2:3: missing value in column 'b' (set data.missing: mean or zero to fill it)"),
        ("a,b,y\n1,,p\n", "y", ":2:3: missing value in column 'b' (set data.missing: mean or zero to fill it)"),
        ("a,b,y\n1,1e999,p\n", "y", ":2:3: '1e999' in column 'b' is not a finite number (beyond the range of 32-bit floats (±3.4e38) the training core computes in)"),
        ("a,b,y\n1,-1e300,p\n", "y", ":2:3: -1e300 in column 'b' is beyond the range of 32-bit floats (±3.4e38) the training core computes in"),
        // A column named by position in a file with a header: said that needs header: false.
        ("a,b,y\n1,2,p\n3,4,q\n", "2", ":1:1: no label column '2' (the columns are: a, b, y); columns are named by their position from 0 only in a file without a header (data.header: false): this file's first row names them"),
        // sklearn's files begin with a line of counts: the hints built on it sent users astray.
        ("3,2,p,q\n1,2,p\n3,4,q\n", "y", ":1:1: no label column 'y'; line 1 has 4 field(s) and lines 2 and 3 have 3: if line 1 is not part of the table (sklearn's data files begin with counts), remove it, e.g. tail -n +2 FILE > NEW"),
        ("3,2,p,q\n1,2,p\n3,4,q\n", "2", ":2:5: this row has 3 fields, the header has 4; line 1 has 4 field(s) and lines 2 and 3 have 3: if line 1 is not part of the table (sklearn's data files begin with counts), remove it, e.g. tail -n +2 FILE > NEW"),
        // A header one field short is not counts (R's row names): no advice to remove it.
        ("a,b,y\n\"1\",0.5,0.2,p\n\"2\",0.1,0.3,q\n", "label", ":1:1: no label column 'label' (the columns are: a, b, y)"),
        ("506,13,,\na,b,c,y\n1,2,3,p\n", "y", ":1:9: column name '' appears twice; line 2 looks like the column names: if line 1 is not part of the table (sklearn's data files begin with counts), remove it, e.g. tail -n +2 FILE > NEW"),
        ("a,b,species\n1,2,p\n", "spceies", ":1:1: no label column 'spceies'; did you mean 'species'? (the columns are: a, b, species)"),
        ("a,b,y\n1,2,p\n", "label", ":1:1: no label column 'label' (the columns are: a, b, y)"),
        ("", "y", ":1:1: empty file: expected a header row with the column names"),
        ("a,b,y\n", "y", ":2:1: no data rows after the header"),
        ("a,b,y\n1,\"2,p\n", "y", ":2:3: a quoted field is not closed"),
        ("a,b,y\n1,2,\n", "y", ":2:5: missing label in column 'y'"),
        ("a,a,y\n1,2,p\n", "y", ":1:3: column name 'a' appears twice"),
        ("a,b,y\n1,\(String(repeating: "z", count: 5000)),p\n", "y", ":2:3: '\(String(repeating: "z", count: 60))… (5000 bytes)' in column 'b' is not a finite number (a text column? leave it out with data.ignore: [b]; data.missing: mean or zero fills values that are missing)"),
    ])
    func malformedTables(_ text: String, _ label: String, _ expected: String) throws {
        let dir = try DataDirectory()
        let path = try dir.write("bad.csv", text)
        let failure = try dataFailure(#"{"dataset": "csv", "train_file": "\#(path)", "label": "\#(label)", "validation": 0, "test": 0}"#)
        #expect(failure == path + expected)
    }

    /// A row with far more fields than the header is counted, not kept: the parser holds
    /// one field past the header's (a row of 15 million fields took 1.3 GB to refuse).
    @Test func aRowOfManyFieldsIsCountedNotKept() throws {
        let text = Array(("a,b,y\n" + String(repeating: "1,", count: 100_000) + "p\n").utf8)
        let (header, row, counted, lastColumn) = try text.withUnsafeBytes { bytes -> (Int?, Int?, Int, Int) in
            var parser = DelimitedTable.Parser(bytes: bytes, path: "wide.csv", separator: UInt8(ascii: ","))
            let header = try parser.record()?.count
            parser.keptFields = 4
            let row = try parser.record()?.count
            return (header, row, parser.lastRecordFields, parser.lastRecordLastColumn)
        }
        #expect(header == 3 && row == 4 && counted == 100_001 && lastColumn == 200_001)
        let dir = try DataDirectory()
        let path = try dir.write("wide.csv", text)
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "validation": 0, "test": 0}"#) == path + ":2:200001: this row has 100001 fields, the header has 3")
    }

    /// A column of text only is refused with `missing: mean` too: every value would be the
    /// same fill, a constant input (a `region` column of north/south/east); a column with
    /// numbers and a few text values is filled where the text is.
    @Test func aTextColumnIsNoFeatureEvenWithMissingFilled() throws {
        let dir = try DataDirectory()
        let path = try dir.write("m.csv", "a,region,y\n1,north,p\n2,NA,q\n3,south,p\n")
        let json = #"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "validation": 0, "test": 0, "missing": "mean"}"#
        #expect(try dataFailure(json) == path + ":2:3: column 'region' holds no numbers ('north'), only text the training core cannot use: leave it out with data.ignore: [region], or encode it as numbers (one column per category)")
        #expect(try loadData(json.replacingOccurrences(of: #""missing""#, with: #""ignore": ["region"], "missing""#)).train.count == 3)
        let mixed = try dir.write("mixed.csv", "a,b,y\n1,n/a!,p\n2,4,q\n")
        #expect(rows(try loadData(json.replacingOccurrences(of: path, with: mixed)).train) == [[1, 4], [2, 4]])
    }

    /// Labels and column names are told apart by their text: a file saved as Latin-1
    /// ('café', 'cafè') is refused where its first such text is, not read as one class.
    @Test func textThatIsNotUTF8IsRefusedWhereItIs() throws {
        let dir = try DataDirectory()
        let label = try dir.write("latin1.csv", Array("a,y\n1,caf".utf8) + [0xE9] + Array("\n2,caf".utf8) + [0xE8] + Array("\n3,x\n".utf8))
        let failure = try dataFailure(#"{"dataset": "csv", "train_file": "\#(label)", "label": "y", "validation": 0, "test": 0}"#)
        #expect(failure?.hasPrefix(label + ":2:3: this text is not valid UTF-8") == true, "\(failure ?? "loaded")")
        let quoted = try dir.write("quoted.csv", Array("a,y\n1,\"caf".utf8) + [0xE9] + Array("\"\n".utf8))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(quoted)", "label": "y", "validation": 0, "test": 0}"#)?.hasPrefix(quoted + ":2:3: this text is not valid UTF-8") == true)
        let header = try dir.write("header.csv", Array("a,".utf8) + [0xE9] + Array(",y\n1,2,p\n".utf8))
        #expect(try dataFailure(#"{"dataset": "csv", "train_file": "\#(header)", "label": "y", "validation": 0, "test": 0}"#)?.hasPrefix(header + ":1:3: this text is not valid UTF-8") == true)
    }

    @Test func fastNumberParsingMatchesStrtod() {
        for text in ["0", "-1.5", "3.14159", "1e-3", "2.5E+4", "123456789012345678901234", "0.000000000000000000000001", "+7", ".5", "5."] {
            let parsed = text.utf8.withContiguousStorageIfAvailable { FastFloat.parse(UnsafeRawBufferPointer($0)) } ?? nil
            #expect(parsed.map { Float($0) } == Float(strtod(text, nil)), "\(text)")
            let comma = text.replacingOccurrences(of: ".", with: ",")
            let withComma = comma.utf8.withContiguousStorageIfAvailable { FastFloat.parse(UnsafeRawBufferPointer($0), decimal: UInt8(ascii: ",")) } ?? nil
            #expect(withComma == parsed, "\(comma) with decimal commas")
        }
        for text in ["", "-", "e5", "1e", "1.2.3", "0x10", "inf", "nan", "1 2"] {
            #expect((text.utf8.withContiguousStorageIfAvailable { FastFloat.parse(UnsafeRawBufferPointer($0)) } ?? nil) == nil, "\(text)")
        }
    }
}
