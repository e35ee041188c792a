import Randomness

/// One training step: rate, batch gathering, forward, loss, backward and update.
extension Trainer {
    /// Sets the optimizer's rate (and 1cycle momentum) for the next step; returns the rate.
    func prepareStep() -> Double {
        let lr = transferRate(schedule.learningRate(step: step, state: scheduleState))
        optimizer.learningRate = lr
        if let momentum = schedule.momentum(step: step), optimizer.momentum != nil {
            optimizer.momentum = momentum
        }
        return lr
    }

    func shuffleOrder() {
        // Fisher-Yates with the trial's shuffle stream.
        var i = order.count - 1
        while i > 0 {
            let j = shuffleRNG.nextInt(below: i + 1)
            order.swapAt(i, j)
            i -= 1
        }
    }

    /// Copies the rows of batch positions `start..<start+rows` (in shuffled order) into the
    /// batch buffers.
    func gather(_ features: UnsafePointer<Float>, _ labels: UnsafePointer<Int32>, from start: Int, rows: Int) {
        let width = dataset.featureCount
        order.withUnsafeBufferPointer { order in
            let indices = order.baseAddress! + start
            VectorOps.gatherRows(features, width: width, indices: indices, count: rows, into: batchInput.pointer)
            batchLabels.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows { out[r] = labels[Int(indices[r])] }
            }
            if !batchTargets.isEmpty {
                dataset.train.targets.withUnsafeBufferPointer { targets in
                    batchTargets.withUnsafeMutableBufferPointer { out in
                        for r in 0..<rows { out[r] = targets[Int(indices[r])] }
                    }
                }
            }
        }
    }

    /// The summed loss and hits of the batch's outputs; writes the loss gradient.
    private func batchLoss(_ out: UnsafePointer<Float>, rows: Int) -> (loss: Double, correct: Int) {
        let head = network.head, gradient = network.lossGradient.pointer
        if head.task == .regression {
            let loss = batchTargets.withUnsafeBufferPointer {
                head.regressionLossAndGradient(out, targets: $0.baseAddress!, rows: rows, gradient: gradient, into: &trainingErrors)
            }
            return (loss, 0)
        }
        return batchLabels.withUnsafeBufferPointer { head.lossAndGradient(out, labels: $0.baseAddress!, rows: rows, gradient: gradient) }
    }

    /// Forward, loss, backward, penalties, clipping, update and constraints for the batch in
    /// the batch buffers. Returns the summed loss (penalty included per sample) and hits.
    ///
    /// Unless gradients are clipped by their global norm, each layer is regularized,
    /// clipped, updated and constrained as soon as its backward pass is done (see
    /// `Network.backward`); every operation involved is per tensor, so the parameters are
    /// the same as after updating at the end of the whole backward pass (the penalty's
    /// per-layer sums may change the reported loss in its last bits), with the gradients
    /// still in cache.
    /// When nothing but the optimizer touches the gradients (`streamsKernelGradients`), wide
    /// Dense kernels are updated even sooner, a chunk of rows at a time as their gradient is
    /// summed (``KernelGradientStreaming``); the optimizers' updates are per element, so the
    /// result is again the same.
    func trainStep(rows: Int) -> (loss: Double, correct: Int) {
        let model = config.model, clip = config.training.clip, profiling = self.profiling
        var t = profiling ? Stopwatch.now() : 0
        let gemmBefore = network.gemm.seconds
        func lap(_ phase: WritableKeyPath<TrainingProfile, Double>) {
            guard profiling else { return }
            let now = Stopwatch.now()
            profile[keyPath: phase] += now - t
            t = now
        }
        let out = network.forward(batchInput.pointer, rows: rows, mode: .training, rng: &dropoutRNG)
        lap(\.forward)
        let (loss, correct) = batchLoss(out, rows: rows)
        lap(\.loss)
        var penalty = 0.0
        let store = network.store
        func finish(_ blocks: Range<Int>?) {
            penalty += Regularization.addPenaltyGradients(l1: model.l1, l2: model.l2, to: store, blocks: blocks)
            if let clip { GradientClipping.apply(clip, to: store, blocks: blocks) }
            optimizer.update(store, range: blocks.map { store.range(ofBlocks: $0) } ?? 0..<store.count)
            if let radius = model.maxNorm { network.applyMaxNorm(radius, blocks: blocks) }
        }
        optimizer.beginStep()
        if layerwiseUpdates && GradientClipping.isLocal(clip) {
            var updateSeconds = 0.0
            func timed(_ update: () -> Void) {
                let start = profiling ? Stopwatch.now() : 0
                update()
                if profiling { updateSeconds += Stopwatch.now() - start }
            }
            func updateLayer(_ blocks: Range<Int>) { timed { finish(blocks) } }
            func updateKernelRows(_ range: Range<Int>) { timed { optimizer.update(store, range: range) } }
            if streamsKernelGradients {
                network.backward(rows: rows, streamingKernelsTo: updateKernelRows, layerDone: updateLayer)
            } else {
                network.backward(rows: rows, layerDone: updateLayer)
            }
            lap(\.backward)
            profile.backward -= updateSeconds
            profile.update += updateSeconds
        } else {
            network.backward(rows: rows)
            lap(\.backward)
            finish(network.frozenPrefix > 0 ? network.updatedBlocks : nil)
            lap(\.update)
        }
        if let transfer, transfer.frozen { penalty += transfer.frozenPenalty }
        step += 1
        if profiling {
            profile.steps += 1
            profile.samples += rows
            profile.gemm += network.gemm.seconds - gemmBefore  // evaluation passes are not counted
        }
        return (loss + penalty * Double(rows), correct)
    }
}
