/// One section of the report: a titled plot (or plots) with a caption.
struct Figure {
    /// The section's id: the report shows only this figure when opened as `report.html#ID`.
    var id: String
    var title: String
    /// Plain text (escaped when rendered).
    var caption: String
    /// Ready-made HTML: one or more `<svg>` elements, or a message.
    var content: String
    /// Shown under the plot: what was thinned out for display, if anything (plain text).
    var note: String? = nil
}

/// Human-readable trial label for tooltips.
func trialTitle(_ number: Int, _ parts: String...) -> String {
    (["trial \(number)"] + parts.filter { !$0.isEmpty }).joined(separator: " · ")
}
