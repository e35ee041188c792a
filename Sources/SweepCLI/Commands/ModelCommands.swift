import ArgumentParser
import Cluster
import Foundation
import SweepSupport
import Store
import Training

/// `sweep model`: the trained models a sweep kept.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "List and export the models a sweep kept.",
        discussion: """
            Training sweeps keep the model of every complete trial (or of the best K:
            `artifacts: {keep: K}` in the sweep file) beside the database, in
            DB.artifacts/.

            Examples:
              sweep model list quickstart --db runs/quickstart.db
              sweep model export quickstart best --out best.swm --db runs/quickstart.db
            """,
        subcommands: [List.self, ExportModel.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the stored models of a study.",
            discussion: "Example:\n  sweep model list quickstart --db runs/quickstart.db")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The study's name.") var study: String

        func run() throws {
            let (s, rows, retrains) = try database.reader().read { q in
                let s = try q.requireStudy(named: study)
                return (s, try q.artifacts(studyID: s.id), try q.retrains(studyID: s.id).filter { $0.modelPath != nil })
            }
            guard !rows.isEmpty || !retrains.isEmpty else { print("study '\(s.name)' kept no models"); return }
            let dir = ArtifactDirectory(database: database.path)
            if !rows.isEmpty {
                var t = TextTable(["trial", s.definition.metric, "bytes", "file"])
                let ranked = rows.sorted { a, b in
                    guard let x = a.value, let y = b.value else { return a.value != nil }
                    return s.direction.isBetter(x, than: y)
                }
                for r in ranked {
                    t.add(["\(r.trialNumber)", Fmt.value(r.value), "\(r.bytes)", dir.absolute(r.path)])
                }
                print(t.render())
            }
            // `sweep retrain`'s models (on train + validation data), which `retrain --list` scores.
            if !retrains.isEmpty {
                let shown = RetrainRecord.testMetricsShown(retrains)
                var r = TextTable(["retrained trial"] + shown.map { "test \($0)" } + ["test loss", "when", "file"])
                for x in retrains {
                    r.add(["\(x.trialNumber)"] + shown.map { Fmt.value(x.testValue($0)) } + [Fmt.value(x.testLoss), Fmt.time(x.createdAt), x.modelPath.map(dir.absolute) ?? "-"])
                }
                print((rows.isEmpty ? "" : "\n") + "retrained (sweep retrain):\n" + r.render())
            }
        }
    }

    struct ExportModel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Copy the stored model of a trial to a file (for `sweep predict` or transfer learning).",
            discussion: """
                TRIAL is a trial number, `best`, `last`, or -1, -2, ... counted from
                the end.

                Examples:
                  sweep model export quickstart best --out best.swm
                  sweep predict best.swm \\
                      /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The study's name.") var study: String
        @Argument(help: "The trial: its number, best, last, or -1, -2, ... counted from the end.") var trial: TrialChoice
        @Option(help: "Where to write the model file.", completion: .file()) var out: String

        func run() throws {
            let (s, number, record) = try database.reader().read { q -> (StudyRecord, Int, ArtifactRecord?) in
                let s = try q.requireStudy(named: study)
                let number = try trial.resolve(in: s, q)
                return (s, number, try q.artifacts(studyID: s.id).first { $0.trialNumber == number })
            }
            guard let record else {
                throw UsageError("study '\(s.name)' has no stored model for trial \(number) (models are kept for complete trials of training sweeps; see `artifacts:` and `sweep model list \(s.name)`)")
            }
            let bytes = try ArtifactDirectory(database: database.path).read(record.path)
            // Written whole or not at all (a full disk leaves no half model), with the reason.
            do { try OutputFile.write(Data(bytes), to: out) } catch { throw OutputFailure.of(error, writing: out) }
            print("wrote \(out): trial \(record.trialNumber), \(s.definition.metric) \(Fmt.value(record.value)), \(bytes.count) bytes")
        }
    }
}
