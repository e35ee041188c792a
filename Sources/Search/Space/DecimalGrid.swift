/// Grid values as the decimals a user wrote: `0.001 + 9 * 0.001` is 0.010000000000000002
/// in binary floating point; a sweep over `step: 0.001` should try (and print) 0.01.
enum DecimalGrid {
    private static let powersOfTen: [Double] = (0...15).map { p in (0..<p).reduce(1.0) { r, _ in r * 10 } }

    /// The fewest decimal places that write `x` exactly as it reads back (`0.001` -> 3,
    /// `2.5` -> 1, `40` -> 0), or nil when it needs more than 15 (no short decimal form).
    static func decimalPlaces(_ x: Double) -> Int? {
        guard x.isFinite else { return nil }
        for (places, p) in powersOfTen.enumerated() where (x * p).rounded() / p == x { return places }
        return nil
    }

    /// `value`, a point of a grid through `origin` with spacing `step`, rounded to the decimal
    /// places the two are written with; unchanged when either has no short decimal form or
    /// the rounding would lose precision.
    static func snapped(_ value: Double, step: Double, origin: Double = 0) -> Double {
        guard let a = decimalPlaces(step), let b = decimalPlaces(origin) else { return value }
        let p = powersOfTen[max(a, b)]
        let scaled = value * p
        guard abs(scaled) < 0x1p52 else { return value }
        // (+ 0: the top of [-0.9, 0] step 0.3 was -0.0, `--x=-0.0` to the program.)
        return scaled.rounded() / p + 0
    }
}
