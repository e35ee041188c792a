/// Sweep's version: what `sweep --version` prints and what workers announce in `hello`.
public let sweepVersion = "0.1.0"
