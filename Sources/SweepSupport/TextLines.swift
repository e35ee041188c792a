extension StringProtocol {
    /// The lines of a text a user's file may hold, whatever ends them: `\n`, `\r\n`
    /// (Windows; one `Character` in Swift, so splitting on `"\n"` never splits it) or `\r`.
    /// Empty lines are kept, so a line's index + 1 is its line number.
    public var textLines: [SubSequence] {
        split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }
}
