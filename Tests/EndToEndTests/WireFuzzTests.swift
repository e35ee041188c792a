import Foundation
import Store
import Testing
import ZeroMQ

/// Random and mutated protocol messages (fixed seed) from several peers while an honest
/// worker runs a sweep: the coordinator neither crashes nor hangs, its memory stays
/// bounded, and the study ends consistent. SWEEP_FUZZ_CASES sets the number of messages
/// (`make test`: 3,000; `make test-chaos`: many more), SWEEP_FUZZ_SEED the seed.
@Suite(.serialized) struct WireFuzzTests {
    @Test func randomAndMutatedMessagesLeaveTheCoordinatorAliveAndTheSweepCorrect() throws {
        let env = ProcessInfo.processInfo.environment
        let cases = Int(env["SWEEP_FUZZ_CASES"] ?? "") ?? 3000
        let seed = UInt64(env["SWEEP_FUZZ_SEED"] ?? "") ?? 2026
        let h = try SweepHarness("wire-fuzz")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let timing = ["--heartbeat-ms", "200", "--liveness", "4"]
        // More cases, a longer sweep: the fuzz should overlap it.
        let trialCount = max(20, cases / 1500)
        let file = try h.write("fz.yaml", syntheticSweep(study: "fz", trials: trialCount, epochs: 2, sleep: 0.05))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        try #require(h.waitFor(timeout: 30) { FileManager.default.fileExists(atPath: h.db) }, "no database:\n\(h.logText("coordinator.log"))")
        let pid = coordinator.processIdentifier
        let baseline = try #require(residentBytes(pid))

        let ctx = try Context()
        var rng = SplitMix64(seed: seed)
        // Peers with plain, odd and colliding ids; each reconnects now and then.
        let ids = ["fuzz-a", "fuzz-b", "ü-ñ-∑", String(repeating: "x", count: 200), "honest"]
        var peers = try ids.map { try fuzzPeer(ctx, id: $0, endpoint: endpoint) }
        let honest = try h.start(["worker", "--connect", endpoint, "--id", "honest-worker"] + timing, log: "worker.log")
        defer { if honest.isRunning { honest.terminate() } }
        var peak = baseline
        for n in 0..<cases {
            let i = Int(rng.next() % UInt64(peers.count))
            if rng.next() % 500 == 0 {
                peers[i].close()
                peers[i] = try fuzzPeer(ctx, id: ids[i], endpoint: endpoint)
            }
            let frames = WireFuzz.message(&rng)
            if !(try peers[i].send(frames, dontWait: true)) { usleep(200) }
            for p in peers { while try p.receive(dontWait: true) != nil {} }
            if n % 200 == 0 {
                peak = max(peak, residentBytes(pid) ?? 0)
                // The study may end before the fuzz does (then the fuzz stops): it must not crash.
                if !coordinator.isRunning {
                    coordinator.waitUntilExit()
                    #expect(coordinator.terminationReason == .exit && coordinator.terminationStatus == 0,
                            "the coordinator died after \(n) fuzz messages:\n\(h.logText("coordinator.log"))")
                    break
                }
                usleep(1000)
            }
        }
        for p in peers { p.close() }
        #expect(coordinator.isRunning || coordinator.terminationStatus == 0, "\(h.logText("coordinator.log"))")
        #expect(peak - baseline < 200 << 20, "RSS grew from \(baseline >> 20) MiB to \(peak >> 20) MiB")
        // No hang: the study still ends (fuzzed workers that took a trial and vanished
        // make it re-run, or fail once out of retries).
        #expect(h.waitFor(timeout: 180) { !coordinator.isRunning }, "the sweep did not finish:\n\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 0, "\(h.logText("coordinator.log"))")
        #expect(h.logText("coordinator.log").contains("dropped messages:"), "the fuzz never reached the coordinator")
        try checkExactlyOnce(h, study: "fz", trials: trialCount, maxAttempts: 3, context: "seed \(seed), \(cases) cases")
        let completed = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "fz").id, states: [.complete]) }
        #expect(!completed.isEmpty, "the honest worker completed nothing")
    }
}

private func fuzzPeer(_ ctx: Context, id: String, endpoint: String) throws -> Socket {
    let s = try Socket(ctx, .dealer)
    try s.setRoutingID(id)
    try s.setSendHighWaterMark(1000)
    try s.connect(endpoint)
    return s
}

