/// What a data file's first bytes say it is, for the message when it was given as another
/// kind: an IDX file named as `dataset: npy` said only "corrupt data file ... bad magic".
enum DataFileKind: Equatable {
    case npy, npz, idx, text

    /// The kind `head` (the file's first bytes, after any gzip layer) starts like, or nil.
    init?(head: some Collection<UInt8>) {
        let b = Array(head.prefix(8))
        if b.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
            self = .npy
        } else if b.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            self = .npz
        } else if b.count >= 4, b[0] == 0, b[1] == 0, [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E].contains(b[2]), (1...8).contains(b[3]) {
            self = .idx
        } else if !b.isEmpty, b.allSatisfy({ $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || (0x20..<0x7F).contains($0) || $0 >= 0x80 }) {
            // (UTF-8 text, a byte order mark included: its bytes are all 0x80 or above.)
            self = .text
        } else {
            return nil
        }
    }

    /// ` (it looks like ...: dataset: ...)` for a file read as `expected`, or "".
    static func hint(head: some Collection<UInt8>, expected: DataFileKind) -> String {
        // A gzip layer is read only on CSV/TSV and IDX files (`x.npy.gz` said "bad magic").
        if head.starts(with: [0x1F, 0x8B]) && (expected == .npy || expected == .npz) {
            return " (it is gzip-compressed: .npy and .npz files are read uncompressed, gunzip it first; CSV, TSV and IDX files may be gzipped)"
        }
        guard let kind = DataFileKind(head: head), kind != expected else { return "" }
        switch kind {
        case .npy: return " (it looks like a NumPy .npy array: use dataset: npy)"
        case .npz: return " (it looks like a NumPy .npz archive: use dataset: npz)"
        case .idx: return " (it looks like an IDX file: use dataset: idx)"
        case .text: return " (it looks like text: for a table use dataset: csv or tsv)"
        }
    }
}
