import Foundation

/// A script's `#!` line: the interpreter the kernel starts it with.
///
/// ```swift
/// Shebang(file: "train.sh")?.runner  // "bash" for `#!/usr/bin/env bash`
/// ```
public struct Shebang: Sendable, Equatable {
    /// What follows `#!`, as written (a carriage return at its end kept).
    public var text: String

    /// The `#!` line of the file at `path` (its first 256 bytes at most); nil when the file
    /// cannot be read or does not start with `#!`.
    public init?(file path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 256) else { return nil }
        let line = String(decoding: head.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        guard line.hasPrefix("#!") else { return nil }
        text = String(line.dropFirst(2))
    }

    /// Whether the line ends with a carriage return: a file with Windows line endings,
    /// for which the kernel looks for an interpreter named `sh\r`.
    public var endsWithCarriageReturn: Bool { text.hasSuffix("\r") }

    private var words: [String] { text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init) }

    /// The interpreter's path as written (`/bin/sh`, `/usr/bin/env`); nil for an empty line.
    public var interpreter: String? { words.first }

    /// The program that runs the script, by name: `sh` for `#!/bin/sh`, `Rscript` for
    /// `#!/usr/bin/env Rscript` (through `env`, its first word that is no option).
    public var runner: String? {
        let name = { (path: String) in (path as NSString).lastPathComponent }
        guard let first = interpreter.map(name) else { return nil }
        return first == "env" ? words.dropFirst().first { !$0.hasPrefix("-") }.map(name) : first
    }
}
