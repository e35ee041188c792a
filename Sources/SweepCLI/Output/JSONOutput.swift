import Foundation
import Search
import Store
import SweepFile

/// JSON views of stored records, the stable form `--format json` and `sweep export` print.
enum JSONOutput {
    static func render<T: Encodable>(_ value: T, with encoder: JSONEncoder = JSONOutput.encoder()) throws -> String {
        let data = try encoder.encode(value)
        // (Looked for in the bytes: Foundation's string search made `sweep export` 2.5x slower.)
        guard data.firstRange(of: ParameterValues.escapedMarkerBytes) != nil else { return String(decoding: data, as: UTF8.self) }
        return ParameterValues.unmark(String(decoding: data, as: UTF8.self))
    }

    /// `value` rendered and indented one level more (four spaces; an empty collection's
    /// middle line stays empty, as one encoding of the whole document writes it), appended
    /// to `out`: `sweep export` writes its trials so, one at a time.
    static func appendIndented<T: Encodable>(_ value: T, with encoder: JSONEncoder, to out: inout [UInt8]) throws {
        var atLineStart = true
        for byte in try render(value, with: encoder).utf8 {
            if atLineStart && byte != 10 { out += [32, 32, 32, 32] }
            out.append(byte)
            atLineStart = byte == 10
        }
    }

    /// The encoder of ``render(_:with:)`` (one can serve many values: `sweep export`'s trials).
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// Parameter values as JSON output shows them: a whole float keeps its decimal point.
    /// Foundation's encoder writes 1.0 as `1`, an int to whoever reads it back, and for a
    /// program `max_features=1.0` (all features) and `=1` (one) differ. Such a float is
    /// encoded as marked text and written out as a number by ``unmark(_:)``.
    struct ParameterValues: Encodable {
        var values: Params

        init(_ values: Params) { self.values = values }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Name.self)
            for (name, value) in values { try c.encode(Value(value), forKey: Name(stringValue: name)) }
        }

        struct Name: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        struct Value: Encodable {
            var value: ParamValue
            init(_ value: ParamValue) { self.value = value }

            func encode(to encoder: Encoder) throws {
                var c = encoder.singleValueContainer()
                switch value {
                case .double(let d) where d.isFinite && d == d.rounded(): try c.encode(ParameterValues.marker + formatParamNumber(d) + ParameterValues.marker)
                case .list(let items): try c.encode(items.map(Value.init))
                case .dict(let members): try c.encode(members.mapValues(Value.init))
                default: try c.encode(value)
                }
            }
        }

        /// Around a marked float: control characters no parameter text holds (the encoder
        /// escapes them as `\u0001`).
        static let marker = "\u{1}\u{1}"
        private static let escapedMarker = "\\u0001\\u0001"
        static let escapedMarkerBytes = Data(escapedMarker.utf8)

        /// `json` with every marked float written as the number it is.
        static func unmark(_ json: String) -> String {
            guard json.contains(escapedMarker) else { return json }
            let mark = NSRegularExpression.escapedPattern(for: escapedMarker)
            return json.replacingOccurrences(of: "\"" + mark + "([-+0-9.e]+)" + mark + "\"", with: "$1", options: .regularExpression)
        }
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
        /// The best trial so far (`sweep studies`; the table and CSV showed its value, JSON nothing).
        var best: Trial?

        /// `phase`: as users see the study (``StudyPhase``), not the record's RUNNING of an
        /// interrupted study.
        init(_ s: StudyRecord, phase: StudyPhase, counts: [TrialState: Int]? = nil) {
            name = s.name
            direction = s.direction.rawValue
            metric = s.definition.metric
            state = phase.rawValue
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
        var params: ParameterValues
        var metrics: [String: Double]
        var epochs: Int
        var seed: UInt64
        /// A command trial's `SWEEP_SEED` (32 bits; `seed` is above 2^53, which JSON readers
        /// such as jq and JavaScript round): the number to run its program again with.
        var program_seed: UInt32?
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
        var arguments: ParameterValues?
        /// The version of the sweep file the trial ran, in a study whose file was replaced
        /// (`--resume --force`; absent in one that never was).
        var sweep_file_version: Int?
        /// A Population Based Training member's schedules and steps (`sweep show`).
        var population: Member?
        /// The study's events about this trial (`sweep show`).
        var events: [Event]?

        init(_ t: TrialRecord, curve: [IntermediateRecord]? = nil, attempts: [AttemptRecord]? = nil) {
            number = t.number
            state = t.state.rawValue
            value = t.value
            params = ParameterValues(t.params)
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

    /// An event of the study's log.
    struct Event: Encodable {
        var time: Double
        var kind: String
        var message: String
    }

    /// What `sweep show` prints in its lineage section, as data: the epochs the member
    /// trained with which parameters, its exploit/explore steps, and the schedule its final
    /// weights went through (segments of other members included).
    struct Member: Encodable {
        struct Segment: Encodable {
            var first_epoch: Int
            var last_epoch: Int
            var trial: Int
            var params: ParameterValues
            /// The `SWEEP_SEED` that trial's program ran with (command trials): with the
            /// parameters, what a replay of this segment needs.
            var program_seed: UInt32?
        }
        struct Change: Encodable {
            var name: String
            /// The source member's value, what the member continued with, and its own before.
            var source_value: ParameterValues.Value?
            var value: ParameterValues.Value?
            var before: ParameterValues.Value?
            /// `x1.2`, `x0.8`, `resampled`, `+1` / `-1`.
            var change: String
        }
        struct Step: Encodable {
            var epoch: Int
            var source_trial: Int
            var source_epoch: Int
            var changes: [Change]
        }
        var schedule: [Segment]
        var steps: [Step]
        var effective_schedule: [Segment]

        /// Nil for a study without exploit steps (not PBT, or none yet).
        /// Each trial's `SWEEP_SEED` (a command study's), by number.
        static func programSeeds(of trials: [TrialRecord]) -> [Int: UInt32] {
            Dictionary(uniqueKeysWithValues: trials.map { ($0.number, CommandMacros.programSeed($0.seed)) })
        }

        /// `programSeeds`: each trial's `SWEEP_SEED`, for a command study.
        init?(member: TrialRecord, steps all: [LineageStep], params: [Int: Params], programSeeds: [Int: UInt32] = [:]) {
            guard !all.isEmpty else { return nil }
            let lineage = PopulationLineage(steps: all, currentParams: params)
            let epochs = max(member.epochs, 0)
            func segments(_ list: [ScheduleSegment]) -> [Segment] {
                list.map { Segment(first_epoch: $0.firstEpoch, last_epoch: $0.lastEpoch, trial: $0.member, params: ParameterValues($0.params),
                                   program_seed: programSeeds[$0.member]) }
            }
            schedule = segments(lineage.ownSchedule(of: member.number, through: epochs))
            steps = lineage.steps(of: member.number).map { step in
                Step(epoch: step.epoch, source_trial: step.source, source_epoch: step.sourceEpoch, changes: lineage.changes(of: step).map {
                    Change(name: $0.name, source_value: $0.copied.map(ParameterValues.Value.init), value: $0.value.map(ParameterValues.Value.init),
                           before: $0.before.map(ParameterValues.Value.init), change: $0.change)
                })
            }
            effective_schedule = segments(lineage.effectiveSchedule(of: member.number, through: epochs))
        }
    }
}