/// Messages for the fuzzer: valid ones of every type, mutated, and plain noise.
enum WireFuzz {
    static let templates: [String] = [
        #"{"v":1,"type":"hello","worker":"w1","host":"h","pid":1,"version":"0.1.0","cores":2,"threads":1,"capabilities":["synthetic"],"running":null}"#,
        #"{"v":1,"type":"hello","worker":"w1","host":"h","pid":1,"version":"0.1.0","cores":2,"threads":1,"capabilities":["synthetic"],"running":{"trial":0,"attempt":1,"epoch":1}}"#,
        #"{"v":1,"type":"ready"}"#,
        #"{"v":1,"type":"heartbeat"}"#,
        #"{"v":1,"type":"report","trial":0,"attempt":1,"epoch":1,"value":0.5,"metrics":{"loss":0.5}}"#,
        #"{"v":1,"type":"result","trial":1,"attempt":1,"state":"complete","value":0.1,"metrics":{"loss":0.1},"epochs":2,"ready":true}"#,
        #"{"v":1,"type":"result","trial":2,"attempt":1,"state":"complete","value":0.1,"metrics":{},"epochs":2,"ready":false,"model_bytes":4}"#,
        #"{"v":1,"type":"failure","trial":3,"attempt":1,"error":"boom","ready":true}"#,
        #"{"v":1,"type":"bye","reason":"fuzz"}"#,
    ]
    static let oddValues = ["-1", "0", "1e308", "-1e308", "9223372036854775807", "-9223372036854775808", "18446744073709551616",
                            "null", "true", "\"\"", "[]", "{}", "\"\\u0000\"", "1.5", "NaN", "\"\u{FFFF}\""]

    static func message(_ rng: inout SplitMix64) -> [[UInt8]] {
        switch rng.next() % 10 {
        case 0: // noise
            return [bytes(&rng, count: Int(rng.next() % 512))]
        case 1: // several frames, some empty
            return (0..<(1 + Int(rng.next() % 4))).map { _ in bytes(&rng, count: Int(rng.next() % 64)) }
        case 2: // a valid message with an undeclared or mismatched attachment
            return [Array(pick(&rng).utf8), bytes(&rng, count: Int(rng.next() % 16))]
        case 3: // rarely, a frame far above the JSON limit (the peer is cut off)
            if rng.next() % 20 == 0 { return [Array(repeating: UInt8(ascii: "["), count: 2 << 20)] }
            return [Array(pick(&rng).utf8)]
        case 4: // deep nesting
            let depth = 1 + Int(rng.next() % 5000)
            return [Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)]
        default: // a valid message, mutated
            return [mutate(Array(pick(&rng).utf8), &rng)]
        }
    }

    static func pick(_ rng: inout SplitMix64) -> String { templates[Int(rng.next() % UInt64(templates.count))] }

    static func bytes(_ rng: inout SplitMix64, count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var m = input
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            guard !m.isEmpty else { return m }
            let at = Int(rng.next() % UInt64(m.count))
            switch rng.next() % 6 {
            case 0: m[at] = UInt8(truncatingIfNeeded: rng.next())
            case 1: m.removeSubrange(at...)
            case 2: m.insert(contentsOf: bytes(&rng, count: 1 + Int(rng.next() % 8)), at: at)
            case 3: m.remove(at: at)
            case 4: // a number or value replaced by an odd one
                if let colon = m[at...].firstIndex(of: UInt8(ascii: ":")) {
                    let end = m[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? m.endIndex
                    m.replaceSubrange((colon + 1)..<end, with: Array(oddValues[Int(rng.next() % UInt64(oddValues.count))].utf8))
                }
            default: // a type swapped for another message's
                if let r = String(bytes: m, encoding: .utf8) {
                    let types = ["hello", "ready", "heartbeat", "report", "result", "failure", "bye", "welcome", "stop", "assign", ""]
                    var out = r
                    for t in types where out.contains("\"type\":\"\(t)\"") {
                        out = out.replacingOccurrences(of: "\"type\":\"\(t)\"", with: "\"type\":\"\(types[Int(rng.next() % UInt64(types.count))])\"")
                        break
                    }
                    m = Array(out.utf8)
                }
            }
        }
        return m
    }
}
