import Foundation
import Testing
@testable import SweepFile

/// A small seeded generator (SplitMix64), so a failing case can be replayed from its number.
struct FuzzGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and mutated sweep files: the reader never crashes, hangs or balloons, and every
/// rejection is a located error (file:line:column). `SWEEP_FUZZ_CASES=N` runs more cases.
@Suite struct SweepFileFuzzTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The sweep and train files shipped in sweeps/ (and its folders).
    static func corpus() -> [String] {
        let dir = root.appendingPathComponent("sweeps")
        let names = (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
        return names.compactMap { try? String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }
    }

    static let tokens = [
        ":", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "!!python/object:os.system ", "!local ", "'", "\"", "#",
        "|", ">", "\n", "  ", "\t", "-1", "1e400", "-1e400", ".nan", ".inf", "null", "~", "9223372036854775808", "0x10", "? ",
        "%YAML 1.2\n", "---\n", "...\n", "\u{FEFF}", "é", "\\", "{choice: []}", "{uniform: [1, 0]}", "{loguniform: [0, 1]}",
        "{int: [1, 9223372036854775807]}", "when: {x: [1]}", "study: ..", "trials: 0", "epochs: -3", "<<: {}",
    ]

    static let keys = ["study", "budget", "trials", "max_epochs", "synthetic", "function", "inputs", "x", "y", "uniform", "choice",
                       "int", "loguniform", "when", "value", "sampler", "name", "pruner", "data", "model", "training", "hidden",
                       "optimizer", "learning_rate", "epochs", "seed", "objective", "metric", "retry", "artifacts", "layers"]

    static func mutate(_ text: String, _ g: inout FuzzGenerator) -> String {
        var chars = Array(text)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        switch Int.random(in: 0..<8, using: &g) {
        case 0 where !chars.isEmpty:
            let start = Int.random(in: 0..<chars.count, using: &g)
            chars.removeSubrange(start..<min(chars.count, start + Int.random(in: 1...20, using: &g)))
            return String(chars)
        case 1:
            let at = Int.random(in: 0...chars.count, using: &g)
            chars.insert(contentsOf: tokens.randomElement(using: &g)!, at: at)
            return String(chars)
        case 2 where !lines.isEmpty:
            let i = Int.random(in: 0..<lines.count, using: &g)
            lines.insert(lines[i], at: Int.random(in: 0...lines.count, using: &g))
        case 3 where lines.count > 1:
            lines.swapAt(Int.random(in: 0..<lines.count, using: &g), Int.random(in: 0..<lines.count, using: &g))
        case 4 where !lines.isEmpty:
            let i = Int.random(in: 0..<lines.count, using: &g)
            let pad = String(repeating: " ", count: Int.random(in: 1...3, using: &g))
            lines[i] = Bool.random(using: &g) ? pad + lines[i] : String(lines[i].drop(while: { $0 == " " }))
        case 5:
            return String(chars.prefix(Int.random(in: 0...chars.count, using: &g)))
        case 6:
            // A number replaced by an extreme one.
            let extremes = ["0", "-0.0", "1e308", "-9223372036854775808", "9223372036854775807", "1e-320", ".inf", ".nan", "3.5"]
            if let i = chars.indices.filter({ chars[$0].isNumber }).randomElement(using: &g) {
                chars.replaceSubrange(i...i, with: extremes.randomElement(using: &g)!)
            }
            return String(chars)
        default:
            if !lines.isEmpty { lines.remove(at: Int.random(in: 0..<lines.count, using: &g)) }
        }
        return lines.joined(separator: "\n")
    }

    /// A random document from sweep-file words: mappings, lists, flow and block style.
    static func randomDocument(_ g: inout FuzzGenerator, depth: Int = 0, indent: String = "") -> String {
        let scalars = ["1", "-2", "0.5", "1e-3", "true", "null", "relu", "'x'", "[1, 2]", "{a: 1}", "sphere", "median", "tpe", "grid", "{uniform: [0, 1]}"]
        if depth > 4 || Int.random(in: 0..<4, using: &g) == 0 { return scalars.randomElement(using: &g)! }
        var out = ""
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            let key = keys.randomElement(using: &g)!
            if Bool.random(using: &g) {
                out += "\n\(indent)\(key): \(randomDocument(&g, depth: depth + 1, indent: indent + "  "))"
            } else {
                out += "\n\(indent)- \(randomDocument(&g, depth: depth + 1, indent: indent + "  "))"
            }
        }
        return out
    }

    @Test(.timeLimit(.minutes(10)))
    func mutatedAndRandomFilesAreAcceptedOrRefusedWithALocation() {
        let corpus = Self.corpus()
        #expect(corpus.count >= 10, "sweeps/ should hold the corpus")
        let cases = ProcessInfo.processInfo.environment["SWEEP_FUZZ_CASES"].flatMap(Int.init) ?? 300
        var g = FuzzGenerator(state: 0x5EED_F11E)
        let before = peakResidentBytes()
        var refused = 0
        for n in 0..<cases {
            var text: String
            if n % 5 == 4 {
                text = "study: fuzz\nbudget: {trials: 3}" + Self.randomDocument(&g)
            } else {
                text = corpus.randomElement(using: &g)!
                for _ in 0..<Int.random(in: 1...4, using: &g) { text = Self.mutate(text, &g) }
            }
            let file = "fuzz-\(n).yaml"
            do {
                _ = try SweepDefinition.parse(text: text, file: file)
            } catch {
                refused += 1
                for problem in error.all {
                    let replay = "case \(n): \(problem.line)\n--- text ---\n\(text.prefix(2000))"
                    #expect(problem.file == file, "\(replay)")
                    #expect(problem.mark != nil && problem.mark!.line >= 1 && problem.mark!.column >= 1, "no line:column: \(replay)")
                    #expect(!problem.message.isEmpty, "\(replay)")
                }
            }
        }
        #expect(refused > cases / 4, "the mutations should break most files (\(refused) of \(cases) refused)")
        let grown = peakResidentBytes() - before
        #expect(grown < 256 << 20, "peak memory grew by \(grown >> 20) MiB over \(cases) cases")
    }
}
