import ArgumentParser
import Foundation
import Store
import SweepReport
import SweepSupport
import Training

/// `sweep report STUDY`: one self-contained HTML file with the study's plots.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report of a study: history, curves, parallel coordinates, importance, slices.",
        discussion: """
            The file needs no network to open: plots are inline SVG; the styles and
            one small script are embedded. It shows the optimization history with the
            best value so far, every trial's per-epoch curve (pruned trials marked
            where they stopped), parallel coordinates, parameter importance, a slice
            plot per parameter, the top trials and the sweep file. Safe while the sweep
            runs; run it again to refresh. report.html#history (or #curves, #parallel,
            #importance, #slices) shows that plot alone.

            Examples:
              sweep report quickstart
              sweep report schedules --db runs/schedules.db --out schedules.html
              sweep report quickstart --out - > report.html
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name.") var study: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the HTML ('-' for standard output; default STUDY.html).", valueName: "file"), completion: .file())
    var out: String?

    func run() throws {
        let reader = try database.reader()
        let data = try ReportData.load(reader, study: study, databasePath: database.path, now: Date().timeIntervalSince1970)
        let page = ReportPage.render(data, version: SweepCommand.configuration.version)
        let path = out ?? Self.defaultFileName(study)
        if path == "-" {
            StandardStream.output.write(page)
            return
        }
        do { try OutputFile.write(page, to: path) } catch { throw OutputFailure.of(error, writing: path) }
        let kb = Double(page.utf8.count) / 1024
        print("wrote \(path) (\(String(format: "%.0f", kb)) KB): \(data.trials.count) trials, best \(data.metric) \(Fmt.value(data.best?.value))")
    }

    /// `STUDY.html`, with characters that do not belong in file names replaced.
    static func defaultFileName(_ study: String) -> String {
        String(study.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }) + ".html"
    }
}
