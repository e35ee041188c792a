import Foundation
import Testing
@testable import Search

@Suite struct ConfigTests {
    static func sampler(_ json: String) throws -> SamplerConfig {
        try JSONDecoder().decode(SamplerConfig.self, from: Data(json.utf8))
    }

    static func pruner(_ json: String) throws -> PrunerConfig {
        try JSONDecoder().decode(PrunerConfig.self, from: Data(json.utf8))
    }

    /// The message and key of a decoding error.
    static func failure(_ body: () throws -> Void) -> (key: String?, message: String) {
        do {
            try body()
            return (nil, "no error")
        } catch DecodingError.dataCorrupted(let context) {
            return (context.codingPath.last?.stringValue, context.debugDescription)
        } catch {
            return (nil, "\(error)")
        }
    }

    @Test func samplerDefaultsAreOptunas() throws {
        let c = try Self.sampler(#"{"name": "tpe"}"#)
        #expect(c.seed == 0)
        #expect(c.tpe == TPESampler.Options())
        #expect(c.tpe.nStartupTrials == 10 && c.tpe.nEICandidates == 24 && c.tpe.constantLiar && c.tpe.multivariate)
        #expect(try Self.sampler("{}").name == .tpe)
        let q = try Self.sampler(#"{"name": "halton", "scramble": true, "seed": 3}"#)
        #expect(q.name == .quasiRandom && q.qmcType == .halton && q.scramble && q.seed == 3)
        #expect(try Self.sampler(#"{"name": "quasi_random"}"#).qmcType == .sobol)
        let t = try Self.sampler(#"{"name": "tpe", "n_startup_trials": 4, "n_ei_candidates": 48, "constant_liar": false, "multivariate": false, "prior_weight": 2}"#)
        #expect(t.tpe == TPESampler.Options(nStartupTrials: 4, nEICandidates: 48, constantLiar: false, multivariate: false, priorWeight: 2))
    }

    @Test func samplerErrorsNameTheChoices() {
        let unknown = Self.failure { _ = try Self.sampler(#"{"name": "tpee"}"#) }
        #expect(unknown.key == "name")
        #expect(unknown.message == "unknown sampler 'tpee'; expected one of: grid, random, quasi_random, sobol, halton, tpe")
        let misplaced = Self.failure { _ = try Self.sampler(#"{"name": "random", "n_startup_trials": 3}"#) }
        #expect(misplaced.key == "n_startup_trials")
        #expect(misplaced.message == "option 'n_startup_trials' does not apply to sampler 'random'; its options are: seed")
        let grid = Self.failure { _ = try Self.sampler(#"{"name": "grid", "scramble": true}"#) }
        #expect(grid.message.contains("its options are: seed, n_points"), "\(grid.message)")
        #expect(Self.failure { _ = try Self.sampler(#"{"name": "tpe", "n_ei_candidates": 0}"#) }.message == "'n_ei_candidates' must be at least 1")
        #expect(Self.failure { _ = try Self.sampler(#"{"name": "sobol", "qmc_type": "halton"}"#) }.key == "qmc_type")
        #expect(Self.failure { _ = try Self.sampler(#"{"name": "quasi_random", "qmc_type": "faure"}"#) }.message
                == "unknown qmc_type 'faure'; expected one of: sobol, halton")
    }

    /// The options of the pruner `json` decodes to, as the pruner's own config type.
    static func prunerOptions<T: PrunerOptions>(_ json: String, as: T.Type) throws -> T {
        try #require(try Self.pruner(json).options as? T)
    }

    @Test func prunerDefaultsPerPruner() throws {
        let m = try Self.prunerOptions(#"{"name": "median"}"#, as: MedianPruner.Config.self)
        #expect(m.nStartupTrials == 5 && m.nWarmupSteps == 0 && m.intervalSteps == 1 && m.nMinTrials == 1)
        #expect(try Self.pruner("{}").name == .median)
        #expect(try Self.pruner(#"{"name": "successive_halving"}"#).name == .asha)
        let a = try Self.prunerOptions(#"{"name": "successive_halving"}"#, as: SuccessiveHalvingPruner.Config.self)
        #expect(a.reductionFactor == 4 && a.minResource == .auto && a.minEarlyStoppingRate == 0)
        let h = try Self.prunerOptions(#"{"name": "hyperband", "max_resource": 81}"#, as: HyperbandPruner.Config.self)
        #expect(h.reductionFactor == 3 && h.minResource == .steps(1) && h.maxResource == .steps(81))
        #expect(try Self.prunerOptions(#"{"name": "asha", "min_resource": "auto"}"#, as: SuccessiveHalvingPruner.Config.self).minResource == .auto)
        #expect(try Self.prunerOptions(#"{"name": "threshold", "upper": 2.5}"#, as: ThresholdPruner.Config.self).upper == 2.5)
        #expect(try Self.prunerOptions(#"{"name": "patience", "patience": 3}"#, as: PatientPruner.Config.self).patience == 3)
    }

    @Test func prunerErrorsNameTheProblem() {
        let unknown = Self.failure { _ = try Self.pruner(#"{"name": "mediam"}"#) }
        #expect(unknown.key == "name")
        #expect(unknown.message == "unknown pruner 'mediam'; expected one of: none, median, percentile, asha, successive_halving, hyperband, threshold, patience, wandb_hyperband")
        let misplaced = Self.failure { _ = try Self.pruner(#"{"name": "median", "reduction_factor": 3}"#) }
        #expect(misplaced.key == "reduction_factor")
        #expect(misplaced.message == "option 'reduction_factor' does not apply to pruner 'median'; its options are: n_startup_trials, n_warmup_steps, interval_steps, n_min_trials")
        #expect(Self.failure { _ = try Self.pruner(#"{"name": "none", "patience": 3}"#) }.message.contains("it takes no options"))
        let pct = Self.failure { _ = try Self.pruner(#"{"name": "percentile", "percentile": 120}"#) }
        #expect(pct.key == "percentile" && pct.message == "'percentile' must be between 0 and 100")
        #expect(Self.failure { _ = try Self.pruner(#"{"name": "percentile"}"#) }.message.contains("needs the option 'percentile'"))
        let rf = Self.failure { _ = try Self.pruner(#"{"name": "asha", "reduction_factor": 1}"#) }
        #expect(rf.key == "reduction_factor" && rf.message == "'reduction_factor' must be at least 2")
        #expect(Self.failure { _ = try Self.pruner(#"{"name": "asha", "min_resource": "soon"}"#) }.message
                == "'min_resource' must be a positive integer or 'auto'")
        #expect(Self.failure { _ = try Self.pruner(#"{"name": "hyperband", "min_resource": "auto"}"#) }.key == "min_resource")
        #expect(Self.failure { _ = try Self.pruner(#"{"name": "hyperband", "min_resource": 9, "max_resource": 3}"#) }.key == "max_resource")
        #expect(Self.failure { _ = try Self.pruner(#"{"name": "threshold"}"#) }.message.contains("needs 'lower', 'upper' or both"))
        #expect(Self.failure { _ = try Self.pruner(#"{"name": "threshold", "lower": 2, "upper": 1}"#) }.key == "upper")
        #expect(Self.failure { _ = try Self.pruner(#"{"name": "patience", "patience": 2, "min_delta": -1}"#) }.key == "min_delta")
    }

    @Test(arguments: [
        #"{"name": "tpe", "seed": 7, "n_startup_trials": 3, "consider_endpoints": true}"#,
        #"{"name": "grid", "n_points": 4}"#,
        #"{"name": "sobol", "scramble": true}"#,
        #"{"name": "random", "seed": 18446744073709551615}"#,
    ])
    func samplerRoundTrips(json: String) throws {
        let c = try Self.sampler(json)
        let again = try JSONDecoder().decode(SamplerConfig.self, from: JSONEncoder().encode(c))
        #expect(again == c)
    }

    @Test(arguments: [
        #"{"name": "median", "n_warmup_steps": 2}"#,
        #"{"name": "percentile", "percentile": 30, "n_min_trials": 2}"#,
        #"{"name": "asha", "min_resource": 2, "reduction_factor": 3, "bootstrap_count": 1}"#,
        #"{"name": "asha"}"#,
        #"{"name": "hyperband", "max_resource": "auto"}"#,
        #"{"name": "threshold", "lower": 0.1}"#,
        #"{"name": "patience", "patience": 4, "min_delta": 0.01}"#,
        #"{"name": "none"}"#,
    ])
    func prunerRoundTrips(json: String) throws {
        let c = try Self.pruner(json)
        let again = try JSONDecoder().decode(PrunerConfig.self, from: JSONEncoder().encode(c))
        #expect(again == c)
    }

    @Test func codingKeysListEveryOption() {
        #expect(SamplerConfig.CodingKeys.allCases.map(\.stringValue) == [
            "name", "seed", "n_points", "qmc_type", "scramble", "n_startup_trials", "n_ei_candidates", "constant_liar",
            "multivariate", "prior_weight", "consider_magic_clip", "consider_endpoints"])
        #expect(Set(PrunerConfig.CodingKeys.allCases.map(\.stringValue)) == [
            "name", "n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials", "percentile", "min_resource",
            "max_resource", "reduction_factor", "min_early_stopping_rate", "bootstrap_count", "lower", "upper", "patience",
            "min_delta", "mode", "bands", "eta", "strict"])
    }

    @Test func factoriesBuildTheConfiguredObjects() throws {
        let space = Fixtures.mixedSpace
        #expect(try Self.sampler(#"{"name": "tpe", "n_startup_trials": 3}"#).makeSampler(space: space) is TPESampler)
        #expect(try Self.sampler(#"{"name": "random"}"#).makeSampler(space: space) is RandomSampler)
        #expect(try Self.sampler(#"{"name": "halton"}"#).makeSampler(space: space) is QuasiRandomSampler)
        let grid = try Self.sampler(#"{"name": "grid", "n_points": 2}"#).makeSampler(space: space) as? GridSampler
        #expect(grid?.gridSize == 2 * 2 * 20 * 6 * 2 * 8 * 3)
        #expect(try Self.sampler(#"{"name": "grid"}"#).problem(with: space) == nil)
        let huge = try SearchSpace((0..<8).map { Parameter(name: "p\($0)", distribution: .int(low: 1, high: 10, step: 1)) })
        #expect(try Self.sampler(#"{"name": "grid"}"#).problem(with: huge)?.contains("more than") == true)

        #expect(try Self.pruner(#"{"name": "none"}"#).makePruner(maxSteps: 10) is NopPruner)
        #expect(try Self.pruner(#"{"name": "median"}"#).makePruner(maxSteps: 10) is MedianPruner)
        let asha = try Self.pruner(#"{"name": "asha", "reduction_factor": 3}"#).makePruner(maxSteps: 500) as? SuccessiveHalvingPruner
        #expect(asha?.minResource == 5 && asha?.promotionSteps == [5, 15, 45, 135, 405])
        // (Stored studies re-read `auto`: these must not change.)
        for (epochs, auto) in [(1, 1), (100, 1), (199, 1), (200, 2), (300, 3), (301, 3)] {
            let p = try Self.pruner(#"{"name": "asha"}"#).makePruner(maxSteps: epochs) as? SuccessiveHalvingPruner
            #expect(p?.minResource == auto, "\(epochs) epochs")
        }
        let hb = try Self.pruner(#"{"name": "hyperband"}"#).makePruner(maxSteps: 81) as? HyperbandPruner
        #expect(hb?.bracketCount == 5 && hb?.maxResource == 81)
        #expect(try Self.pruner(#"{"name": "threshold", "upper": 1}"#).makePruner(maxSteps: 10) is ThresholdPruner)
        #expect(try Self.pruner(#"{"name": "patience", "patience": 1}"#).makePruner(maxSteps: 10) is PatientPruner)
        #expect(try Self.pruner(#"{"name": "percentile", "percentile": 10}"#).makePruner(maxSteps: 10) is PercentilePruner)
    }
}
