import SweepCLI

SweepCommand.runMain()
