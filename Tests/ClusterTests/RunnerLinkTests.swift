import Foundation
import JSONValue
import Search
import SweepFile
import SweepSupport
import Testing
import ZeroMQ
@testable import Cluster
@testable import Store

/// The link between a worker's two threads carries typed values (decoded once at the
/// network edge), in order, and wakes the side that waits on its socket.
@Suite struct RunnerLinkTests {
    /// Two ends of an inproc PAIR, as the worker makes them.
    private func ends() throws -> (Context, network: Socket, runner: Socket) {
        let context = try Context()
        let network = try Socket(context, .pair), runner = try Socket(context, .pair)
        let endpoint = "inproc://link-test-\(UUID().uuidString)"
        try network.bind(endpoint)
        try runner.connect(endpoint)
        return (context, network, runner)
    }

    private let assign = CoordinatorMessage.Assign(
        study: "s", trial: 3, attempt: 2, seed: 9, params: ["x": .double(0.25), "n": .int(4), "opt": .string("adam"), "bn": .bool(true)],
        spec: .synthetic(SyntheticTask(function: .sphere, epochs: 4, inputs: [.init(name: "x", value: 0.25)])),
        maxEpochs: 4, metric: "value", keepModel: true, baseModel: [1, 2, 3])

    @Test func typedMessagesCrossInOrderAndWakeTheOtherSide() throws {
        let (context, network, runner) = try ends()
        defer { network.close(); runner.close(); _ = context }
        let link = RunnerLink()
        let decision = CoordinatorMessage.Decision(trial: 3, attempt: 2, epoch: 1, action: .prune, reason: "below median")
        link.send(.command(.assign(assign)), waking: network)
        link.send(.command(.decision(decision)), waking: network)
        link.send(.quit, waking: network)
        var poller = Poller([runner])
        #expect(try poller.poll(timeoutMilliseconds: 1000) == 1)
        // The very values sent, attachment included; nothing was encoded on the way.
        #expect(link.nextToRunner() == .command(.assign(assign)))
        #expect(link.nextToRunner() == .command(.decision(decision)))
        #expect(link.nextToRunner() == .quit)
        #expect(link.nextToRunner() == nil)

        let model: [UInt8] = Array(repeating: 7, count: 100_000)
        let report = WorkerMessage.report(.init(trial: 3, attempt: 2, epoch: 1, value: 0.5, metrics: ["value": 0.5], seconds: 0.01))
        let result = WorkerMessage.result(.init(trial: 3, attempt: 2, state: .complete, value: 0.4, metrics: ["value": 0.4], epochs: 4, ready: true, model: model))
        link.send(.forward(report), waking: runner)
        link.send(.forward(result), waking: runner)
        link.send(.returned(.init(reason: "stopped", trial: 3, attempt: 2)), waking: runner)
        var networkPoller = Poller([network])
        #expect(try networkPoller.poll(timeoutMilliseconds: 1000) == 1)
        #expect(link.takeFromRunner(network) == [.forward(report), .forward(result), .returned(.init(reason: "stopped", trial: 3, attempt: 2))])
        #expect(link.takeFromRunner(network).isEmpty)
        // The wake-ups were read with the messages: nothing is left to wake the network thread.
        var again = Poller([network])
        #expect(try again.poll(timeoutMilliseconds: 50) == 0)
    }

    @Test func aCancelSentRightAfterTheAssignmentReachesTheTrial() throws {
        let (context, network, runner) = try ends()
        defer { network.close(); runner.close(); _ = context }
        let link = RunnerLink()
        link.send(.command(.assign(assign)), waking: network)
        link.send(.command(.cancel(TrialRef(trial: 3, attempt: 2), reason: "lease moved")), waking: network)
        // The runner takes the assignment alone; the cancel is the trial's to read.
        guard case .command(.assign(let a))? = link.nextToRunner() else {
            Issue.record("no assignment first")
            return
        }
        let session = TrialSession(assign: a, link: runner, mailbox: link, flags: RunnerFlags(), decisionWait: 1,
                                   connected: AtomicFlag(), log: Log(label: "test", minimum: .error))
        _ = session.poll(fileDescriptors: [], timeoutMilliseconds: 1000)
        #expect(session.cancelled)
        #expect(session.shouldEnd)
    }

