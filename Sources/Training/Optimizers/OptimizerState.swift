// What each optimizer carries from one step to the next (`Optimizer.slots`, `.scalars`),
// for checkpoints.
//
// `scalars` are the values that evolve with the steps (the step count of the Adam family,
// Nadam's product of momentum-schedule values); `slots` are the per-parameter vectors
// (moments, accumulators, velocities) in a fixed order per optimizer. The rate and the
// momentum are not part of it: the trainer sets both before every step from the schedule
// and the configuration, which is what lets Population Based Training change them.
extension MomentumOptimizer {
    var slots: [FloatBuffer] { velocity.map { [$0] } ?? [] }
    var scalars: [Double] {
        get { [] }
        set {}
    }
}

extension AdaGradOptimizer {
    var slots: [FloatBuffer] { [accumulator] }
    var scalars: [Double] {
        get { [] }
        set {}
    }
}

extension RMSPropOptimizer {
    var slots: [FloatBuffer] { [meanSquare] + (velocity.map { [$0] } ?? []) }
    var scalars: [Double] {
        get { [] }
        set {}
    }
}

extension AdamOptimizer {
    var slots: [FloatBuffer] { [first, second] }
    var scalars: [Double] {
        get { [Double(iterations)] }
        set { iterations = Int(newValue[0]) }
    }
}

extension AdaMaxOptimizer {
    var slots: [FloatBuffer] { [first, norm] }
    var scalars: [Double] {
        get { [Double(iterations)] }
        set { iterations = Int(newValue[0]) }
    }
}

extension NadamOptimizer {
    var slots: [FloatBuffer] { [first, second] }
    var scalars: [Double] {
        get { [Double(iterations), momentumProduct] }
        set {
            iterations = Int(newValue[0])
            momentumProduct = newValue[1]
        }
    }
}
