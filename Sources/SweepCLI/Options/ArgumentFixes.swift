import Foundation
#if canImport(Glibc)
import Glibc
#endif
/// Rewrites of the raw command line that ArgumentParser would otherwise misread.
enum ArgumentFixes {
    /// The first argument (1-based, after the command name) that is not UTF-8 text, said
    /// with its bytes: Swift's command line replaces such bytes with U+FFFD, so
    /// `--db $'\xff.db'` made a file of another name, and two such names opened one file.
    static func nonUTF8Argument(_ raw: [[UInt8]]) -> String? {
        for (index, bytes) in raw.enumerated() where String(validating: bytes, as: UTF8.self) == nil {
            return "argument \(index + 1) ('\(shown(bytes))') is not UTF-8 text: Sweep reads file names and values as UTF-8; rename the file or pass the value in UTF-8"
        }
        return nil
    }

    /// The environment variables Sweep reads paths from, checked as arguments are
    /// (`SWEEP_DB=$'\xff.db'` made a database of another name).
    static let pathVariables = ["SWEEP_DB", "TMPDIR", "XDG_CACHE_HOME"]

    /// The first of ``pathVariables`` that is not UTF-8 text, said with its bytes.
    static func nonUTF8Variable(_ names: [String] = pathVariables) -> String? {
        for name in names {
            guard let raw = getenv(name) else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
            if String(validating: bytes, as: UTF8.self) == nil {
                return "$\(name) ('\(shown(bytes))') is not UTF-8 text: Sweep reads paths as UTF-8; set it to a UTF-8 path"
            }
        }
        return nil
    }

    /// Why the current directory cannot be worked in (relative paths are resolved in it),
    /// nil when it can, or for `--help`/`--version`: its path is not UTF-8 (the database
    /// was made, then "cannot lock the study in .../lat\u{FFFD}n/q.db: No such file"), or it
    /// was removed while the shell was in it (every command trial failed to start there).
    static func unusableCurrentDirectory(_ arguments: ArraySlice<String>) -> String? {
        guard arguments.first != "help", !arguments.contains(where: { ["--help", "-h", "--version", "--generate-completion-script"].contains($0) }) else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else {
            // (A path longer than PATH_MAX: usable all the same, through relative names.)
            if errno == ERANGE { return nil }
            return errno == ENOENT ? "the current directory no longer exists (it was removed while this shell was in it): `cd` to a directory that exists and run the command again"
                : "the current directory cannot be read (\(String(cString: strerror(errno)))): `cd` to another one and run the command again"
        }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        guard String(validating: bytes, as: UTF8.self) == nil else { return nil }
        return "the current directory's path ('\(shown(bytes))') is not UTF-8 text: Sweep reads paths as UTF-8, and relative ones are resolved there; run it from a directory whose path is UTF-8"
    }

    /// Bytes as text, with those outside printable ASCII (and `\`) as `\xHH`.
    private static func shown(_ bytes: [UInt8]) -> String {
        bytes.map { (0x20..<0x7f).contains($0) && $0 != 0x5c ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
    }

    /// The raw bytes of the process's arguments after its name.
    static var rawArguments: [[UInt8]] {
        (1..<Int(CommandLine.argc)).compactMap { i in
            CommandLine.unsafeArgv[i].map { Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0))) }
        }
    }

    /// `--lower -1` -> `--lower=-1`: ArgumentParser takes a value that starts with `-` for
    /// an option and answers "Missing value". A number right after a long option without
    /// `=` is that option's value (negative numbers are never option names).
    static func joinNegativeNumbers(_ arguments: [String]) -> [String] {
        joinValues(arguments) { option, value in !option.contains("=") && isNegativeNumber(value) }
    }

    /// `--sort -value` -> `--sort=-value`: options whose values may start with `-` (a
    /// reversed sort key) take the next word whatever it looks like.
    static func joinDashedValues(_ arguments: [String], of options: Set<String> = ["--sort"]) -> [String] {
        joinValues(arguments) { option, value in options.contains(option) && value.hasPrefix("-") && !value.hasPrefix("--") }
    }

    /// Writes `--option value` as `--option=value` where `joins(option, value)`, up to `--`.
    private static func joinValues(_ arguments: [String], where joins: (String, String) -> Bool) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { out += arguments[i...]; break }
            if a.hasPrefix("--"), i + 1 < arguments.count, joins(a, arguments[i + 1]) {
                out.append("\(a)=\(arguments[i + 1])")
                i += 2
                continue
            }
            out.append(a)
            i += 1
        }
        return out
    }

    static func isNegativeNumber(_ s: String) -> Bool {
        s.count > 1 && s.hasPrefix("-") && Double(s) != nil
    }
}
