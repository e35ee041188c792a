import Foundation
import Testing
@testable import Training

/// NumPy (.npy, .npz) and IDX data sets: shapes, classes, labels, and malformed files.
@Suite("NumPy and IDX data sets")
struct ArrayDataTests {
    /// 40 samples of 3 float32 features (sample i: i, 2i, -i) and int64 labels i % 4.
    func npyPair(_ dir: DataDirectory) throws -> (x: String, y: String) {
        let x = (0..<40).flatMap { i in [Float(i), Float(2 * i), Float(-i)] }
        return (try dir.npy("x.npy", descr: "<f4", shape: [40, 3], payload: littleEndian(x)),
                try dir.npy("y.npy", descr: "<i8", shape: [40], payload: littleEndian((0..<40).map { Int64($0 % 4) })))
    }

    @Test func npyFeaturesAndLabels() throws {
        let dir = try DataDirectory()
        let (x, y) = try npyPair(dir)
        let data = try loadData(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)", "validation": 8, "test": 8, "classes": ["a", "b", "c", "d"]}"#)
        #expect(data.sampleShape == [3] && data.classNames == ["a", "b", "c", "d"])
        #expect(data.train.count == 24 && data.validation.count == 8 && data.test.count == 8)
        for split in Split.allCases {
            let s = data.split(split)
            for (row, label) in zip(rows(s), s.labels) {
                #expect(row == [row[0], 2 * row[0], -row[0]] && Int(row[0]) % 4 == Int(label))
            }
            #expect(Set(s.labels) == [0, 1, 2, 3])
        }
    }

