import Foundation
import JSONValue
import Search
import Store
import SweepFile
import Training

/// Why an incoming message was dropped.
public enum ProtocolViolation: Error, Equatable, CustomStringConvertible {
    case oversized(bytes: Int, limit: Int)
    case notJSON
    case missingType
    case unsupportedVersion(Int)
    /// `v` missing or not an integer.
    case invalidVersion(String)
    case unknownType(String)
    case invalid(type: String, reason: String)

    public var description: String {
        switch self {
        case .oversized(let b, let l): return "message of \(b) bytes exceeds the limit of \(l)"
        case .notJSON: return "not a JSON object"
        case .missingType: return "no 'type' field"
        case .unsupportedVersion(let v): return "protocol version \(v) is not supported (this build speaks \(Wire.version))"
        case .invalidVersion(let why): return "\(why): every message needs the protocol version \"v\": \(Wire.version)"
        case .unknownType(let t): return "unknown message type '\(t)'"
        case .invalid(let t, let r): return "malformed '\(t)': \(r)"
        }
    }
}

/// Encodes and decodes protocol messages (one JSON object per frame, docs/protocol.md).
///
/// Hand-written over ``JSONParser``/``JSONWriter``: the coordinator handles thousands of
/// messages per second and Foundation's Codable JSON costs tens of microseconds each.
/// Decoding checks size, version, type and field ranges; anything else is a
/// ``ProtocolViolation`` the caller counts and drops. Unknown extra fields are ignored so
/// that newer peers can add information.
public struct WireCodec {
    public var maxMessageBytes: Int
    private let parser = JSONParser()

