import Search
import SweepFile
import Testing
@testable import Cluster

@Suite struct CodecTests {
    let codec = WireCodec(maxMessageBytes: 4096)

    @Test func workerMessagesRoundTrip() throws {
        let messages: [WorkerMessage] = [
            .hello(.init(worker: "w", host: "h", pid: 3, version: "0.1.0", cores: 4, threads: 1, capabilities: ["training"], running: .init(trial: 2, attempt: 1, epoch: 3))),
            .ready, .heartbeat,
            .report(.init(trial: 1, attempt: 2, epoch: 3, value: 0.5, metrics: ["loss": 0.25], seconds: 1.5)),
            .result(.init(trial: 1, attempt: 2, state: .pruned, value: nil, metrics: [:], epochs: 3, ready: false)),
            .failure(.init(trial: 1, attempt: 1, error: "boom", ready: true)),
            // A command trial's output tail rides along with both endings.
            .result(.init(trial: 1, attempt: 2, state: .complete, value: 1, metrics: ["loss": 1], epochs: 3, ready: true, log: "epoch 3\nok\n")),
            .failure(.init(trial: 1, attempt: 1, error: "boom", ready: true, log: "Traceback\n")),
            .failure(.init(trial: 2, attempt: 1, error: "the program exited with status 1", ready: true, trialFault: true)),
            .failure(.init(trial: 3, attempt: 1, error: "the program never reported the objective", ready: true, objectiveMissing: true)),
            .bye(.init(reason: "SIGTERM", trial: 4, attempt: 1)),
        ]
        for m in messages {
            #expect(try codec.decodeWorkerMessage(codec.encode(m)) == m)
        }
    }

    @Test func coordinatorMessagesRoundTrip() throws {
        let spec = TrialSpec.synthetic(SyntheticTask(function: .sphere, epochs: 2, inputs: [.init(name: "x", value: 0.5)]))
        let messages: [CoordinatorMessage] = [
            .welcome(.init(study: "s", heartbeatMs: 500, liveness: 4, adopted: TrialRef(trial: 1, attempt: 2))),
            .assign(.init(study: "s", trial: 3, attempt: 1, seed: 42, params: ["x": .double(0.5), "n": .int(3)], spec: spec, maxEpochs: 2, metric: "value")),
            .decision(.init(trial: 3, attempt: 1, epoch: 1, action: .prune, reason: "below median")),
            .noWork(reason: "wait"), .stop(reason: "done"), .cancel(TrialRef(trial: 1, attempt: 1), reason: "lost"),
            .identify, .heartbeat, .error("bad"), .quarantine(reason: "broken host"), .refuse(reason: "id in use"),
        ]
        for m in messages {
            #expect(try codec.decodeCoordinatorMessage(codec.encode(m)) == m)
        }
    }

    @Test func wireFormatIsPlainJSONWithVersionAndType() throws {
        let text = String(decoding: codec.encode(WorkerMessage.ready), as: UTF8.self)
        #expect(text == "{\"v\":1,\"type\":\"ready\"}")
    }

    @Test func badMessagesAreClassified() {
        func violation(_ s: String) -> ProtocolViolation? {
            do { _ = try codec.decodeWorkerMessage(Array(s.utf8)); return nil } catch { return error }
        }
        #expect(violation("garbage") == .notJSON)
        #expect(violation("{\"v\":1}") == .missingType)
        #expect(violation("{\"v\":2,\"type\":\"ready\"}") == .unsupportedVersion(2))
        #expect(violation("{\"v\":1,\"type\":\"dance\"}") == .unknownType("dance"))
        if case .invalid(let t, _)? = violation("{\"v\":1,\"type\":\"report\",\"trial\":1,\"attempt\":1}") { #expect(t == "report") } else { Issue.record("missing epoch accepted") }
        if case .invalid? = violation("{\"v\":1,\"type\":\"report\",\"trial\":-1,\"attempt\":1,\"epoch\":1,\"metrics\":{}}") {} else { Issue.record("negative trial accepted") }
        if case .invalid? = violation("{\"v\":1,\"type\":\"result\",\"trial\":1,\"attempt\":1,\"state\":\"great\",\"metrics\":{},\"epochs\":1,\"ready\":true}") {} else { Issue.record("bad state accepted") }
        let big = "{\"v\":1,\"type\":\"ready\",\"pad\":\"\(String(repeating: "x", count: 5000))\"}"
        #expect(violation(big) == .oversized(bytes: big.utf8.count, limit: 4096))
        // A lone surrogate escape once crashed the parser; now it is just text.
        #expect(violation(#"{"v":1,"type":"hello","worker":"\uD800\u0041","host":"h","pid":1,"version":"x","cores":1,"threads":1,"capabilities":[],"running":null}"#) == nil)
        // A worker id with a control character is refused (a NUL would end it early in SQLite).
        for id in [#"w\u0000a"#, #"w\nb"#, #"w\u007f"#, #"w\u009b"#] {
            if case .invalid(_, let why)? = violation(#"{"v":1,"type":"hello","worker":""# + id + #"","host":"h","pid":1,"version":"x","cores":1,"threads":1,"capabilities":[],"running":null}"#) {
                #expect(why.contains("no control characters"), "\(why)")
            } else { Issue.record("worker id \(id) accepted") }
        }
        // Unknown extra fields are fine.
        #expect(violation("{\"v\":1,\"type\":\"ready\",\"future\":true}") == nil)
    }

    @Test func aMissingOrTextVersionIsNamedAsSuch() {
        func violation(_ s: String) -> ProtocolViolation? {
            do { _ = try codec.decodeWorkerMessage(Array(s.utf8)); return nil } catch { return error }
        }
        let missing = violation("{\"type\":\"ready\"}")
        #expect(missing == .invalidVersion("no \"v\" field"))
        #expect(missing?.description.contains("version 0") == false)
        #expect(missing?.description.contains("\"v\": 1") == true)
        #expect(violation("{\"v\":\"1\",\"type\":\"ready\"}") == .invalidVersion("\"v\" must be an integer"))
        #expect(violation("{\"v\":1.5,\"type\":\"ready\"}") == .invalidVersion("\"v\" must be an integer"))
    }

    @Test func infinitiesTravelAsInfNaNAsNull() throws {
        let report = WorkerMessage.report(.init(trial: 1, attempt: 1, epoch: 1, value: .infinity, metrics: [:]))
        let text = String(decoding: codec.encode(report), as: UTF8.self)
        #expect(text.contains("\"value\":\"inf\""), "\(text)")
        #expect(try codec.decodeWorkerMessage(codec.encode(report)) == report)
        let low = WorkerMessage.result(.init(trial: 1, attempt: 1, state: .complete, value: -.infinity, metrics: [:], epochs: 1, ready: false))
        #expect(try codec.decodeWorkerMessage(codec.encode(low)) == low)
        let nan = String(decoding: codec.encode(WorkerMessage.report(.init(trial: 1, attempt: 1, epoch: 1, value: .nan, metrics: [:]))), as: UTF8.self)
        #expect(nan.contains("\"value\":null"))
    }
}
