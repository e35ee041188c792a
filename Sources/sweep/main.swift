import SweepCLI
SweepCommand.main()
