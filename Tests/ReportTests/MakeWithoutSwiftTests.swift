import Foundation
import Testing

/// Debian does not package Swift: `make` without it must say where to get it, not fail
/// halfway with "swift: command not found".
@Suite struct MakeWithoutSwiftTests {
    @Test func makeStopsWithWhereToGetSwift() throws {
        let make = try #require(Scratch.which("make"), "make is missing")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let s = try Scratch("noswift")
        defer { s.cleanUp() }
        let path = "/usr/sbin:/usr/bin:/sbin:/bin"
        #expect(!path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/swift") },
                "this test needs a machine whose swift is not in \(path)")
        for target in ["build", "test", "dist"] {
            let r = try s.run("/usr/bin/env", ["PATH=\(path)", make, "-C", root, "--no-print-directory", target], timeout: 120)
            #expect(r.status != 0, "make \(target) without swift: \(r.output)")
            #expect(r.output.contains("make: 'swift' not found. Sweep needs Swift 6.1 or newer, and Debian does not package it"), "\(r.output)")
            #expect(r.output.contains("https://www.swift.org/install/linux/") && !r.output.contains("command not found"), "\(r.output)")
        }
        // An old toolchain is refused the same way.
        let fake = try s.write("swift", "#!/bin/sh\necho 'Swift version 5.10 (swift-5.10-RELEASE)'\n")
        chmod(fake, 0o755)
        let old = try s.run("/usr/bin/env", ["PATH=\(path)", make, "-C", root, "--no-print-directory", "check-swift", "SWIFT=\(fake)"])
        #expect(old.status != 0 && old.output.contains("is Swift 5.10. Sweep needs Swift 6.1 or newer"), "\(old.output)")
    }
}
