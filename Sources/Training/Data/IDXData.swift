/// Public access to IDX files (gzipped or plain), e.g. for `sweep predict`.
public enum IDXData {
    /// The samples of an IDX file of unsigned bytes with rank >= 2: raw values as Float
    /// (pixels 0...255), the number of samples, and the shape of one sample.
    public static func readSamples(_ path: String) throws -> (values: [Float], count: Int, sampleShape: [Int]) {
        let bytes = try GzipReader.read(path, atMost: IDXFile.promisedBytes(path))
        guard bytes.count >= 4 else { throw DataError.corrupt(path: path, reason: "file shorter than the IDX header") }
        let rank = Int(bytes[3])
        guard rank >= 2 else { throw DataError.corrupt(path: path, reason: "an IDX file of samples needs rank >= 2, header says \(rank)") }
        let file = try IDXFile.parse(bytes, path: path, rank: rank)
        let values = file.bytes[file.payloadOffset...].map { Float($0) }
        return (values, file.count, Array(file.dimensions.dropFirst()))
    }

    /// The labels of a rank-1 IDX file of unsigned bytes.
    public static func readLabels(_ path: String) throws -> [Int32] {
        let file = try IDXFile.read(path, rank: 1)
        return file.bytes[file.payloadOffset...].map { Int32($0) }
    }
}
