import Foundation
import Randomness

/// Small generated classification sets for fast tests and quick sweeps.
enum SyntheticData {
    /// Generates `count` samples (features row-major, labels) of `name`.
    static func generate(
        _ name: DatasetName, count: Int, noise: Double, classes: Int, using rng: inout SeededGenerator
    ) -> (features: [Float], labels: [Int32], width: Int) {
        let width = name == .invertBits ? 1 : 2
        var features = [Float](), labels = [Int32]()
        features.reserveCapacity(count * width)
        labels.reserveCapacity(count)
        for _ in 0..<count {
            switch name {
            case .moons:
                // The two interleaving half circles of scikit-learn's make_moons.
                let label = rng.nextInt(below: 2)
                let t = Double.pi * rng.nextDouble()
                let (x, y) = label == 0 ? (cos(t), sin(t)) : (1 - cos(t), 0.5 - sin(t))
                features += [Float(x + noise * rng.nextNormal()), Float(y + noise * rng.nextNormal())]
                labels.append(Int32(label))
            case .xor:
                let x = 2 * rng.nextDouble() - 1, y = 2 * rng.nextDouble() - 1
                labels.append(x * y >= 0 ? 0 : 1)
                features += [Float(x + noise * rng.nextNormal()), Float(y + noise * rng.nextNormal())]
            case .blobs:
                // Cluster centres evenly on a circle of radius 3; noise is the cluster std.
                let label = rng.nextInt(below: classes)
                let angle = 2 * Double.pi * Double(label) / Double(classes)
                features += [Float(3 * cos(angle) + noise * rng.nextNormal()), Float(3 * sin(angle) + noise * rng.nextNormal())]
                labels.append(Int32(label))
            case .spirals:
                // One arm per class, radius growing with t, angle noise.
                let label = rng.nextInt(below: classes)
                let t = rng.nextDouble()
                let angle = 2 * Double.pi * Double(label) / Double(classes) + 4 * t + noise * rng.nextNormal()
                features += [Float(t * sin(angle)), Float(t * cos(angle))]
                labels.append(Int32(label))
            case .invertBits:
                let bit = rng.nextInt(below: 2)
                features.append(Float(Double(bit) + noise * rng.nextNormal()))
                labels.append(Int32(1 - bit))
            case .fashionMNIST, .csv, .tsv, .npy, .npz, .idx:
                preconditionFailure("\(name.rawValue) is not synthetic")
            }
        }
        return (features, labels, width)
    }
}
