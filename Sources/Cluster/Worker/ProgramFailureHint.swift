/// What to do about a Python program's failure that comes from how it meets Sweep, read
/// from the end of its stderr: a W&B script run unchanged, or the client not installed
/// where the worker runs. Each failed with a traceback that did not say what to change.
enum ProgramFailureHint {
    /// The hint for the failure whose stderr ends with `stderr`, if one applies.
    static func hint(stderr: String) -> String? {
        // The error the program ended with: its last lines (a wandb import the program
        // tried and printed, then a failure of its own, is no reason to name wandb).
        let stderr = stderr.split(separator: "\n", omittingEmptySubsequences: true).suffix(2).joined(separator: "\n")
        if stderr.contains("No module named 'sweep_client'") {
            return "the Python client is not installed where this worker runs: `pip install ./clients/python` of the Sweep repository, into the interpreter the command runs (docs/commands.md)"
        }
        // argparse's store_true flag given `--flag=True` by ${args}.
        if stderr.contains("ignored explicit argument 'True'") || stderr.contains("ignored explicit argument 'False'") {
            return "the program takes a flag without a value (argparse's store_true), which ${args} passes as --flag=True: put ${args_no_boolean_flags} in the command instead, which passes --flag when true and leaves it out when false (docs/commands.md)"
        }
        if stderr.contains("No module named 'wandb'") {
            return "the program imports wandb: under Sweep a W&B script imports the Python client in its place, `import sweep_client as wandb` (`pip install ./clients/python`; docs/commands.md)"
        }
        // The real wandb package asks for a W&B login, and it would report to W&B, not to
        // Sweep (and give the script W&B's config, not the trial's parameters).
        if stderr.contains("wandb"), stderr.contains("No API key configured") || stderr.contains("wandb login") || stderr.contains("api_key not configured") {
            return "the program uses the wandb package, which reports to W&B, not to Sweep: import the Python client in its place, `import sweep_client as wandb` (docs/commands.md)"
        }
        return nil
    }
}
