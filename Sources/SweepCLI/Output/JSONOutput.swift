import Foundation
import Search
import Store

/// JSON views of stored records, the stable form `--format json` and `sweep export` print.
enum JSONOutput {
    static func render<T: Encodable>(_ value: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try e.encode(value), as: UTF8.self)
    }

    struct Study: Encodable {
        var name: String
        var direction: String
        var metric: String
        var state: String
        var budget_trials: Int
        var max_epochs: Int?
        var seed: UInt64
        var created_at: Double
        var finished_at: Double?
        var counts: [String: Int]?

        init(_ s: StudyRecord, counts: [TrialState: Int]? = nil) {
            name = s.name
            direction = s.direction.rawValue
            metric = s.definition.metric
            state = s.state.rawValue
            budget_trials = s.definition.budgetTrials
            max_epochs = s.definition.maxEpochs
            seed = s.definition.seed
            created_at = s.createdAt
            finished_at = s.finishedAt
            self.counts = counts.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) }
        }
    }

    struct Point: Encodable {
        var step: Int
        var value: Double?
        var metrics: [String: Double]
        var pruned: Bool
        var reason: String?
    }

    struct Attempt: Encodable {
        var attempt: Int
        var worker: String
        var started_at: Double
        var ended_at: Double?
        var outcome: String?
        var error: String?
        /// The epoch whose checkpoint the attempt continued from (absent: it started at epoch 1).
        var resumed_from_epoch: Int?
        var log_tail: String?
    }

    struct Trial: Encodable {
        var number: Int
        var state: String
        var value: Double?
        var params: Params
        var metrics: [String: Double]
        var epochs: Int
        var seed: UInt64
        var attempt: Int
        var worker: String?
        var started_at: Double?
        var finished_at: Double?
        var duration: Double?
        var error: String?
        var prune_reason: String?
        var intermediate: [Point]?
        var attempts: [Attempt]?
        /// Command trials: every value the program got, plain ones too (`sweep export`).
        var arguments: Params?

        init(_ t: TrialRecord, curve: [IntermediateRecord]? = nil, attempts: [AttemptRecord]? = nil) {
            number = t.number
            state = t.state.rawValue
            value = t.value
            params = t.params
            metrics = t.metrics
            epochs = t.epochs
            seed = t.seed
            attempt = t.attempt
            worker = t.worker
            started_at = t.startedAt
            finished_at = t.finishedAt
            duration = t.duration
            error = t.error
            prune_reason = t.pruneReason
            intermediate = curve?.map { Point(step: $0.step, value: $0.value, metrics: $0.metrics, pruned: $0.pruned, reason: $0.reason) }
            self.attempts = attempts?.map { Attempt(attempt: $0.attempt, worker: $0.worker, started_at: $0.startedAt, ended_at: $0.endedAt, outcome: $0.outcome?.rawValue, error: $0.error,
                                                         resumed_from_epoch: $0.resumedFromEpoch, log_tail: $0.logTail) }
        }
    }
}
