/// Which way a metric of any name is better, from the words in its name, when the name
/// says it: `val_loss`, `top1_err`, `latency_ms`, `perplexity` lower; `val_acc`, `f1_macro`,
/// `mean_reward`, `bleu` higher. A name without such a word (`objective`, `y`, `metric`)
/// says nothing, and a sweep must state its direction (a guess of "higher" silently searched
/// for the worst perplexity, MSE or word error rate).
public enum MetricNameDirection {
    /// Whether lower is better for `name`; nil when its words do not say. The built-in
    /// trainer's metrics as `TrainingMetric` says; `value` (a synthetic task's) is lower.
    /// Otherwise the name's last word that is not a qualifier (`val`, `mean`, `macro`) decides,
    /// when it is in either list (`top1_err`: err), and a name with a word that turns it
    /// (`neg_log_loss`, `time_to_accuracy`, `accuracy_drop`) says nothing.
    public static func lowerIsBetter(_ name: String) -> Bool? {
        if let known = TrainingMetric(name: name) { return known.kind.lowerIsBetter }
        if name == "value" { return true }
        let all = words(of: name)
        // A negated or compound name turns a word around: `neg_mean_squared_error` (scikit-
        // learn's scorers), `time_to_accuracy`, `loss_reduction`, `accuracy_drop`.
        guard all.allSatisfy({ !turning.contains($0) }) else { return nil }
        // The last word that is not a qualifier decides (`f1_macro`: f1; `val_loss_mean`: loss).
        guard let word = all.last(where: { !qualifiers.contains($0) }) else { return nil }
        if lower.contains(word) { return true }
        if higher.contains(word) { return false }
        return nil
    }

    /// Words that turn or qualify the metric before them: a name with one says nothing.
    static let turning: Set<String> = [
        "neg", "negative", "minus", "inv", "inverse", "reciprocal", "to", "per", "until", "vs", "drop", "reduction",
        "improvement", "delta", "gap", "diff", "difference", "change", "decrease", "increase", "gain", "ratio",
    ]

    /// Words that say which split, aggregate or variant of a metric it is, not its direction.
    static let qualifiers: Set<String> = [
        "val", "valid", "validation", "test", "train", "training", "eval", "dev", "holdout", "mean", "avg", "average",
        "median", "total", "final", "overall", "best", "last", "epoch", "step", "macro", "micro", "weighted", "samples",
        "binary", "ema", "smoothed", "running",
    ]

    /// The lower-case words of `name`: split at anything but letters and digits and at
    /// lower-to-upper case changes (`valAccuracy`: val, accuracy).
    static func words(of name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for c in name {
            guard c.isLetter || c.isNumber else {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousLower = false
                continue
            }
            if c.isUppercase && previousLower && !current.isEmpty {
                words.append(current)
                current = ""
            }
            current += c.lowercased()
            previousLower = c.isLowercase || c.isNumber
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Words of metrics that are better lower: losses, errors, costs, times, sizes.
    static let lower: Set<String> = [
        "loss", "losses", "logloss", "error", "errors", "err", "mse", "rmse", "mae", "mape", "smape", "msle", "rmsle",
        "nll", "perplexity", "ppl", "wer", "cer", "ter", "cost", "regret", "risk", "penalty", "latency", "time",
        "seconds", "secs", "ms", "duration", "runtime", "distance", "dist", "divergence", "kl", "kld", "bpd", "bpc",
        "bpb", "fid", "kid", "lpips", "eer", "fpr", "fnr", "far", "frr", "brier", "ece", "hamming", "chamfer", "emd",
        "epe", "ade", "fde", "memory", "mem", "flops", "params", "size", "energy", "misclassification",
    ]

    /// Words of metrics that are better higher: accuracies, scores, rewards, overlaps.
    static let higher: Set<String> = [
        "accuracy", "acc", "auc", "auroc", "auprc", "roc", "ap", "map", "map50", "ap50", "f1", "f2", "fbeta",
        "precision", "prec", "recall", "sensitivity", "specificity", "r2", "score", "reward", "rewards", "return",
        "returns", "iou", "miou", "dice", "jaccard", "bleu", "rouge", "meteor", "cider", "chrf", "psnr", "ssim",
        "ndcg", "mrr", "hits", "top1", "top5", "kappa", "mcc", "coverage", "throughput", "fps", "likelihood", "elbo",
        "correlation", "corr", "pearson", "spearman", "profit", "success", "sharpe", "winrate",
    ]
}
