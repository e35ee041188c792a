@testable import Cluster
import Testing

/// A Python program that cannot meet Sweep fails with a hint of what to change.
struct ProgramFailureHintTests {
    @Test func eachWayAPythonProgramMissesSweepIsNamed() {
        let noClient = "Traceback (most recent call last):\n  File \"t.py\", line 1\nModuleNotFoundError: No module named 'sweep_client'\n"
        #expect(ProgramFailureHint.hint(stderr: noClient)?.hasPrefix("the Python client is not installed where this worker runs") == true)
        let noWandB = "ModuleNotFoundError: No module named 'wandb'\n"
        #expect(ProgramFailureHint.hint(stderr: noWandB)?.contains("`import sweep_client as wandb`") == true)
        // The real package, run without a W&B login (wandb 0.31's words).
        let realWandB = "  File \"/v/site-packages/wandb/sdk/wandb_login.py\", line 209, in _login\nwandb.errors.errors.UsageError: No API key configured. Use `wandb login` to log in.\n"
        #expect(ProgramFailureHint.hint(stderr: realWandB)?.hasPrefix("the program uses the wandb package, which reports to W&B, not to Sweep") == true)
        // Other failures get none.
        #expect(ProgramFailureHint.hint(stderr: "ZeroDivisionError: division by zero\n") == nil)
        #expect(ProgramFailureHint.hint(stderr: "ModuleNotFoundError: No module named 'torch'\n") == nil)
        // An optional import the program printed, then a failure of its own: no hint.
        #expect(ProgramFailureHint.hint(stderr: "wandb not available: No module named 'wandb'\nTraceback (most recent call last):\n  File \"t.py\", line 9\nZeroDivisionError: division by zero\n") == nil)
    }
}