    public init(maxMessageBytes: Int = Wire.defaultMaxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    // MARK: Frames

    /// The frames of a message: its JSON, then its binary attachment if it has one.
    public func frames(_ m: WorkerMessage) -> [[UInt8]] {
        switch m {
        case .result(let r): return [encode(m)] + [r.model].compactMap { $0 }
        case .report(let r): return [encode(m)] + [r.checkpoint].compactMap { $0 }
        case .checkpoint(.part(let p)): return [encode(m), p.bytes]
        default: return [encode(m)]
        }
    }

    /// The frames of a message: its JSON, then its binary attachments in the order their
    /// byte counts are declared (an assignment's base model, then its resume checkpoint).
    public func frames(_ m: CoordinatorMessage) -> [[UInt8]] {
        switch m {
        case .assign(let a): return [encode(m)] + [a.baseModel, a.resume.flatMap { $0.parts == nil ? $0.checkpoint : nil }].compactMap { $0 }
        case .data(.chunk(let c)): return [encode(m), c.bytes]
        case .checkpoint(.chunk(let c)) where c.refused == nil: return [encode(m), c.bytes]
        default: return [encode(m)]
        }
    }

    /// Decodes a message from its frames (JSON, and the attachments the JSON declares).
    public func decodeWorkerMessage(frames: ArraySlice<[UInt8]>) throws(ProtocolViolation) -> WorkerMessage {
        guard let json = frames.first else { throw .notJSON }
        guard frames.count <= 2 else { throw .invalid(type: "message", reason: "too many frames (\(frames.count))") }
        let m = try decodeWorkerMessage(json)
        let extra = Array(frames.dropFirst())
        switch m {
        case .result(var r):
            r.model = try attachments(json, extra, type: "result", keys: ["model_bytes"]).frames[0]
            return .result(r)
        case .report(var r):
            r.checkpoint = try attachments(json, extra, type: "report", keys: ["checkpoint_bytes"]).frames[0]
            return .report(r)
        case .checkpoint(.part(var p)):
            guard let bytes = try attachments(json, extra, type: "checkpoint_part", keys: ["part_bytes"]).frames[0], !bytes.isEmpty,
                  bytes.count <= p.total - p.offset else {
                throw .invalid(type: "checkpoint_part", reason: "'part_bytes' and its frame (1 byte or more, within 'total') are missing")
            }
            p.bytes = bytes
            return .checkpoint(.part(p))
        default:
            guard extra.isEmpty else { throw .invalid(type: "message", reason: "an extra frame that the message does not declare") }
            return m
        }
    }

    /// Decodes a message from its frames (JSON, and the attachments the JSON declares).
    public func decodeCoordinatorMessage(frames: ArraySlice<[UInt8]>) throws(ProtocolViolation) -> CoordinatorMessage {
        guard let json = frames.first else { throw .notJSON }
        let m = try decodeCoordinatorMessage(json)
        let extra = Array(frames.dropFirst())
        switch m {
        case .data(.chunk(var c)):
            guard let bytes = try attachments(json, extra, type: "data_chunk", keys: ["chunk_bytes"]).frames[0] else {
                throw .invalid(type: "data_chunk", reason: "'chunk_bytes' and its frame are missing")
            }
            c.bytes = bytes
            return .data(.chunk(c))
        case .checkpoint(.chunk(var c)) where c.refused == nil:
            guard let bytes = try attachments(json, extra, type: "checkpoint_chunk", keys: ["chunk_bytes"]).frames[0], bytes.count <= c.total - c.offset else {
                throw .invalid(type: "checkpoint_chunk", reason: "'chunk_bytes' and its frame (within 'total') are missing")
            }
            c.bytes = bytes
            return .checkpoint(.chunk(c))
        case .assign(var a):
            let (object, found) = try attachments(json, extra, type: "assign", keys: ["base_model_bytes", "resume_checkpoint_bytes"])
            a.baseModel = found[0]
            if let checkpoint = found[1] {
                guard let epoch = object?["resume_epoch"]?.int, epoch >= 1 else {
                    throw .invalid(type: "assign", reason: "'resume_epoch' must be an integer >= 1 when a resume checkpoint is attached")
                }
                a.resume = .init(epoch: epoch, checkpoint: checkpoint)
            }
            return .assign(a)
        default:
            guard extra.isEmpty else { throw .invalid(type: "message", reason: "an extra frame that the message does not declare") }
            return m
        }
    }

    /// The attachments that the byte counts under `keys` declare, matched in order to the
    /// frames after the JSON (nil for an undeclared one), and the parsed JSON. Without
    /// extra frames nothing is parsed again and nothing is attached.
    private func attachments(_ json: [UInt8], _ frames: [[UInt8]], type: String, keys: [String]) throws(ProtocolViolation)
        -> (object: JSONValue?, frames: [[UInt8]?]) {
        guard !frames.isEmpty else { return (nil, keys.map { _ in nil }) }
        guard let object = try? parser.parse(json) else { throw .notJSON }
        var rest = frames[...]
        var found: [[UInt8]?] = []
        for key in keys {
            guard let v = object[key] else { found.append(nil); continue }
            guard let n = v.int, n >= 0, n <= maxMessageBytes else { throw .invalid(type: type, reason: "'\(key)' must be a byte count") }
            let frame = rest.popFirst()
            guard let frame, frame.count == n else {
                throw .invalid(type: type, reason: "\(key) \(n) but its frame has \(frame.map { "\($0.count) bytes" } ?? "not been sent")")
            }
            found.append(frame)
        }
        guard rest.isEmpty else { throw .invalid(type: type, reason: "an extra frame that the message does not declare") }
        return (object, found)
    }

    // MARK: Worker -> coordinator

    public func encode(_ m: WorkerMessage) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("v"); w.int(Wire.version)
        switch m {
        case .hello(let h):
            w.key("type"); w.string("hello")
            w.key("worker"); w.string(h.worker)
            w.key("host"); w.string(h.host)
            w.key("pid"); w.int(h.pid)
            w.key("version"); w.string(h.version)
            w.key("cores"); w.int(h.cores)
            w.key("threads"); w.int(h.threads)
            w.key("capabilities"); w.beginArray(); for c in h.capabilities { w.string(c) }; w.endArray()
            w.key("running")
            if let r = h.running {
                w.beginObject(); w.key("trial"); w.int(r.trial); w.key("attempt"); w.int(r.attempt); w.key("epoch"); w.int(r.epoch)
                if let study = r.study { w.key("study"); w.string(study) }
                w.endObject()
            } else {
                w.null()
            }
            if let p = h.process { w.key("process"); w.string(p.token) }
        case .ready:
            w.key("type"); w.string("ready")
        case .heartbeat:
            w.key("type"); w.string("heartbeat")
        case .receipts(let receipts):
            w.key("type"); w.string("receipts")
            Receipts.encode(receipts, into: &w)
        case .report(let r):
            w.key("type"); w.string("report")
            w.key("trial"); w.int(r.trial)
            w.key("attempt"); w.int(r.attempt)
            w.key("epoch"); w.int(r.epoch)
            w.key("value"); optional(&w, r.value)
            w.key("metrics"); metrics(&w, r.metrics)
            if let s = r.seconds { w.key("seconds"); w.double(s) }
            if let c = r.checkpoint { w.key("checkpoint_bytes"); w.int(c.count) }
            if let n = r.checkpointParts { w.key("checkpoint_parts"); w.int(n) }
            if let note = r.checkpointSkipped { w.key("checkpoint_skipped"); w.string(String(note.prefix(WorkerMessage.Report.maxSkipNoteCharacters))) }
        case .result(let r):
            w.key("type"); w.string("result")
            w.key("trial"); w.int(r.trial)
            w.key("attempt"); w.int(r.attempt)
            w.key("state"); w.string(r.state.rawValue)
            w.key("value"); optional(&w, r.value)
            w.key("metrics"); metrics(&w, r.metrics)
            w.key("epochs"); w.int(r.epochs)
            w.key("ready"); w.bool(r.ready)
            if let model = r.model { w.key("model_bytes"); w.int(model.count) }
            if let log = r.log { w.key("log_tail"); w.string(log) }
            if let last = r.lastReport {
                w.key("last_report"); w.beginObject()
                w.key("epoch"); w.int(last.epoch)
                w.key("value"); optional(&w, last.value)
                w.key("metrics"); metrics(&w, last.metrics)
                if let s = last.seconds { w.key("seconds"); w.double(s) }
                w.endObject()
            }
        case .failure(let f):
            w.key("type"); w.string("failure")
            w.key("trial"); w.int(f.trial)
            w.key("attempt"); w.int(f.attempt)
            w.key("error"); w.string(f.error)
            w.key("ready"); w.bool(f.ready)
            if let log = f.log { w.key("log_tail"); w.string(log) }
            if f.trialFault { w.key("trial_fault"); w.bool(true) }
            if f.objectiveMissing { w.key("objective_missing"); w.bool(true) }
        case .bye(let b):
            w.key("type"); w.string("bye")
            w.key("reason"); w.string(b.reason)
            if let t = b.trial { w.key("trial"); w.int(t) }
            if let a = b.attempt { w.key("attempt"); w.int(a) }
        case .dataRequest(let r):
            DataTransferCodec.encode(r, into: &w)
        case .checkpoint(let r):
            CheckpointTransferCodec.encode(r, into: &w)
        }
        w.endObject()
        return w.bytes
    }

