import Foundation
import Search
import Store
import Testing
@testable import Cluster

/// Workers the coordinator must not hand trials to: one that cannot run the study's kind
/// of trial, and a second worker that took an id a live worker holds.
@Suite struct WorkerAdmissionTests {
    static let commandSweep = """
        study: core
        objective: {metric: loss, direction: minimize}
        command: [sh, -c, "exit 0"]
        parameters: {x: {uniform: [0, 1]}}
        budget: {trials: 4, max_epochs: 1}
        """

    func hello(_ h: CoreHarness, _ w: String, pid: Int = 1, host: String = "h", process: ProcessIdentity? = nil, capabilities: [String]) throws {
        var message = WorkerMessage.Hello(worker: w, host: host, pid: pid, version: "t", cores: 1, threads: 1, capabilities: capabilities, running: nil)
        message.process = process
        try h.deliver(.hello(message), from: w)
    }

    /// A worker started without --allow-commands is told to leave (a non-zero exit, with
    /// what to do) instead of failing every trial of a command study in a second.
    @Test func aWorkerThatCannotRunCommandsGetsNoCommandTrial() throws {
        let h = try CoreHarness(Self.commandSweep)
        try hello(h, "plain", capabilities: ["training", "synthetic", "ahead"])
        let told = h.take("plain")
        #expect(!told.contains { if case .assign = $0 { return true }; if case .welcome = $0 { return true }; return false }, "\(told)")
        let reason = told.compactMap { if case .refuse(let r) = $0 { return r } else { return nil } }.first
        #expect(reason?.contains("was started without --allow-commands: restart it with `sweep worker --allow-commands") == true, "\(told)")
        try h.deliver(.ready, from: "plain")
        #expect(h.assignment("plain") == nil)
        #expect(try h.trials().isEmpty, "no trial was spent on it")
        // Asking again (a `--forever` worker does, every 10 s) is refused again, and recorded
        // once (it wrote a warning event each time).
        for _ in 0..<3 {
            try hello(h, "plain", capabilities: ["training", "synthetic", "ahead"])
            #expect(h.take("plain").contains { if case .refuse = $0 { return true } else { return false } })
        }
        let refusals = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }.filter { $0.message.contains("was refused") }
        #expect(refusals.count == 1, "\(refusals.map(\.message))")
        // A worker that can run them gets them.
        try hello(h, "able", capabilities: ["training", "synthetic", "ahead", "command"])
        #expect(h.assignment("able") != nil)
    }

    /// A worker of an older Sweep, which cannot read dict values or `argument_style`, is told
    /// to leave a study that uses them (it dropped the assignment it could not decode, and
    /// the trial stayed leased to an idle worker); a study without them takes it.
    @Test func anOlderWorkerIsRefusedByAStudyPassingDictsOrNestedArguments() throws {
        let older = ["training", "synthetic", "ahead", "command"]
        for sweep in [Self.commandSweep.replacingOccurrences(of: "parameters: {x: {uniform: [0, 1]}}", with: "parameters: {x: {choice: [{a: 1}, {a: 2}]}}"),
                      Self.commandSweep.replacingOccurrences(of: "budget:", with: "argument_style: nested\nbudget:")] {
            let h = try CoreHarness(sweep)
            try hello(h, "old", capabilities: older)
            let told = h.take("old")
            let reason = told.compactMap { if case .refuse(let r) = $0 { return r } else { return nil } }.first
            #expect(reason?.contains("passes dict parameter values or nested arguments") == true && reason?.contains("update Sweep on h") == true, "\(told)")
            try hello(h, "new", capabilities: older + [Wire.structuredParamsCapability])
            #expect(h.assignment("new") != nil)
        }
        let plain = try CoreHarness(Self.commandSweep)
        try hello(plain, "old", capabilities: older)
        #expect(plain.assignment("old") != nil)
    }

    /// A worker of an older Sweep, which cannot receive shipped data (no `receipts`), is
    /// refused by a study of data files: its data requests were refused, and each trial it
    /// took FAILed for good (a study of 4 trials ended with all 4 failed).
    @Test func anOlderWorkerIsRefusedByAStudyThatShipsData() throws {
        let data = try DataTransferTests.Setup()
        let text = """
            study: core
            data: {dataset: npy, train_file: \(data.dir)/x.npy, train_labels: \(data.dir)/y.npy, validation: 8, test: 8, fingerprint: "\(data.fingerprint)"}
            model: {hidden: [4]}
            training: {epochs: 1}
            budget: {trials: 2}
            """
        let h = try CoreHarness(text)
        let older = ["training", "synthetic", "ahead", Wire.checkpointPartsCapability, Wire.structuredParamsCapability]
        try hello(h, "old", capabilities: older)
        let told = h.take("old")
        let reason = told.compactMap { if case .refuse(let r) = $0 { return r } else { return nil } }.first
        #expect(reason?.contains("runs an older Sweep that cannot receive them (no `receipts` capability): update Sweep on h") == true, "\(told)")
        #expect(try h.trials().isEmpty, "no trial was spent on it")
        try hello(h, "new", capabilities: older + [Wire.receiptsCapability])
        #expect(h.assignment("new") != nil)
        // A coordinator that ships no data (`--ship-data-max-mib 0`: every worker has the
        // files) takes it.
        var noShipping = CoreHarness.defaultOptions
        noShipping.maxShippedDataBytes = 0
        let shared = try CoreHarness(text, options: noShipping)
        try hello(shared, "old", capabilities: older)
        #expect(shared.assignment("old") != nil)
        // A study without data files takes it.
        let plain = try CoreHarness(Self.commandSweep)
        try hello(plain, "old", capabilities: older + ["command"])
        #expect(plain.assignment("old") != nil)
    }

    /// A second worker saying hello under a live worker's id (another pid) is told to leave;
    /// the first keeps its id and its trial.
    @Test func aSecondWorkerWithALiveWorkersIdIsToldToLeave() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 3))
        try hello(h, "same", pid: 100, capabilities: ["synthetic"])
        let a = try #require(h.assignment("same"))
        h.now += 0.5
        try hello(h, "same", pid: 200, host: "other", capabilities: ["synthetic"])
        let told = h.take("same")
        let reason = told.compactMap { if case .refuse(let r) = $0 { return r } else { return nil } }.first
        #expect(reason?.contains("worker id 'same' is in use by another worker (pid 100 on h), which is connected") == true, "\(told)")
        // The first one goes on with its trial: its report is accepted.
        let d = try h.report("same", a, epoch: 1, value: 0.5)
        #expect(d?.prune == false)
        #expect(try h.attempts(a.trial).map(\.outcome) == [nil], "no attempt lost")
        // Once it has been silent longer than a heartbeat (it died), the id may be taken.
        h.now += 2
        try hello(h, "same", pid: 300, capabilities: ["synthetic"])
        #expect(!h.take("same").contains { if case .refuse = $0 { return true }; return false })
    }

    /// Two containers on one host name: both workers are pid 1 and took the id from each
    /// other at every hello (31 attempts of one trial in 15 s). Their process identities
    /// (pid namespace, start time) tell them apart; the same process saying hello again
    /// (a reconnect) keeps its id.
    @Test func twoPidOneWorkersOnOneHostNameAreToldApart() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 3))
        let first = ProcessIdentity(machine: "boot-a/pid:[4026532001]", pid: 1, startTicks: 100)
        let second = ProcessIdentity(machine: "boot-a/pid:[4026532002]", pid: 1, startTicks: 100)
        try hello(h, "vm-1-1", pid: 1, host: "vm", process: first, capabilities: ["synthetic"])
        let a = try #require(h.assignment("vm-1-1"))
        h.now += 0.5
        try hello(h, "vm-1-1", pid: 1, host: "vm", process: second, capabilities: ["synthetic"])
        let reason = h.take("vm-1-1").compactMap { if case .refuse(let r) = $0 { return r } else { return nil } }.first
        #expect(reason?.contains("is in use by another worker (pid 1 on vm, in another container or pid namespace)") == true, "\(String(describing: reason))")
        #expect(try h.report("vm-1-1", a, epoch: 1, value: 0.5)?.prune == false)
        h.now += 0.5
        try hello(h, "vm-1-1", pid: 1, host: "vm", process: first, capabilities: ["synthetic"])
        #expect(!h.take("vm-1-1").contains { if case .refuse = $0 { return true }; return false })
    }
}

/// Where workers join, as `status` and the hints name it.
@Suite struct JoinableEndpointTests {
    /// A coordinator bound to every address (`--bind tcp://0.0.0.0:5555`) is joined by the
    /// machine's name (the hint said `--connect tcp://0.0.0.0:5555`, which reaches nothing).
    @Test func aWildcardAddressIsNamedByTheHost() {
        #expect(StudyLock.joinable("tcp://0.0.0.0:5555", host: "vm") == "tcp://vm:5555")
        #expect(StudyLock.joinable("tcp://[::]:5555", host: "vm") == "tcp://vm:5555")
        #expect(StudyLock.joinable("tcp://10.0.0.5:5555", host: "vm") == "tcp://10.0.0.5:5555")
        #expect(StudyLock.joinable("ipc:///tmp/sweep-x/coordinator.sock", host: "vm") == "ipc:///tmp/sweep-x/coordinator.sock")
    }
}
