import CZlib
import Foundation

/// A decoded 8-bit RGB or RGBA PNG (what Chromium's screenshots are), enough to count pixels.
struct PNGImage {
    let width: Int
    let height: Int
    /// RGBA, row by row.
    let pixels: [UInt8]

    enum Failure: Error, CustomStringConvertible {
        case notPNG, unsupported(String), corrupt(String)
        var description: String {
            switch self {
            case .notPNG: return "not a PNG file"
            case .unsupported(let s): return "unsupported PNG: \(s)"
            case .corrupt(let s): return "corrupt PNG: \(s)"
            }
        }
    }

    init(path: String) throws {
        try self.init(data: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes.prefix(8) == [137, 80, 78, 71, 13, 10, 26, 10] else { throw Failure.notPNG }
        var offset = 8
        var width = 0, height = 0, colorType = 0
        var idat: [UInt8] = []
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        while offset + 8 <= bytes.count {
            let length = u32(offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let start = offset + 8
            guard start + length + 4 <= bytes.count else { throw Failure.corrupt("chunk \(type) runs past the end") }
            switch type {
            case "IHDR":
                width = u32(start)
                height = u32(start + 4)
                let depth = Int(bytes[start + 8])
                colorType = Int(bytes[start + 9])
                guard depth == 8, colorType == 2 || colorType == 6, bytes[start + 12] == 0 else {
                    throw Failure.unsupported("bit depth \(depth), color type \(colorType), interlace \(bytes[start + 12])")
                }
            case "IDAT":
                idat += bytes[start..<(start + length)]
            default:
                break
            }
            offset = start + length + 4
            if type == "IEND" { break }
        }
        guard width > 0, height > 0 else { throw Failure.corrupt("no IHDR") }
        let channels = colorType == 6 ? 4 : 3
        let stride = width * channels
        let raw = try Self.inflate(idat, expected: (stride + 1) * height)
        guard raw.count == (stride + 1) * height else { throw Failure.corrupt("\(raw.count) bytes of image data, expected \((stride + 1) * height)") }
        // Undo the per-row filters (PNG spec, section 9).
        var out = [UInt8](repeating: 0, count: stride * height)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            let src = y * (stride + 1) + 1
            let row = y * stride
            for x in 0..<stride {
                let a = x >= channels ? Int(out[row + x - channels]) : 0
                let b = y > 0 ? Int(out[row - stride + x]) : 0
                let c = x >= channels && y > 0 ? Int(out[row - stride + x - channels]) : 0
                let v = Int(raw[src + x])
                let predicted: Int
                switch filter {
                case 0: predicted = 0
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predicted = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure.corrupt("filter \(filter)")
                }
                out[row + x] = UInt8((v + predicted) & 0xFF)
            }
        }
        var rgba = [UInt8](repeating: 255, count: width * height * 4)
        for i in 0..<(width * height) {
            for k in 0..<3 { rgba[i * 4 + k] = out[i * channels + k] }
            if channels == 4 { rgba[i * 4 + 3] = out[i * channels + 3] }
        }
        self.width = width
        self.height = height
        self.pixels = rgba
    }

    static func inflate(_ input: [UInt8], expected: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expected)
        var size = uLongf(expected)
        let rc = input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                uncompress(dst.baseAddress, &size, src.baseAddress, uLong(input.count))
            }
        }
        guard rc == Z_OK else { throw Failure.corrupt("zlib error \(rc)") }
        return Array(output.prefix(Int(size)))
    }

    func pixel(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int, a: Int) {
        let i = (y * width + x) * 4
        return (Int(pixels[i]), Int(pixels[i + 1]), Int(pixels[i + 2]), Int(pixels[i + 3]))
    }

    /// Pixels for which `predicate(r, g, b)` holds.
    func count(_ predicate: (Int, Int, Int) -> Bool) -> Int {
        var n = 0
        for i in stride(from: 0, to: pixels.count, by: 4) where predicate(Int(pixels[i]), Int(pixels[i + 1]), Int(pixels[i + 2])) { n += 1 }
        return n
    }

    /// Pixels that differ from the background (the top-left pixel).
    var nonBackground: Int {
        let bg = pixel(0, 0)
        return count { abs($0 - bg.r) + abs($1 - bg.g) + abs($2 - bg.b) > 24 }
    }

    /// Coloured pixels (plot marks), as opposed to white, grey and black (background, text, axes).
    var saturated: Int { count { max($0, $1, $2) - min($0, $1, $2) > 60 } }

    /// Pixels within `tolerance` (sum of channel differences) of a colour.
    func near(_ r: Int, _ g: Int, _ b: Int, tolerance: Int = 60) -> Int {
        count { abs($0 - r) + abs($1 - g) + abs($2 - b) <= tolerance }
    }
}
