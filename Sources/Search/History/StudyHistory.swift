/// Everything samplers and pruners may look at: the study's direction and its trials.
///
/// The coordinator owns one history, updates it as workers report, and rebuilds it from
/// the store on resume. Samplers and pruners are functions of (seed, trial number,
/// history), which is what makes a resumed study decide exactly as an uninterrupted one.
///
/// Not thread-safe: it belongs to the coordinator's single poll-loop thread.
public final class StudyHistory {
    public let direction: Direction
    /// All trials, indexed by trial number.
    public private(set) var trials: [TrialSnapshot]
    /// Incremented on every change; samplers and pruners key their caches on it.
    public private(set) var version: Int = 0
    /// `stamps[n]` is the `version` right after trial `n` last changed (0 for trials given
    /// to `init`). Lets caches find the few trials that changed since they last looked.
    private var stamps: [Int]

    public init(direction: Direction, trials: [TrialSnapshot] = []) {
        precondition(trials.enumerated().allSatisfy { $0.offset == $0.element.number },
                     "trials must be numbered 0..<count in order")
        self.direction = direction
        self.trials = trials
        self.stamps = Array(repeating: 0, count: trials.count)
        self.curves = Array(repeating: nil, count: trials.count)
    }

    /// What pruners ask of a running trial's curve at each report, kept as reports come:
    /// its steps in order and the best value up to each. Asked at the latest step (as a
    /// pruner is, report after report) or at any other, these are O(log n); they were found
    /// by sorting or scanning the whole curve at every report, quadratic in a trial's epochs
    /// (a 40,000-epoch trial took a minute of the coordinator's loop). Nil: built from the
    /// curve when next asked (a repeated or earlier step was reported, or the curve was cut);
    /// dropped when the trial finishes (pruners judge running trials; memory stays that of
    /// the running ones).
    private struct CurveIndex {
        /// The reported steps, ascending.
        var steps: [Int] = []
        /// `prefixBest[i]`: the best non-NaN value at `steps[...i]` (NaN when there is none).
        var prefixBest: [Double] = []

        mutating func append(_ step: Int, _ value: Double, _ direction: Direction) {
            let before = prefixBest.last ?? .nan
            steps.append(step)
            prefixBest.append(value.isNaN || (!before.isNaN && !direction.isBetter(value, than: before)) ? before : value)
        }

