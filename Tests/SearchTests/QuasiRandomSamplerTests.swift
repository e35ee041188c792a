import Testing
@testable import Search

@Suite struct QuasiRandomSamplerTests {
    /// Reference points from PyTorch's SobolEngine (Joe-Kuo direction numbers, unscrambled):
    /// (index, [dims 0, 1, 2, 9, 50, 100]).
    static let torchSobol: [(Int, [Double])] = [
        (0, [0, 0, 0, 0, 0, 0]),
        (1, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
        (2, [0.75, 0.25, 0.25, 0.75, 0.25, 0.25]),
        (5, [0.875, 0.875, 0.125, 0.125, 0.625, 0.125]),
        (7, [0.125, 0.625, 0.375, 0.875, 0.875, 0.375]),
        (100, [0.4140625, 0.2578125, 0.7734375, 0.6953125, 0.8828125, 0.0390625]),
        (1023, [0.0009765625, 0.7529296875, 0.6123046875, 0.8505859375, 0.2587890625, 0.2373046875]),
    ]

    @Test func sobolMatchesTheReferenceSequence() {
        let sobol = SobolSequence(dimensions: 101)
        for (index, expected) in Self.torchSobol {
            let got = [0, 1, 2, 9, 50, 100].map { sobol.coordinate(index, dimension: $0) }
            #expect(got == expected, "point \(index)")
        }
    }

    @Test func sobolStratifiesEveryDyadicInterval() {
        for scramble in [false, true] {
            let sobol = SobolSequence(dimensions: 8, scramble: scramble, seed: 3)
            for d in 0..<8 {
                let cells = Set((0..<64).map { Int(sobol.coordinate($0, dimension: d) * 64) })
                #expect(cells.count == 64, "dimension \(d), scramble \(scramble)")
            }
        }
    }

    @Test func haltonUsesPrimeBases() {
        let h = HaltonSequence(dimensions: 2)
        #expect(h.point(1) == [0.5, 1.0 / 3])
        #expect(h.point(2) == [0.25, 2.0 / 3])
        #expect(abs(h.point(4)[1] - 4.0 / 9) < 1e-15)
        let scrambled = HaltonSequence(dimensions: 3, scramble: true, seed: 1)
        let cells = Set((0..<27).map { Int(scrambled.coordinate($0, dimension: 2) * 5 * 5) / 5 })
        #expect(cells.count == 5, "27 points of base 5 cover every fifth")
    }

    @Test func trialNTakesPointN() throws {
        let space = try SearchSpace([
            Parameter(name: "a", distribution: .uniform(low: 0, high: 1, step: nil)),
            Parameter(name: "skip", distribution: .categorical([.int(1)])),
            Parameter(name: "b", distribution: .uniform(low: 0, high: 1, step: nil)),
        ])
        let sampler = QuasiRandomSampler()
        let h = StudyHistory(direction: .minimize)
        let p = (0..<4).map { sampler.suggest(for: $0, in: space, history: h) }
        #expect(p.map { [$0["a"]!.number!, $0["b"]!.number!] } == [[0, 0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75]])
        #expect(p.allSatisfy { $0["skip"] == .int(1) })
    }

    @Test func scrambledSequencesDependOnTheSeedOnly() {
        let space = Fixtures.mixedSpace
        let h = StudyHistory(direction: .minimize)
        let a = (0..<8).map { QuasiRandomSampler(kind: .sobol, scramble: true, seed: 1).suggest(for: $0, in: space, history: h) }
        let b = (0..<8).map { QuasiRandomSampler(kind: .sobol, scramble: true, seed: 1).suggest(for: $0, in: space, history: h) }
        let c = (0..<8).map { QuasiRandomSampler(kind: .sobol, scramble: true, seed: 2).suggest(for: $0, in: space, history: h) }
        #expect(a == b)
        #expect(a != c)
        for params in a {
            for p in space.parameters { #expect(p.distribution.contains(params[p.name]!)) }
        }
    }
}
