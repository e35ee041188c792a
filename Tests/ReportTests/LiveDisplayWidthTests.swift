import Foundation
import Testing

/// The live display of `sweep run` in an 80-column terminal whose lines are longer than
/// the screen is wide: every refresh must overwrite the whole block, and the final block
/// must appear once.
@Suite(.serialized) struct LiveDisplayWidthTests {
    /// Parameter names long enough that the `best:` line takes ~150 columns.
    static func wideSweep(study: String) -> String {
        """
        study: \(study)
        seed: 5
        synthetic:
          function: sphere
          epochs: 3
          sleep: 0.25
          inputs:
            first_input_with_a_rather_long_name: {uniform: [-2, 2]}
            second_input_with_a_rather_long_name: {uniform: [-2, 2]}
            third_input_with_a_rather_long_name: {uniform: [-2, 2]}
        pruner: {name: median, n_startup_trials: 3}
        budget: {trials: 24}
        """
    }

    @Test(arguments: [80, 110])
    func liveDisplayLeavesNoStaleLinesAtNarrowWidths(columns: Int) throws {
        let s = try Scratch("tmux-\(columns)")
        defer { s.cleanUp() }
        let file = try s.write("wide.yaml", Self.wideSweep(study: "wide"))
        let run = try TmuxRun(s, command: "'\(Scratch.sweep)' run '\(file)' --workers 2 --db '\(s.db)'", columns: columns, rows: 45) {
            $0.contains("[RUNNING]")
        }
        let midRun = run.screens, final = run.final
        #expect(final.contains("SWEEP-EXIT=0"), "\(final)")
        #expect(midRun.count >= 3, "too few screens while running: \(midRun.count)")
        let withBest = midRun.filter { $0.contains("best: trial") }
        #expect(!withBest.isEmpty, "no screen showed a best trial")

        // Every screen while running: one block, each of its lines once, none wider than the pane.
        for screen in midRun {
            for needle in ["wide [", "  done ", "throughput", "best:", "worker(s)"] {
                #expect(HTMLScan.count(needle, in: screen) <= 1, "stale '\(needle)' lines at \(columns) columns:\n\(screen)")
            }
            #expect(HTMLScan.count("wide [", in: screen) == 1, "\(screen)")
            #expect(screen.split(separator: "\n").allSatisfy { $0.count <= columns }, "\(screen)")
        }
        // The final block, once.
        #expect(HTMLScan.count("  done ", in: final) == 1, "the final block is shown more than once:\n\(final)")
        #expect(HTMLScan.count("wide [", in: final) == 1, "\(final)")
        #expect(!final.contains("[RUNNING]"), "a stale running block is left:\n\(final)")
        #expect(final.contains("[FINISHED]") && final.contains("study 'wide' finished in"), "\(final)")
    }
}