    @Test func theLastEpochsReportLeavesWithTheOutcomeAndEarlierOnesAtOnce() throws {
        let (context, network, runner) = try ends()
        defer { network.close(); runner.close(); _ = context }
        let link = RunnerLink()
        var two = assign
        two.spec = .synthetic(SyntheticTask(function: .sphere, epochs: 2, inputs: [.init(name: "x", value: 0.25)]))
        let connected = AtomicFlag()
        connected.set()
        let session = TrialSession(assign: two, link: runner, mailbox: link, flags: RunnerFlags(), decisionWait: 0.05,
                                   connected: connected, log: Log(label: "test", minimum: .error))
        // Epoch 1 of 2 wakes the network thread (the runner then waits for its decision).
        _ = session.report(epoch: 1, metrics: ["value": 1], seconds: 0)
        var poller = Poller([network])
        #expect(try poller.poll(timeoutMilliseconds: 1000) == 1)
        guard case .forward(.report(let first))? = link.takeFromRunner(network).first else {
            Issue.record("no report of epoch 1")
            return
        }
        #expect(first.epoch == 1)
        // The last epoch's report is queued without a wake-up ...
        _ = session.report(epoch: 2, metrics: ["value": 0.5], seconds: 0)
        var quiet = Poller([network])
        #expect(try quiet.poll(timeoutMilliseconds: 50) == 0)
        // ... and goes with the outcome, in order.
        let result = WorkerMessage.result(.init(trial: 3, attempt: 2, state: .complete, value: 0.5, metrics: ["value": 0.5], epochs: 2, ready: true))
        link.send(.forward(result), waking: runner)
        var woken = Poller([network])
        #expect(try woken.poll(timeoutMilliseconds: 1000) == 1)
        let both = link.takeFromRunner(network)
        #expect(both.count == 2)
        if case .lastReport(let last)? = both.first { #expect(last.epoch == 2) } else { Issue.record("no last report first: \(both)") }
        #expect(both.last == .forward(result))
    }

    /// A command trial's float arguments stay floats across the wire (Foundation's JSON coders
    /// turned 1.0 into 1: scikit-learn's `max_features=1.0`, all features, became 1 feature).
    @Test func commandArgumentsKeepTheirKindsOnTheWire() throws {
        let arguments: [CommandTask.Argument] = [
            .init(name: "max_features", value: .double(1.0)), .init(name: "n", value: .int(1)), .init(name: "flag", value: .bool(true)),
            .init(name: "widths", value: .list([.double(2.0), .int(3), .list([.string("a")])])), .init(name: "s", value: .string("1.0")),
            .init(name: "opt.lr", value: .double(0.1), path: ["opt", "lr"]), .init(name: "model.depth", value: .int(2)),
        ]
        var command = assign
        command.spec = .command(CommandTask(program: "t.py", command: ["python3", "${program}", "${args}"], epochs: 3, arguments: arguments))
        guard case .assign(let back) = try WireCodec().decodeCoordinatorMessage(WireCodec().encode(.assign(command))),
              case .command(let task) = back.spec else { Issue.record("not a command assignment"); return }
        #expect(task.arguments == arguments)
        #expect(back.spec == command.spec)
    }

    @Test func parameterValuesHaveOneJSONFormOnTheWireAndInTheStore() throws {
        let params: Params = ["lr": .double(1.0), "units": .int(32), "opt": .string("a \"b\""), "bn": .bool(false)]
        let wire = try #require(String(bytes: WireCodec().encode(.assign(assign)), encoding: .utf8))
        var w = JSONWriter()
        w.params(assign.params)
        #expect(wire.contains("\"params\":\(String(decoding: w.bytes, as: UTF8.self))"))
        #expect(JSONText.decodeParams(JSONText.encode(params)) == params)
        guard case .assign(let back) = try WireCodec().decodeCoordinatorMessage(WireCodec().encode(.assign(assign))) else {
            Issue.record("not an assignment")
            return
        }
        #expect(back.params == assign.params)
        // A list is a value (a W&B list choice), and so is an object (a W&B dict choice).
        let list = wire.replacingOccurrences(of: "\"n\":4", with: "\"n\":[4, [\"a\"]]")
        guard case .assign(let listed) = try WireCodec().decodeCoordinatorMessage(Array(list.utf8)) else { Issue.record("not an assignment"); return }
        #expect(listed.params["n"] == .list([.int(4), .list([.string("a")])]))
        let object = wire.replacingOccurrences(of: "\"n\":4", with: "\"n\":{\"x\":4}")
        guard case .assign(let dict) = try WireCodec().decodeCoordinatorMessage(Array(object.utf8)) else { Issue.record("not an assignment"); return }
        #expect(dict.params["n"] == .dict(["x": .int(4)]))
    }

    /// A checkpoint this host cannot restore (an archive a peer damaged, a full disk here)
    /// starts the trial over: the program runs without SWEEP_RESUME_EPOCH and the attempt
    /// completes (it FAILed for good, "the checkpoint archive is malformed").
    @Test func aCheckpointThatCannotBeRestoredStartsTheTrialOver() throws {
        let (context, network, runner) = try ends()
        defer { network.close(); runner.close(); _ = context }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("restore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let task = CommandTask(program: nil, command: ["sh", "-c", "echo \"resume=$SWEEP_RESUME_EPOCH\" > seen.txt; echo '{\"loss\": 1}' >&3"],
                               workingDirectory: dir, epochs: 1)
        var damaged = assign
        damaged.spec = .command(task)
        damaged.metric = "loss"
        damaged.maxEpochs = 1
        damaged.baseModel = nil
        damaged.resume = .init(epoch: 3, checkpoint: [1, 2, 3])
        let connected = AtomicFlag()
        connected.set()
        let log = Log(label: "test", minimum: .error)
        let session = TrialSession(assign: damaged, link: runner, mailbox: RunnerLink(), flags: RunnerFlags(), decisionWait: 0.05, connected: connected, log: log)
        var options = WorkerOptions(connect: "tcp://127.0.0.1:1")
        options.allowCommands = true
        options.logDirectory = dir + "/logs"
        let end = CommandTrial(task: task, options: options, guardian: nil, log: log).run(session)
        #expect(end.failure == nil && end.completed, "\(end.failure ?? "")")
        #expect((try? String(contentsOfFile: dir + "/seen.txt", encoding: .utf8)) == "resume=\n")
    }
}
