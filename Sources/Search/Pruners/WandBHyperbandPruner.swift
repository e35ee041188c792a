/// W&B's hyperband early termination as W&B's sweep controller runs it, for W&B sweep files
/// (`early_terminate: {type: hyperband, ...}`; `sweep convert wandb` writes it), after
/// `hyperband_stopping.py` of wandb/sweeps.
///
/// A run's steps are the values of the objective it reported: Sweep's epochs, as the Python
/// client counts them for W&B scripts. Band `b` applies once a trial has reported `b`
/// values, and judges its `b`-th, `history[b - 1]` (W&B since wandb/sweeps#99, 2023; its
/// code before, and a docstring still, read `history[b]`). Its threshold is `sorted(values)[int(count / eta)]` over the `b`-th value of
/// every trial that reached it (itself included; lower is better, maximized objectives are
/// negated). A trial stops when its value at the last band it passed (`strict`, W&B's
/// default), or its best value so far, is worse than that band's threshold. It is judged
/// again at every later report: W&B re-checks running runs as the others report; Sweep at
/// the trial's own reports, against the thresholds as they are then.
///
/// Bands come from W&B's settings (see ``Config``): `max_iter / eta^i` for i = 1...s
/// (whole parts, those >= 1), or `min_iter * eta^i`.
public final class WandBHyperbandPruner: Pruner {
    /// W&B's bands, increasing: how many values a trial has reported when each applies.
    public let bands: [Int]
    /// W&B's `eta`: a band keeps the best `1 / eta` of the trials that reached it.
    public let eta: Double
    /// W&B's `strict`: judge the value at the band (true) or the best so far (false).
    public let strict: Bool

    public init(bands: [Int], eta: Double, strict: Bool = true) {
        precondition(!bands.isEmpty && bands.allSatisfy { $0 >= 1 } && zip(bands, bands.dropFirst()).allSatisfy { $0 < $1 } && eta > 1,
                     "invalid W&B hyperband settings")
        self.bands = bands
        self.eta = eta
        self.strict = strict
    }

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial number: Int, step: Int, history: StudyHistory) -> PruneDecision {
        guard let trial = history.trial(number), trial.intermediate[step] != nil else {
            return .keep("no value reported at step \(step)")
        }
        guard let rung = bands.lastIndex(where: { $0 <= step }) else {
            return .keep("no band passed yet (W&B's bands at steps \(bands.map(String.init).joined(separator: ", ")))")
        }
        let band = bands[rung]
        let sign = history.direction == .minimize ? 1.0 : -1.0
        var reached: [Double] = []
        for t in history.trials {
            if let v = Self.value(t, at: band), !v.isNaN { reached.append(sign * v) }
        }
        guard !reached.isEmpty else { return .keep("no value at step \(band)") }
        reached.sort()
        let threshold = reached[min(reached.count - 1, Int((1.0 / eta) * Double(reached.count)))] // W&B: int(r * len), r = 1 / eta
        let judged: Double?
        let what: String
        if strict {
            judged = Self.value(trial, at: band).flatMap { $0.isNaN ? nil : sign * $0 }
            what = "its value at band \(band)"
        } else {
            judged = trial.intermediate.compactMap { $0.key <= step && !$0.value.isNaN ? sign * $0.value : nil }.min()
            what = "its best value so far"
        }
        guard let value = judged else { return PruneDecision(prune: true, reason: "its value at step \(band) is NaN", rung: rung) }
        let shown = { (v: Double) in decisionText(sign * v) }
        let of = "the threshold \(shown(threshold)) at band \(band) (\(plural(reached.count, "trial")), eta \(eta == eta.rounded() ? String(Int(eta)) : String(eta)))"
        if value > threshold {
            return PruneDecision(prune: true, reason: "\(what), \(shown(value)), is worse than \(of)", rung: rung, cutoff: sign * threshold)
        }
        return PruneDecision(prune: false, reason: "\(what), \(shown(value)), is within \(of)", rung: rung, cutoff: sign * threshold)
    }
}

extension WandBHyperbandPruner {
    /// A trial's `n`-th value, as W&B indexes a run's history: the value at epoch `n` (the
    /// client numbers a W&B script's epochs by its values), else the `n`-th in epoch order
    /// (a program numbering its epochs itself, or one whose line was dropped).
    static func value(_ trial: TrialSnapshot, at n: Int) -> Double? {
        if let v = trial.intermediate[n] { return v }
        guard trial.intermediate.count >= n else { return nil }
        return trial.intermediate.sorted { $0.key < $1.key }[n - 1].value
    }

    /// `pruner: {name: wandb_hyperband, bands: [5, 16], eta: 3, strict: true}`: W&B's bands
    /// as its controller computes them (`sweep convert wandb` writes them from `min_iter` or
    /// `max_iter` and `s`).
    public struct Config: PrunerOptions {
        public static let name = PrunerConfig.Name.wandbHyperband
        static let bandsKey = PrunerOptionKey("bands")
        static let etaKey = PrunerOptionKey("eta")
        static let strictKey = PrunerOptionKey("strict")
        public static let keys = [bandsKey, etaKey, strictKey]

        /// Steps (values of the objective) at which bands apply, increasing, >= 1.
        public var bands: [Int]
        /// Above 1 (W&B's default 3).
        public var eta = 3.0
        /// W&B's `strict` (default true): judge the value at the band, not the best so far.
        public var strict = true

        public init(bands: [Int], eta: Double = 3, strict: Bool = true) {
            self.bands = bands
            self.eta = eta
            self.strict = strict
        }

        /// W&B's bands from `max_iter` and `s`: `max_iter / eta^i` for i = 1...s, whole parts,
        /// those >= 1, increasing (W&B's hyperband_stopping.py).
        public static func bands(maxIter: Int, s: Int, eta: Double) -> [Int] {
            var band = Double(maxIter)
            var out: [Int] = []
            for _ in 0..<s {
                band /= eta
                if band < 1 { break }
                out.append(Int(band))
            }
            return Array(Set(out)).sorted()
        }

        /// W&B's bands from `min_iter`: `min_iter * eta^i`, whole parts, up to `limit`.
        public static func bands(minIter: Int, eta: Double, upTo limit: Int) -> [Int] {
            var band = Double(minIter)
            var out: [Int] = []
            while band <= Double(limit), out.count < 100 {
                if out.last != Int(band) { out.append(Int(band)) }
                band *= eta
            }
            return out
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: PrunerOptionKey.self)
            guard c.contains(Self.bandsKey) else { throw c.missing("pruner 'wandb_hyperband' needs 'bands' (W&B's)") }
            bands = try c.option(Self.bandsKey, default: [], must: "a non-empty increasing list of whole numbers >= 1") {
                !$0.isEmpty && $0.allSatisfy { $0 >= 1 } && zip($0, $0.dropFirst()).allSatisfy { $0 < $1 }
            }
            eta = try c.option(Self.etaKey, default: eta, must: "a number above 1") { $0 > 1 && $0.isFinite }
            strict = try c.option(Self.strictKey, default: true, must: "true or false") { _ in true }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: PrunerOptionKey.self)
            try c.encode(bands, forKey: Self.bandsKey)
            try c.encode(eta, forKey: Self.etaKey)
            try c.encode(strict, forKey: Self.strictKey)
        }

        public var config: PrunerConfig { .wandbHyperband(self) }

        public func makePruner(maxSteps: Int) -> any Pruner { WandBHyperbandPruner(bands: bands, eta: eta, strict: strict) }
    }
}