    /// Splits above `LargeBuffer.threshold` go into memory advised for huge pages: every
    /// row still arrives whole and in its place (sample i holds i * 1000 + j).
    /// A gzipped IDX file that inflates to more than its header promises stops inflating
    /// there (a 3 MB gzip bomb whose header promised 400 bytes reached 6.3 GB of memory
    /// before it was refused, or was killed by the OOM killer).
    @Test func aGzipBombIsRefusedPastTheSizeItsHeaderPromises() throws {
        let dir = try DataDirectory()
        let plain = try dir.idx("bomb.idx", type: 0x08, dims: [2, 2, 2], payload: [UInt8](repeating: 0, count: 8 << 20))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-f", plain]
        try gzip.run()
        gzip.waitUntilExit()
        try #require(gzip.terminationStatus == 0)
        #expect {
            _ = try IDXFile.read(plain + ".gz", rank: 3)
        } throws: { error in
            "\(error)".contains("it inflates to more than the 24 bytes its header promises")
        }
        // A file as promised reads.
        let fine = try dir.idx("fine.idx", type: 0x08, dims: [2, 2, 2], payload: [UInt8](0..<8))
        #expect(try IDXFile.read(fine, rank: 3).bytes.count == 24)
    }

    @Test func largeSplitsAreCopiedExactly() throws {
        let dir = try DataDirectory()
        let (n, w) = (4_096, 640) // 10.5 MB of float32: the training split is above 4 MiB
        #expect(n * w * 4 * 8 / 10 > LargeBuffer.threshold)
        let x = (0..<n).flatMap { i in (0..<w).map { Float(i * 1000 + $0) } }
        let xs = try dir.npy("big.npy", descr: "<f4", shape: [n, w], payload: littleEndian(x))
        let ys = try dir.npy("big-y.npy", descr: "<i8", shape: [n], payload: littleEndian((0..<n).map { Int64($0 % 2) }))
        let data = try loadData(#"{"dataset": "npy", "train_file": "\#(xs)", "train_labels": "\#(ys)", "validation": 0.1, "test": 0.1}"#)
        var seen = Set<Int>()
        for split in Split.allCases {
            let s = data.split(split)
            for (row, label) in zip(rows(s), s.labels) {
                let i = Int(row[0]) / 1000
                #expect(row == (0..<w).map { Float(i * 1000 + $0) } && Int(label) == i % 2)
                seen.insert(i)
            }
        }
        #expect(seen.count == n)
    }

    @Test func npyBytesAreImagesScaledBy255() throws {
        let dir = try DataDirectory()
        let x = try dir.npy("img.npy", descr: "|u1", shape: [10, 2, 3], payload: (0..<60).map { UInt8($0 * 4) })
        let y = try dir.npy("lab.npy", descr: "<i4", shape: [10], payload: (0..<10).flatMap { [UInt8($0 % 2), 0, 0, 0] })
        let data = try loadData(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)", "validation": 0, "test": 0, "shape": [2, 3, 1], "scaling": "unit"}"#)
        #expect(data.sampleShape == [2, 3, 1] && data.classNames == ["0", "1"])
        #expect(data.train.features == (0..<60).map { Float($0 * 4) * (1 / 255 as Float) })
    }

    @Test(arguments: [
        // A valid file of a dtype not read is no damage: "cannot read", not "corrupt".
        (DataDirectory.npyBytes(descr: "<c8", shape: [2, 2], payload: [UInt8](repeating: 0, count: 32)),
         "cannot read: its dtype '<c8' is not numeric; expected float16, float32, float64, int8-64, uint8-64 or bool"),
        (DataDirectory.npyBytes(descr: "<U5", shape: [2, 2], payload: [UInt8](repeating: 0, count: 80)),
         "cannot read: its dtype '<U5' is not numeric (text: save class labels as integers"),
        (DataDirectory.npyBytes(descr: "|O", shape: [2, 2], payload: [UInt8](repeating: 0, count: 32)),
         "cannot read: its dtype '|O' is not numeric (Python objects: save it with a numeric dtype"),
        (DataDirectory.npyBytes(descr: "<f4", shape: [40, 3], payload: [UInt8](repeating: 0, count: 100)),
         "truncated: shape [40, 3] of <f4 needs 480 bytes after the header, the file has 100"),
        ([], "empty file (expected a NumPy .npy array)"),
        (Array("not numpy at all".utf8), "not a .npy file (bad magic at byte 0)"),
        (DataDirectory.npyBytes(descr: "<f4", shape: [40, 3], payload: littleEndian([Float](repeating: .nan, count: 120))),
         "sample 0, value 0 is not a finite number (NaN or infinity)"),
    ])
    func malformedNPY(_ bytes: [UInt8], _ reason: String) throws {
        let dir = try DataDirectory()
        let (_, y) = try npyPair(dir)
        let x = try dir.write("bad.npy", bytes)
        let failure = try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)"}"#)
        let expected = reason.hasPrefix("cannot read: ") ? "cannot read \(x): " + reason.dropFirst("cannot read: ".count) : "corrupt data file \(x): \(reason)"
        #expect(failure?.hasPrefix(expected) == true, "\(failure ?? "loaded")")
    }

    @Test func labelCountMustMatch() throws {
        let dir = try DataDirectory()
        let (x, _) = try npyPair(dir)
        let y = try dir.npy("short.npy", descr: "<i8", shape: [39], payload: littleEndian((0..<39).map { Int64($0 % 2) }))
        #expect(try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)"}"#)
            == "data: \(y) has 39 labels for the 40 samples of \(x)")
        let missing = "\(dir.path)/none.npy"
        #expect(try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(missing)"}"#)
            == "data.train_labels: no such file: \(missing)")
    }

    /// A file given as another kind says what it looks like (an IDX file as `npy` said only
    /// "bad magic").
    @Test func aFileOfAnotherKindSaysWhatItLooksLike() throws {
        let dir = try DataDirectory()
        let (x, y) = try npyPair(dir)
        let idx = try dir.write("images.idx", [0, 0, 0x08, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4])
        let csv = try dir.write("table.csv", "\u{FEFF}a,b,y\n1,2,p\n")
        let asNPY = try dataFailure(#"{"dataset": "npy", "train_file": "\#(idx)", "train_labels": "\#(y)"}"#) ?? ""
        #expect(asNPY.contains("not a .npy file (bad magic at byte 0) (it looks like an IDX file: use dataset: idx)"), "\(asNPY)")
        let textAsNPY = try dataFailure(#"{"dataset": "npy", "train_file": "\#(csv)", "train_labels": "\#(y)"}"#) ?? ""
        #expect(textAsNPY.contains("(it looks like text: for a table use dataset: csv or tsv)"), "\(textAsNPY)")
        let npyAsIDX = try dataFailure(#"{"dataset": "idx", "train_file": "\#(x)", "train_labels": "\#(y)"}"#) ?? ""
        #expect(npyAsIDX.contains("(it looks like a NumPy .npy array: use dataset: npy)"), "\(npyAsIDX)")
    }

    /// Archives written by NumPy itself (stored and deflated) read as the .npy files do.
    @Test func npzStoredAndCompressed() throws {
        let dir = try DataDirectory()
        let (x, y) = try npyPair(dir)
        try runPython("""
            import numpy as np
            x = np.load('\(x)'); y = np.load('\(y)')
            np.savez('\(dir.path)/plain.npz', x=x, y=y)
            np.savez_compressed('\(dir.path)/packed.npz', features=x, target=y)
            """)
        let reference = try loadData(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)"}"#)
        let plain = try loadData(#"{"dataset": "npz", "train_file": "\#(dir.path)/plain.npz"}"#)
        let packed = try loadData(#"{"dataset": "npz", "train_file": "\#(dir.path)/packed.npz", "features_array": "features", "labels_array": "target"}"#)
        for data in [plain, packed] {
            #expect(data.train.features == reference.train.features && data.test.labels == reference.test.labels)
            #expect(data.classNames == ["0", "1", "2", "3"])
        }
        #expect(try dataFailure(#"{"dataset": "npz", "train_file": "\#(dir.path)/packed.npz"}"#)
            == "data: \(dir.path)/packed.npz has no array 'x' (it has: features, target)")
        // A member that is no array is not listed as one (`x.txt` read as "it has: x").
        try runPython("""
            import zipfile
            with zipfile.ZipFile('\(dir.path)/odd.npz', 'w') as z: z.writestr('x.txt', '1,2')
            """)
        #expect(try dataFailure(#"{"dataset": "npz", "train_file": "\#(dir.path)/odd.npz"}"#)
            == "data: \(dir.path)/odd.npz has no array 'x' (it has: x.txt (no array))")
        let cut = try dir.write("cut.npz", Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir.path)/plain.npz")).prefix(300)))
        #expect(try dataFailure(#"{"dataset": "npz", "train_file": "\#(cut)"}"#)?.hasPrefix("corrupt data file \(cut): not a zip archive") == true)

        // A model trained on an archive predicts from one, reading the arrays it was trained
        // on, and scores it against the labels array (predict read only .npy).
        let train = try dir.write("t.yaml", "seed: 1\ndata: {dataset: npz, train_file: \(dir.path)/packed.npz, features_array: features, labels_array: target}\nmodel: {hidden: [8]}\ntraining: {epochs: 2}\n")
        let model = dir.path + "/m.swm"
        let trained = try runSweep(["train", train, "--no-test", "--save-model", model])
        try #require(trained.status == 0, "\(trained.output)")
        let fromArchive = try runSweep(["predict", model, "\(dir.path)/packed.npz", "--labels", "\(dir.path)/packed.npz", "--format", "csv"])
        let fromArrays = try runSweep(["predict", model, x, "--labels", y, "--format", "csv"])
        #expect(fromArchive.status == 0 && fromArchive.output.split(separator: "\n").count == 41, "\(fromArchive.output)")
        #expect(fromArchive.output == fromArrays.output)
        let wrongName = try runSweep(["predict", model, "\(dir.path)/plain.npz"])
        #expect(wrongName.status == 2 && wrongName.output.contains("plain.npz has no array 'features' (it has: x, y)"), "\(wrongName.output)")
    }

    /// Arrays NumPy writes in Fortran order (`np.asfortranarray`, a transposed array saved
    /// as it is) and in float16 read as the C-ordered float32 original does, 3-D included.
    @Test func npyInFortranOrderAndFloat16() throws {
        let dir = try DataDirectory()
        let (x, y) = try npyPair(dir)
        try runPython("""
            import numpy as np
            x = np.load('\(x)')
            np.save('\(dir.path)/fortran.npy', np.asfortranarray(x))
            np.save('\(dir.path)/transposed.npy', np.ascontiguousarray(x.T).T)
            np.save('\(dir.path)/half.npy', x.astype(np.float16))
            cube = np.arange(40 * 2 * 3, dtype=np.float32).reshape(40, 2, 3)
            np.save('\(dir.path)/cube.npy', cube)
            np.save('\(dir.path)/cube-fortran.npy', np.asfortranarray(cube))
            assert np.isfortran(np.load('\(dir.path)/fortran.npy'))
            """)
        let reference = try loadData(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)"}"#)
        for name in ["fortran", "transposed", "half"] {
            let data = try loadData(#"{"dataset": "npy", "train_file": "\#(dir.path)/\#(name).npy", "train_labels": "\#(y)"}"#)
            #expect(data.train.features == reference.train.features, "\(name)")
            #expect(data.test.labels == reference.test.labels, "\(name)")
        }
        let cube = try loadData(#"{"dataset": "npy", "train_file": "\#(dir.path)/cube.npy", "train_labels": "\#(y)", "scaling": "none"}"#)
        let fortranCube = try loadData(#"{"dataset": "npy", "train_file": "\#(dir.path)/cube-fortran.npy", "train_labels": "\#(y)", "scaling": "none"}"#)
        #expect(fortranCube.sampleShape == [2, 3] && fortranCube.train.features == cube.train.features)
        // Sample i of the cube holds 6i ... 6i + 5 in C order.
        for row in rows(fortranCube.train) { #expect(row == (0..<6).map { row[0] + Float($0) } && Int(row[0]) % 6 == 0) }
    }

    /// EMNIST letters: labels 1-26, images stored transposed.
    @Test func idxWithManyClassesAndTransposedImages() throws {
        let dir = try DataDirectory()
        let n = 52
        let images = try dir.idx("img-idx3-ubyte", type: 0x08, dims: [n, 2, 3], payload: (0..<(n * 6)).map { UInt8($0 % 251) })
        let labels = try dir.idx("lab-idx1-ubyte", type: 0x08, dims: [n], payload: (0..<n).map { UInt8($0 % 26 + 1) })
        let letters = (0..<26).map { String(UnicodeScalar(UInt8(97 + $0))) }
        let base = #""dataset": "idx", "train_file": "\#(images)", "train_labels": "\#(labels)", "validation": 0, "test": 0"#
        let data = try loadData("{\(base), \"classes\": [\(letters.map { "\"\($0)\"" }.joined(separator: ", "))]}")
        #expect(data.classNames == letters && data.sampleShape == [2, 3] && data.train.count == n)
        #expect(data.train.labels == (0..<n).map { Int32($0 % 26) })
        let transposed = try loadData("{\(base), \"transpose\": true, \"scaling\": \"none\"}")
        #expect(transposed.sampleShape == [3, 2])
        // Sample 0 is [[0,1,2],[3,4,5]]; transposed [[0,3],[1,4],[2,5]].
        #expect(Array(transposed.train.features.prefix(6)) == [0, 3, 1, 4, 2, 5])
        #expect(transposed.classNames == (1...26).map(String.init))
        // One label past the names is located (the message named no sample).
        let bad = try dir.idx("bad-idx1-ubyte", type: 0x08, dims: [n], payload: (0..<n).map { UInt8($0 == 17 ? 12 : $0 % 10) })
        let ten = (0..<10).map { "\"c\($0)\"" }.joined(separator: ", ")
        let failure = try dataFailure(#"{"dataset": "idx", "train_file": "\#(images)", "train_labels": "\#(bad)", "validation": 0, "test": 0, "classes": [\#(ten)]}"#)
        #expect(failure?.contains("(11 distinct values); the first outside 0...9: 12 at \(bad): sample 17") == true, "\(failure ?? "loaded")")
    }

    @Test func idxOfFloatsBigEndian() throws {
        let dir = try DataDirectory()
        let values: [Float] = [1.5, -2, 0.25, 8]
        let payload = values.flatMap { withUnsafeBytes(of: $0.bitPattern.bigEndian, Array.init) }
        let x = try dir.idx("x", type: 0x0D, dims: [4, 1], payload: payload)
        let y = try dir.idx("y", type: 0x08, dims: [4], payload: [0, 1, 0, 1])
        let data = try loadData(#"{"dataset": "idx", "train_file": "\#(x)", "train_labels": "\#(y)", "validation": 0, "test": 0, "scaling": "none", "stratify": false}"#)
        #expect(data.train.features == values)
    }

    @Test func malformedIDX() throws {
        let dir = try DataDirectory()
        let labels = try dir.idx("y", type: 0x08, dims: [4], payload: [0, 1, 0, 1])
        let truncated = try dir.idx("t", type: 0x08, dims: [4, 2, 2], payload: [UInt8](repeating: 1, count: 15))
        let empty = try dir.write("e", [UInt8]())
        let badType = try dir.idx("b", type: 0x07, dims: [4, 1], payload: [1, 2, 3, 4])
        func failure(_ x: String) throws -> String? {
            try dataFailure(#"{"dataset": "idx", "train_file": "\#(x)", "train_labels": "\#(labels)"}"#)
        }
        #expect(try failure(truncated) == "corrupt data file \(truncated): truncated or oversized: the header promises 4x2x2 values (16 bytes after byte 16), the file has 15")
        #expect(try failure(empty) == "corrupt data file \(empty): empty file (expected an IDX file)")
        #expect(try failure(badType) == "corrupt data file \(badType): unknown IDX value type 0x7 at byte 2")
    }
}

/// Half precision is decoded by hand (Swift's `Float16` is missing on some platforms):
/// every one of the 65,536 bit patterns as `Float16` reads it where it exists.
@Suite struct HalfPrecisionTests {
    @Test func everyBitPatternDecodesAsFloat16Does() {
        var wrong: [UInt16] = []
        for bits in UInt16.min...UInt16.max {
            let ours = NumericArray.halfToDouble(bits), reference = Double(Float(Float16(bitPattern: bits)))
            if !(ours == reference || (ours.isNaN && reference.isNaN)) || ours.sign != reference.sign && !ours.isNaN { wrong.append(bits) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10).map { String($0, radix: 16) })")
    }
}
