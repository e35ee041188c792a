extension SampleFiles {
    /// A CSV/TSV table for a regression model trained on `data`: raw features, the number
    /// of rows, and the target column's values when the table has any (NaN for a row whose
    /// target is empty or `NA`: predicted, not scored; a non-numeric target is an error with
    /// its file, line and column). `fillsMissing` as for ``readTable(_:like:classNames:fillsMissing:)``.
    public static func readTargetTable(_ path: String, like data: DataConfig, fillsMissing: Bool = false) throws(DataError)
        -> (values: [Float], count: Int, targets: [Float]?)
    {
        guard let files = data.files, let label = files.label else {
            throw DataError.mismatch("the model was not trained on a table with a header (its data set is \(data.dataset.rawValue))")
        }
        let table = try DelimitedTable.read(
            path, field: "input", separator: files.resolvedSeparator(data.dataset, path: path), decimal: files.resolvedDecimal, header: files.resolvedHeader,
            label: label, columns: files.columns, ignore: files.ignore, missing: fillsMissing ? .mean : .error, labelOptional: true, numericLabel: true)
        let targets = table.labels.allSatisfy(\.isEmpty) ? nil : RegressionTargets.values(table.labels, rows: Array(table.labels.indices))
        return (table.features, table.count, targets)
    }
}

/// RMSE, MAE and R^2 of predictions against targets in the same units (`sweep predict`).
public enum RegressionScores {
    /// `rmse`, `mae` and `r2` (SST around the targets' mean), as the trainer reports them.
    public static func of(predictions: [Float], targets: [Float]) -> [String: Double] {
        precondition(predictions.count == targets.count, "one target per prediction")
        var acc = MetricAccumulator()
        for (p, y) in zip(predictions, targets) { acc.record(prediction: p, target: y) }
        acc.samples = targets.count
        var metrics = acc.regressionMetrics(targetScale: 1)
        metrics["loss"] = nil
        return metrics
    }
}