    public func decodeWorkerMessage(_ bytes: [UInt8]) throws(ProtocolViolation) -> WorkerMessage {
        let (type, o) = try header(bytes)
        var f = Fields(type: type, object: o)
        switch type {
        case "hello":
            let worker = try f.string("worker")
            if let problem = Wire.workerIDProblem(worker) { throw f.invalid(problem) }
            let host = try f.string("host")
            guard host.utf8.count <= 256 else { throw f.invalid("host name too long") }
            var running: WorkerMessage.Hello.Running?
            if let r = o["running"], !r.isNull {
                var rf = Fields(type: type, object: r)
                running = .init(trial: try rf.int("trial", min: 0), attempt: try rf.int("attempt", min: 1), epoch: try rf.int("epoch", min: 0),
                                study: try rf.optionalString("study", max: 512))
            }
            let caps = (o["capabilities"]?.elements ?? []).compactMap(\.string).prefix(32)
            // Optional (older workers lack it); one that is not well formed is ignored, never
            // trusted: the worker is then judged by its heartbeats.
            let process = o["process"]?.string.flatMap { $0.utf8.count <= 200 ? ProcessIdentity(token: $0) : nil }
            return .hello(.init(worker: worker, host: host, pid: try f.int("pid", min: 0), version: String(try f.string("version").prefix(64)),
                                cores: try f.int("cores", min: 0), threads: try f.int("threads", min: 0), capabilities: Array(caps), running: running,
                                process: process))
        case "ready": return .ready
        case "heartbeat": return .heartbeat
        case "receipts": return .receipts(try Receipts.decode(o, type: type))
        case "report":
            let m = try f.metrics("metrics")
            return .report(.init(trial: try f.int("trial", min: 0), attempt: try f.int("attempt", min: 1), epoch: try f.int("epoch", min: 1),
                                 value: try f.optionalDouble("value"), metrics: m, seconds: try f.optionalDouble("seconds"),
                                 checkpointSkipped: try f.optionalString("checkpoint_skipped", max: WorkerMessage.Report.maxSkipNoteCharacters),
                                 checkpointParts: o["checkpoint_parts"] == nil ? nil : try f.int("checkpoint_parts", min: 1, max: CheckpointTransfer.maxTotalBytes)))
        case "result":
            let text = try f.string("state")
            guard let state = WorkerMessage.Result.Ending(rawValue: text) else { throw f.invalid("state must be complete or pruned, got '\(text.prefix(32))'") }
            let (trial, attempt) = (try f.int("trial", min: 0), try f.int("attempt", min: 1))
            var lastReport: WorkerMessage.Report?
            if let l = o["last_report"], !l.isNull {
                var lf = Fields(type: "result.last_report", object: l)
                lastReport = .init(trial: trial, attempt: attempt, epoch: try lf.int("epoch", min: 1), value: try lf.optionalDouble("value"),
                                   metrics: try lf.metrics("metrics"), seconds: try lf.optionalDouble("seconds"))
            }
            return .result(.init(trial: trial, attempt: attempt, state: state,
                                 value: try f.optionalDouble("value"), metrics: try f.metrics("metrics"), epochs: try f.int("epochs", min: 0),
                                 ready: try f.bool("ready"), log: try f.optionalString("log_tail", max: WorkerMessage.Failure.maxLogCharacters),
                                 lastReport: lastReport))
        case "failure":
            return .failure(.init(trial: try f.int("trial", min: 0), attempt: try f.int("attempt", min: 1),
                                  error: String(try f.string("error").prefix(WorkerMessage.Failure.maxErrorCharacters)), ready: try f.bool("ready"),
                                  log: try f.optionalString("log_tail", max: WorkerMessage.Failure.maxLogCharacters),
                                  trialFault: o["trial_fault"] == nil ? false : try f.bool("trial_fault"),
                                  objectiveMissing: o["objective_missing"] == nil ? false : try f.bool("objective_missing")))
        case "bye":
            let trial = o["trial"] == nil ? nil : try f.int("trial", min: 0)
            let attempt = o["attempt"] == nil ? nil : try f.int("attempt", min: 1)
            return .bye(.init(reason: String(try f.string("reason").prefix(1000)), trial: trial, attempt: attempt))
        case "data_request": return .dataRequest(try DataTransferCodec.request(o))
        case "checkpoint_part", "checkpoint_request": return .checkpoint(try CheckpointTransferCodec.request(type, o))
        default:
            throw .unknownType(String(type.prefix(64)))
        }
    }