        /// How many steps are at or below `step` (binary search).
        func count(upTo step: Int) -> Int {
            var lo = 0, hi = steps.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if steps[mid] <= step { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }
    private var curves: [CurveIndex?]

    private func curveIndex(_ number: Int) -> CurveIndex {
        if let known = curves[number] { return known }
        var index = CurveIndex()
        for (step, value) in trials[number].intermediate.sorted(by: { $0.key < $1.key }) { index.append(step, value, direction) }
        // (Kept for a trial still reporting; a finished one's is built for the question.)
        if !trials[number].state.isFinished { curves[number] = index }
        return index
    }

    /// The best non-NaN value trial `number` reported up to and including `step` (NaN when
    /// there is none). Later steps (which a rebuilt history may already hold) are ignored.
    public func bestIntermediate(_ number: Int, upTo step: Int) -> Double {
        let index = curveIndex(number)
        let n = index.count(upTo: step)
        return n == 0 ? .nan : index.prefixBest[n - 1]
    }

    /// The highest step trial `number` reported below `step`, if any.
    public func previousStep(_ number: Int, before step: Int) -> Int? {
        let index = curveIndex(number)
        let n = index.count(upTo: step - 1)
        return n == 0 ? nil : index.steps[n - 1]
    }

    /// The first step trial `number` reported at or after each of `steps` (nil where none):
    /// one index for all of them (a finished trial's is built per call, not kept).
    public func firstSteps(_ number: Int, atOrAfter steps: [Int]) -> [Int?] {
        let index = curveIndex(number)
        return steps.map { step in
            let n = index.count(upTo: step - 1)
            return n < index.steps.count ? index.steps[n] : nil
        }
    }

    /// The steps trial `number` reported up to and including `step`, ascending, and the
    /// best non-NaN value of the first `i` of them (`bestOfFirst(i)`, NaN when there is none).
    func reportedSteps(_ number: Int, upTo step: Int) -> (steps: ArraySlice<Int>, bestOfFirst: (Int) -> Double) {
        let index = curveIndex(number)
        let n = index.count(upTo: step)
        return (index.steps[..<n], { i in i == 0 ? .nan : index.prefixBest[i - 1] })
    }

    /// The `version` right after trial `number` last changed (0 if it came with `init`).
    public func lastChange(of number: Int) -> Int { stamps[number] }

    /// Numbers of the trials that changed (or were added) after `version`, ascending.
    /// A cache that saw the history at `version` only needs to look at these.
    /// O(changes since `version`) while the change log reaches back that far, else a scan.
    public func trialsChanged(since version: Int) -> [Int] {
        guard version < self.version else { return [] }
        if version >= logStartVersion {
            // changeLog[k] is the trial changed by version logStartVersion + k + 1.
            var seen = Set<Int>()
            for k in (version - logStartVersion)..<changeLog.count { seen.insert(changeLog[k]) }
            return seen.sorted()
        }
        var changed: [Int] = []
        stamps.withUnsafeBufferPointer { s in
            for i in 0..<s.count where s[i] > version { changed.append(i) }
        }
        return changed
    }

    /// Which trial each recent change touched, in version order (bounded; see `logChange`).
    private var changeLog: [Int] = []
    /// The version just before `changeLog[0]`.
    private var logStartVersion = 0

    /// Records that the change just made (at `version`) touched `number`.
    private func logChange(_ number: Int) {
        if changeLog.isEmpty { logStartVersion = version - 1 }
        changeLog.append(number)
        // Keep the log short: caches that fall further behind rescan the stamps.
        if changeLog.count > 4096 + 2 * trials.count {
            let drop = changeLog.count / 2
            changeLog.removeFirst(drop)
            logStartVersion += drop
        }
    }

    /// The trial with this number, if it exists.
    public func trial(_ number: Int) -> TrialSnapshot? {
        trials.indices.contains(number) ? trials[number] : nil
    }

    /// The next trial number.
    public var nextNumber: Int { trials.count }

    /// Adds a new trial; its number must be `nextNumber`.
    public func append(_ trial: TrialSnapshot) {
        precondition(trial.number == trials.count, "trial numbers must be dense")
        trials.append(trial)
        curves.append(nil)
        version &+= 1
        stamps.append(version)
        logChange(trial.number)
    }

    /// Changes a trial's state (e.g. RUNNING -> STALE -> WAITING).
    public func setState(_ number: Int, _ state: TrialState) {
        trials[number].state = state
        version &+= 1
        stamps[number] = version
        logChange(number)
    }

    /// Records an intermediate value; a repeated report for the same step overwrites it.
    /// A report without a finite value is recorded as NaN, which pruners ignore in other
    /// trials (as Optuna does).
    public func report(_ number: Int, step: Int, value: Double) {
        let replaced = trials[number].intermediate.updateValue(value, forKey: step) != nil
        if !replaced, curves[number] != nil, curves[number]!.steps.last.map({ step > $0 }) ?? true {
            curves[number]!.append(step, value, direction)
        } else {
            curves[number] = nil // (built again when asked)
        }
        version &+= 1
        stamps[number] = version
        logChange(number)
    }

    /// Replaces a trial's parameters (Population Based Training's explore step).
    public func setParams(_ number: Int, _ params: Params) {
        trials[number].params = params
        version &+= 1
        stamps[number] = version
        logChange(number)
    }

    /// Forgets a trial's intermediate values after `step`: a new attempt starts its curve
    /// afresh, or, resuming from a checkpoint after `step`, keeps the epochs up to it.
    public func clearIntermediate(_ number: Int, after step: Int = 0) {
        guard trials[number].intermediate.keys.contains(where: { $0 > step }) else { return }
        trials[number].intermediate = trials[number].intermediate.filter { $0.key <= step }
        curves[number] = nil
        version &+= 1
        stamps[number] = version
        logChange(number)
    }

    /// Marks a trial finished with its final value (`nil` for FAIL).
    public func finish(_ number: Int, state: TrialState, value: Double?) {
        trials[number].state = state
        trials[number].value = value
        curves[number] = nil
        version &+= 1
        stamps[number] = version
        logChange(number)
    }

    /// Trials in the given states, in number order.
    public func trials(in states: Set<TrialState>) -> [TrialSnapshot] {
        trials.filter { states.contains($0.state) }
    }

    /// The best COMPLETE trial, if any.
    public var best: TrialSnapshot? {
        var best: TrialSnapshot?
        for t in trials where t.state == .complete {
            guard let v = t.value, !v.isNaN else { continue }
            if let b = best?.value, !direction.isBetter(v, than: b) { continue }
            best = t
        }
        return best
    }
}
