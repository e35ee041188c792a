import ArgumentParser
import Cluster
import Foundation

/// `sweep keygen`: CURVE keys for a coordinator and its workers.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create CURVE keys: one pair for the coordinator, one per worker name.",
        discussion: """
            Writes KEYDIR/coordinator.key (secret), KEYDIR/coordinator.pub,
            KEYDIR/workers/NAME.key (secret, one per worker name) and
            KEYDIR/authorized_workers (the worker keys the coordinator accepts). Copy
            coordinator.pub and a workers/NAME.key to each worker host.

            Examples:
              sweep keygen --out keys --workers 8            # worker-1 ... worker-8
              sweep keygen --out keys --names gpu1,gpu2,cpu1
              sweep coordinator sweep.yaml --bind tcp://0.0.0.0:5555 --keys keys
              sweep worker --connect tcp://10.0.0.5:5555 --keys keys --key-name worker-3
            """)

    @Option(help: ArgumentHelp("Directory to create the keys in.", valueName: "dir"), completion: .directory) var out: String
    @Option(help: "Number of worker key pairs (worker-1, worker-2, ...; a single one is named worker).") var workers: Int?
    @Option(help: "Comma-separated worker names instead of --workers.") var names: String?

    func run() throws {
        var workerNames: [String]
        if let names {
            workerNames = names.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !workerNames.isEmpty, workerNames.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." } }) else {
                throw UsageError("--names takes names of letters, digits, '-', '_' and '.', separated by commas")
            }
            guard Set(workerNames).count == workerNames.count else { throw UsageError("--names has a name twice") }
        } else {
            let n = workers ?? 1
            guard n >= 1, n <= 10_000 else { throw UsageError("--workers must be between 1 and 10000, got \(n)") }
            workerNames = n == 1 ? ["worker"] : (1...n).map { "worker-\($0)" }
        }
        if workers != nil && names != nil { throw UsageError("give --workers or --names, not both") }
        do {
            try KeyDirectory.generate(at: out, workerNames: workerNames)
        } catch let e as SecurityError {
            throw UsageError(e.description)
        }
        print("wrote \(out)/coordinator.key, coordinator.pub, authorized_workers and \(workerNames.count) worker key(s): \(workerNames.joined(separator: ", "))")
    }
}
