import ArgumentParser
import Cluster
import Foundation
import SweepSupport
import Search
import Store
import SweepFile
import Training

/// `sweep export-schedule STUDY`: the learning-rate schedule Population Based Training found
/// for a member (the best one by default), as a train file with a piecewise schedule; for a
/// study without PBT, the trial's own train file (its parameters and seed).
struct ExportSchedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-schedule",
        abstract: "Write a trial as a train file: PBT's learning-rate schedule, or the trial itself.",
        discussion: """
            The schedule follows the member's lineage back to epoch 1: the epochs it
            trained itself since its last exploit, and before that the epochs of the
            member whose checkpoint it continued from. Other mutated parameters take
            their final values. For a study without PBT: the trial's parameters and
            seed, which `sweep train` trains again as the trial did (to publish or
            check a result).
            Example:
              sweep export-schedule pbt --db runs/pbt.db --out runs/pbt-best.yaml
              sweep train runs/pbt-best.yaml
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name (a built-in training sweep).") var study: String
    @Option(help: "Export this member instead of the best complete one.") var trial: Int?
    @Option(help: "Write to this file instead of standard output.", completion: .file()) var out: String?

    func run() throws {
        let (file, chosen, steps, params) = try database.reader().read { q in
            let s = try q.requireStudy(named: study)
            let t = try q.chosenTrial(of: s, number: trial, otherwise: "complete trial to export")
            let all = try q.trials(studyID: s.id)
            // The file the member ran (one `--resume --force` replaced since gave its network).
            return (try TrialDefinitions(study: s, reading: q).fileText(ofTrial: t.number), t, try q.lineage(studyID: s.id),
                    Dictionary(uniqueKeysWithValues: all.map { ($0.number, $0.params) }))
        }
        let definition = try SweepDefinition.parseStored(text: file.text, file: "\(study) (stored sweep file)")
        let text = try ScheduleExportPlan.trainFile(definition: definition, study: study, member: chosen, steps: steps, params: params)
        if let out {
            do { try OutputFile.write(Data(text.utf8), to: out) } catch { throw OutputFailure.of(error, writing: out) }
        } else {
            print(text, terminator: "")
        }
    }
}

extension StoreQueries {
    /// Trial `number` of `study`, or its best complete trial when `number` is nil; a usage
    /// error ("has no trial N" / "has no `missing`") otherwise.
    func chosenTrial(of study: StudyRecord, number: Int?, otherwise missing: String) throws -> TrialRecord {
        if let number {
            guard let found = try trial(studyID: study.id, number: number) else { throw UsageError("study '\(study.name)' has no trial \(number)") }
            return found
        }
        guard let best = try best(study: study, top: 1).first else { throw UsageError("study '\(study.name)' has no \(missing)") }
        return best
    }
}

/// How a PBT member's lineage becomes a train file.
enum ScheduleExportPlan {
    static let learningRatePath = "training.optimizer.learning_rate"

    static func trainFile(definition: SweepDefinition, study: String, member: TrialRecord, steps: [LineageStep],
                          params: [Int: Params]) throws -> String {
        guard definition.task == .training else {
            throw UsageError("study '\(study)' runs your own program: export-schedule writes a train file for the built-in trainer; the member's parameters epoch by epoch are in `sweep show \(study) \(member.number)` (\"schedule\" and \"lineage\")")
        }
        // Without PBT: the trial's own train file, its parameters and seed (a study could not
        // be reproduced outside Sweep but by writing one by hand).
        guard let pbt = definition.scheduler?.pbt else {
            let header = [
                "# Trial \(member.number) of study '\(study)' as it ran: its parameters and seed (\(member.seed)).",
                "# `sweep train` of this file trains the same network on the same data with the same seed: on the",
                "# same machine (and OpenBLAS kernels) its curve is the trial's, epoch for epoch\(member.state == .pruned ? " (the trial was pruned at epoch \(member.epochs); this file trains all its epochs)" : "").",
            ]
            return header.joined(separator: "\n") + "\n" + definition.document(for: member.params, trialSeed: member.seed).yamlText()
        }
        guard let rate = definition.parameters.first(where: { $0.path.description == learningRatePath })?.parameter.name,
              pbt.mutations.contains(rate) else {
            throw UsageError("study '\(study)' does not mutate \(learningRatePath); its members trained with a constant rate")
        }
        if let schedule = definition.template.node(at: ConfigPath(parsing: "training.schedule")),
           !(schedule.value == .string("constant") || schedule["name"]?.value == .string("constant")) {
            throw UsageError("study '\(study)' trains with a training.schedule that is not constant; only a constant rate can be exported as a piecewise schedule")
        }
        let epochs = max(member.epochs, 1)
        let lineage = PopulationLineage(steps: steps, currentParams: params)
        var rates: [(firstEpoch: Int, rate: Double)] = []
        for segment in lineage.effectiveSchedule(of: member.number, through: epochs) {
            guard let r = segment.params[rate]?.number else { continue }
            if rates.last?.rate != r { rates.append((segment.firstEpoch, r)) }
        }
        guard let first = rates.first else { throw UsageError("trial \(member.number) of '\(study)' has no learning rate to export") }
        var doc = definition.document(for: member.params, trialSeed: member.seed)
        var training = doc["training"] ?? ConfigNode(.mapping([]))
        var optimizer = training["optimizer"] ?? ConfigNode(.mapping([]))
        optimizer = optimizer.setting("learning_rate", to: ConfigNode(.double(first.rate)))
        training = training.setting("optimizer", to: optimizer)
        training = training.setting("epochs", to: ConfigNode(.int(epochs)))
        if rates.count > 1 {
            // Piecewise values[i] apply from epoch boundaries[i-1] on, epochs counted from 0.
            let schedule = ConfigNode(.mapping([
                .init(key: "name", value: ConfigNode(.string("piecewise"))),
                .init(key: "boundaries", value: ConfigNode(.sequence(rates.dropFirst().map { ConfigNode(.int($0.firstEpoch - 1)) }))),
                .init(key: "values", value: ConfigNode(.sequence(rates.map { ConfigNode(.double($0.rate)) }))),
            ]))
            training = training.setting("schedule", to: schedule)
        } else {
            training = training.setting("schedule", to: ConfigNode(.string("constant")))
        }
        doc = doc.setting("training", to: training)
        var header = [
            "# The learning-rate schedule Population Based Training found in study '\(study)' for trial \(member.number)",
            "# (\(rates.map { "from epoch \($0.firstEpoch): \($0.rate)" }.joined(separator: ", "))).",
        ]
        let others = pbt.mutations.filter { $0 != rate }
        if !others.isEmpty {
            header.append("# Other mutated parameters at their final values: " + others.map { "\($0) = \(member.params[$0].map { "\($0)" } ?? "unset")" }.joined(separator: ", "))
        }
        // Each member's weights came down its lineage from other members (other seeds and
        // values): training this file follows the schedule, it does not replay the run.
        header.append("# Training this file follows the schedule with this trial's seed; it is not a replay of the run (its weights came from other members), so its score differs.")
        return header.joined(separator: "\n") + "\n" + doc.yamlText()
    }
}
