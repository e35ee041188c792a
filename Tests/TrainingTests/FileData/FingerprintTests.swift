import Foundation
import Testing
@testable import Training

/// Data fingerprints: SHA-256 as `sha256sum` computes it, and a worker with other files
/// refusing the coordinator's trial.
@Suite("Data fingerprints")
struct FingerprintTests {
    func sha256(_ text: String) -> String {
        var sha = SHA256()
        Array(text.utf8).withUnsafeBytes { sha.update($0) }
        return sha.finish()
    }

    @Test func knownVectors() {
        #expect(sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Fed in uneven pieces: the same digest.
        var sha = SHA256()
        let text = Array(String(repeating: "0123456789", count: 50).utf8)
        for piece in [0..<7, 7..<70, 70..<200, 200..<500] { text[piece].withUnsafeBytes { sha.update($0) } }
        #expect(sha.finish() == sha256(String(repeating: "0123456789", count: 50)))
    }

    @Test func fileDigestEqualsSha256sum() throws {
        let dir = try DataDirectory()
        let bytes = (0..<200_003).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        let path = try dir.write("blob.csv", bytes)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fingerprint = try DataFingerprint.of(DataFiles(train: path, label: "y"))
        #expect(fingerprint.sha256 == String(output.prefix(64)) && fingerprint.bytes == 200_003)
        #expect(DataFingerprint(fingerprint.description) == fingerprint)
    }

    @Test func otherFilesAreRefusedNamingBothFingerprints() throws {
        let dir = try DataDirectory()
        let path = try dir.write("d.csv", "a,y\n1,p\n2,q\n3,p\n4,q\n5,p\n")
        let json = #"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "validation": 0, "test": 0"#
        let ours = try DataFingerprint.of(DataFiles(train: path, label: "y"))
        #expect(try loadData(json + #", "fingerprint": "\#(ours)"}"#).train.count == 5)
        let theirs = DataFingerprint(sha256: String(repeating: "ab", count: 32), bytes: 30)
        #expect(try dataFailure(json + #", "fingerprint": "\#(theirs)"}"#)
            == "data files differ from the coordinator's: the coordinator has \(theirs), this machine's \(path) gives \(ours)")
        #expect(decodingFailure { _ = try decodeConfig(DataConfig.self, json + #", "fingerprint": "md5:00"}"#) }!
            == ("fingerprint", "must be sha256:HEX/BYTES (64 hex digits), got 'md5:00'"))
    }
}
