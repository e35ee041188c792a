import ArgumentParser
public struct SweepCommand: ParsableCommand { public init() {}
 public func run() throws {} }