    // MARK: Coordinator -> worker

    public func encode(_ m: CoordinatorMessage) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("v"); w.int(Wire.version)
        switch m {
        case .welcome(let x):
            w.key("type"); w.string("welcome")
            w.key("study"); w.string(x.study)
            w.key("heartbeat_ms"); w.int(x.heartbeatMs)
            w.key("liveness"); w.int(x.liveness)
            w.key("adopted")
            if let a = x.adopted { ref(&w, a) } else { w.null() }
            if !x.capabilities.isEmpty { w.key("capabilities"); w.beginArray(); for c in x.capabilities { w.string(c) }; w.endArray() }
        case .assign(let a):
            w.key("type"); w.string("assign")
            w.key("study"); w.string(a.study)
            w.key("trial"); w.int(a.trial)
            w.key("attempt"); w.int(a.attempt)
            w.key("seed"); w.uint(a.seed)
            w.key("params"); w.params(a.params)
            w.key("spec"); spec(&w, a.spec)
            w.key("max_epochs"); w.int(a.maxEpochs)
            w.key("metric"); w.string(a.metric)
            w.key("keep_model"); w.bool(a.keepModel)
            if let base = a.baseModel { w.key("base_model_bytes"); w.int(base.count) }
            if a.checkpointEvery > 0 { w.key("checkpoint_every"); w.int(a.checkpointEvery) }
            if !a.pauseEpochs.isEmpty { w.key("pause_epochs"); w.beginArray(); for e in a.pauseEpochs { w.int(e) }; w.endArray() }
            if let r = a.resume {
                w.key("resume_epoch"); w.int(r.epoch)
                if let n = r.parts { w.key("resume_checkpoint_parts"); w.int(n) } else { w.key("resume_checkpoint_bytes"); w.int(r.checkpoint.count) }
            }
        case .decision(let d):
            w.key("type"); w.string("decision")
            w.key("trial"); w.int(d.trial)
            w.key("attempt"); w.int(d.attempt)
            w.key("epoch"); w.int(d.epoch)
            w.key("action"); w.string(d.action.rawValue)
            w.key("reason"); w.string(d.reason)
        case .noWork(let r):
            w.key("type"); w.string("no_work"); w.key("reason"); w.string(r)
        case .stop(let r):
            w.key("type"); w.string("stop"); w.key("reason"); w.string(r)
        case .cancel(let r, let reason):
            w.key("type"); w.string("cancel"); w.key("trial"); w.int(r.trial); w.key("attempt"); w.int(r.attempt); w.key("reason"); w.string(reason)
        case .identify:
            w.key("type"); w.string("identify")
        case .heartbeat:
            w.key("type"); w.string("heartbeat")
        case .error(let text):
            w.key("type"); w.string("error"); w.key("message"); w.string(text)
        case .quarantine(let reason):
            w.key("type"); w.string("quarantine"); w.key("reason"); w.string(reason)
        case .refuse(let reason):
            w.key("type"); w.string("refuse"); w.key("reason"); w.string(reason)
        case .data(let d):
            DataTransferCodec.encode(d, into: &w)
        case .checkpoint(let r):
            CheckpointTransferCodec.encode(r, into: &w)
        }
        w.endObject()
        return w.bytes
    }

    /// `pause_epochs`: at most 10,000 epochs >= 1 (absent: none).
    private static func pauseEpochs(_ v: JSONValue?) throws(ProtocolViolation) -> [Int] {
        guard let v, !v.isNull else { return [] }
        guard let list = v.elements, list.count <= 10_000 else { throw .invalid(type: "assign", reason: "'pause_epochs' must be a list of at most 10000 epochs") }
        var out: [Int] = []
        for e in list {
            guard let n = e.int, n >= 1 else { throw .invalid(type: "assign", reason: "'pause_epochs' must hold integers >= 1") }
            out.append(n)
        }
        return out
    }

    public func decodeCoordinatorMessage(_ bytes: [UInt8]) throws(ProtocolViolation) -> CoordinatorMessage {
        let (type, o, specRange) = try header(bytes, capturing: "spec")
        var f = Fields(type: type, object: o)
        switch type {
        case "welcome":
            var adopted: TrialRef?
            if let a = o["adopted"], !a.isNull {
                var af = Fields(type: type, object: a)
                adopted = TrialRef(trial: try af.int("trial", min: 0), attempt: try af.int("attempt", min: 1))
            }
            let caps = (o["capabilities"]?.elements ?? []).compactMap(\.string).prefix(32)
            return .welcome(.init(study: try f.string("study"), heartbeatMs: try f.int("heartbeat_ms", min: 1), liveness: try f.int("liveness", min: 1),
                                  adopted: adopted, capabilities: Array(caps)))
        case "assign":
            guard let range = specRange, let specValue = o["spec"] else { throw f.invalid("missing field 'spec'") }
            var params: Params = [:]
            for (k, v) in o["params"]?.members ?? [] { params[k] = ParamValue(json: v) }
            guard case .int(let seedInt)? = o["seed"], seedInt >= 0 else { throw f.invalid("'seed' must be an integer >= 0") }
            return .assign(.init(study: try f.string("study"), trial: try f.int("trial", min: 0), attempt: try f.int("attempt", min: 1),
                                 seed: UInt64(seedInt), params: params, spec: try decodeSpec(specValue, raw: Array(bytes[range]), type: type),
                                 maxEpochs: try f.int("max_epochs", min: 1), metric: try f.string("metric"),
                                 keepModel: o["keep_model"]?.bool ?? false,
                                 checkpointEvery: o["checkpoint_every"] == nil ? 0 : try f.int("checkpoint_every", min: 0),
                                 resume: o["resume_checkpoint_parts"] == nil ? nil
                                    : .init(epoch: try f.int("resume_epoch", min: 1), checkpoint: [],
                                            parts: try f.int("resume_checkpoint_parts", min: 1, max: CheckpointTransfer.maxTotalBytes)),
                                 pauseEpochs: try Self.pauseEpochs(o["pause_epochs"])))
        case "decision":
            let text = try f.string("action")
            guard let action = PruneAction(rawValue: text) else { throw f.invalid("action must be continue, prune or pause, got '\(text.prefix(32))'") }
            return .decision(.init(trial: try f.int("trial", min: 0), attempt: try f.int("attempt", min: 1), epoch: try f.int("epoch", min: 1),
                                   action: action, reason: try f.string("reason")))
        case "no_work": return .noWork(reason: try f.string("reason"))
        case "stop": return .stop(reason: try f.string("reason"))
        case "cancel":
            return .cancel(TrialRef(trial: try f.int("trial", min: 0), attempt: try f.int("attempt", min: 1)), reason: try f.string("reason"))
        case "identify": return .identify
        case "heartbeat": return .heartbeat
        case "error": return .error(try f.string("message"))
        case "quarantine": return .quarantine(reason: try f.string("reason"))
        case "refuse": return .refuse(reason: try f.string("reason"))
        case "data_manifest", "data_chunk", "data_refused": return .data(try DataTransferCodec.reply(type, o))
        case "checkpoint_ack", "checkpoint_chunk": return .checkpoint(try CheckpointTransferCodec.reply(type, o))
        default: throw .unknownType(String(type.prefix(64)))
        }
    }

    // MARK: Trial specs

    /// Synthetic specs are written by hand; training configurations through their Codable form.
    private func spec(_ w: inout JSONWriter, _ s: TrialSpec) {
        switch s {
        case .synthetic(let t):
            w.beginObject()
            w.key("kind"); w.string("synthetic")
            w.key("task"); w.beginObject()
            w.key("function"); w.string(t.function.rawValue)
            w.key("epochs"); w.int(t.epochs)
            w.key("sleep"); w.double(t.sleep)
            w.key("decay"); w.double(t.decay)
            w.key("fail_probability"); w.double(t.failProbability)
            w.key("inputs"); w.beginArray()
            for input in t.inputs {
                w.beginObject(); w.key("name"); w.string(input.name); w.key("value"); w.double(input.value); w.endObject()
            }
            w.endArray()
            w.endObject()
            w.endObject()
        case .training:
            // Encoding a validated configuration cannot fail.
            w.raw(Array((try? JSONEncoder().encode(s)) ?? Data("null".utf8)))
        case .command(let task):
            // Through Codable, but the arguments by hand: Foundation's JSON coders write and
            // read 1.0 as 1, and a program must get a float as a float (`max_features=1.0`
            // is all features in scikit-learn, `1` is one).
            var bare = task
            bare.arguments = []
            let data = Array((try? JSONEncoder().encode(TrialSpec.command(bare))) ?? Data("null".utf8))
            guard case .object(var top)? = try? JSONParser().parse(data), let i = top.firstIndex(where: { $0.0 == "task" }),
                  case .object(var fields) = top[i].1 else { w.raw(data); return }
            fields.removeAll { $0.0 == "arguments" }
            fields.append(("arguments", .array(task.arguments.map { a in
                .object([("name", .string(a.name)), ("value", a.value.json)] + (a.path == [a.name] ? [] : [("path", .array(a.path.map(JSONValue.string)))]))
            })))
            top[i].1 = .object(fields)
            w.value(.object(top))
        }
    }

    private func decodeSpec(_ v: JSONValue, raw: [UInt8], type: String) throws(ProtocolViolation) -> TrialSpec {
        var f = Fields(type: type, object: v)
        switch try f.string("kind") {
        case "synthetic":
            guard let task = v["task"] else { throw f.invalid("synthetic spec without 'task'") }
            var t = Fields(type: type, object: task)
            guard let function = SyntheticTask.Function(rawValue: try t.string("function")) else { throw f.invalid("unknown synthetic function") }
            var inputs: [SyntheticTask.Input] = []
            for e in task["inputs"]?.elements ?? [] {
                var ef = Fields(type: type, object: e)
                inputs.append(.init(name: try ef.string("name"), value: try ef.double("value")))
            }
            return .synthetic(SyntheticTask(function: function, epochs: try t.int("epochs", min: 1), sleep: try t.double("sleep"),
                                            decay: try t.double("decay"), failProbability: try t.double("fail_probability"), inputs: inputs))
        case "training", "command":
            let decoded: TrialSpec
            do { decoded = try JSONDecoder().decode(TrialSpec.self, from: Data(raw)) } catch { throw f.invalid("\(type) spec: \(error)") }
            guard case .command(var task) = decoded else { return decoded }
            // The arguments again from the JSON as written (floats stay floats; see `spec`).
            var arguments: [CommandTask.Argument] = []
            for e in v["task"]?["arguments"]?.elements ?? [] {
                guard let name = e["name"]?.string, let value = e["value"].map(ParamValue.init(json:)) else {
                    throw f.invalid("command spec: an argument is not {name, value}")
                }
                let path = e["path"]?.elements?.compactMap(\.string)
                guard path.map({ !$0.isEmpty && $0.joined(separator: ".") == name }) ?? true else {
                    throw f.invalid("command spec: the path of argument '\(name.prefix(64))' does not spell its name")
                }
                arguments.append(.init(name: name, value: value, path: path))
            }
            task.arguments = arguments
            return .command(task)
        case let other:
            throw f.invalid("unknown trial kind '\(other.prefix(32))'")
        }
    }

    // MARK: Shared

    private func header(_ bytes: [UInt8], capturing key: String? = nil) throws(ProtocolViolation) -> (String, JSONValue, Range<Int>?) {
        guard bytes.count <= maxMessageBytes else { throw .oversized(bytes: bytes.count, limit: maxMessageBytes) }
        guard bytes.first == UInt8(ascii: "{") else { throw .notJSON }
        let value: JSONValue
        var range: Range<Int>?
        do {
            if let key { (value, range) = try parser.parse(bytes, capturing: key) } else { value = try parser.parse(bytes) }
        } catch {
            throw .notJSON
        }
        guard let type = value["type"]?.string else { throw .missingType }
        guard let version = value["v"] else { throw .invalidVersion("no \"v\" field") }
        guard let v = version.int else { throw .invalidVersion("\"v\" must be an integer") }
        guard v == Wire.version else { throw .unsupportedVersion(v) }
        return (type, value, range)
    }

    private func header(_ bytes: [UInt8]) throws(ProtocolViolation) -> (String, JSONValue) {
        let (t, v, _) = try header(bytes, capturing: nil)
        return (t, v)
    }

    /// A value: a number, `"inf"`/`"-inf"` for infinities, null for none or NaN.
    private func optional(_ w: inout JSONWriter, _ v: Double?) {
        guard let v, !v.isNaN else { w.null(); return }
        if v.isFinite { w.double(v) } else { w.string(v > 0 ? "inf" : "-inf") }
    }

    /// Metrics with non-finite values left out (JSON has no NaN).
    private func metrics(_ w: inout JSONWriter, _ m: [String: Double]) {
        w.beginObject()
        for k in m.keys.sorted() where m[k]!.isFinite { w.key(k); w.double(m[k]!) }
        w.endObject()
    }

    private func ref(_ w: inout JSONWriter, _ r: TrialRef) {
        w.beginObject(); w.key("trial"); w.int(r.trial); w.key("attempt"); w.int(r.attempt); w.endObject()
    }
}

