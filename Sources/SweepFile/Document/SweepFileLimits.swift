/// Size limits on sweep and train files, checked before anything is parsed into memory.
///
/// docs/limits.md lists every limit of Sweep with the reason for it; keep it in step.
public enum SweepFileLimits {
    /// Bytes in one sweep or train file. Real files are a few kilobytes; the file is stored
    /// with its study and parsed again on every resume, so a megabyte is already generous.
    public static let maxFileBytes = 1 << 20
    /// Nesting of lists and mappings. Real files nest fewer than 10 levels; the reader and
    /// the decoder recurse once per level, so the bound keeps their stack use small.
    public static let maxDepth = 64
}