/// Typed access to a message's fields, with the violation naming the field.
private struct Fields {
    let type: String
    let object: JSONValue

    init(type: String, object: JSONValue) {
        self.type = type
        self.object = object
    }

    func invalid(_ reason: String) -> ProtocolViolation { .invalid(type: type, reason: reason) }

    mutating func string(_ key: String) throws(ProtocolViolation) -> String {
        guard let v = object[key] else { throw invalid("missing field '\(key)'") }
        guard let s = v.string else { throw invalid("'\(key)' must be text") }
        return s
    }

    mutating func int(_ key: String, min: Int, max: Int = .max) throws(ProtocolViolation) -> Int {
        guard let v = object[key] else { throw invalid("missing field '\(key)'") }
        guard let i = v.int else { throw invalid("'\(key)' must be an integer") }
        guard i >= min else { throw invalid("'\(key)' must be >= \(min), got \(i)") }
        guard i <= max else { throw invalid("'\(key)' must be <= \(max), got \(i)") }
        return i
    }

    mutating func double(_ key: String) throws(ProtocolViolation) -> Double {
        guard let v = object[key] else { throw invalid("missing field '\(key)'") }
        guard let d = v.double else { throw invalid("'\(key)' must be a number") }
        return d
    }

    /// Text cut to its last `max` characters, or nil when absent.
    mutating func optionalString(_ key: String, max: Int) throws(ProtocolViolation) -> String? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let s = v.string else { throw invalid("'\(key)' must be text or null") }
        return String(s.suffix(max))
    }

    mutating func optionalDouble(_ key: String) throws(ProtocolViolation) -> Double? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let d = v.double else { throw invalid("'\(key)' must be a number or null") }
        return d
    }

    mutating func bool(_ key: String) throws(ProtocolViolation) -> Bool {
        guard let v = object[key] else { throw invalid("missing field '\(key)'") }
        guard let b = v.bool else { throw invalid("'\(key)' must be true or false") }
        return b
    }

    mutating func metrics(_ key: String) throws(ProtocolViolation) -> [String: Double] {
        guard let v = object[key] else { throw invalid("missing field '\(key)'") }
        guard let members = v.members else { throw invalid("'\(key)' must be an object of numbers") }
        guard members.count <= WorkerMessage.Report.maxMetrics else { throw invalid("too many metrics (\(members.count))") }
        var out: [String: Double] = [:]
        for (k, x) in members {
            guard let d = x.double else { throw invalid("metric '\(k.prefix(64))' must be a number") }
            out[k] = d
        }
        return out
    }
}
