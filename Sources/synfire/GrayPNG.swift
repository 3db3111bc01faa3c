import Foundation
import SynfireIO

/// Writes a grayscale image, each pixel scaled up to a `scale` x `scale` block, as a PNG
/// (atomically: nothing is left behind if writing fails).
func writeGrayPNG(_ pixels: [UInt8], rows: Int, columns: Int, scale: Int, to path: String) throws {
    var rgb = [UInt8]()
    rgb.reserveCapacity(rows * scale * columns * scale * 3)
    for r in 0..<rows * scale {
        for c in 0..<columns * scale {
            let level = pixels[(r / scale) * columns + c / scale]
            rgb += [level, level, level]
        }
    }
    let png = PNGEncoder.encode(width: columns * scale, height: rows * scale, rgb: rgb)
    try AtomicFile.write(data: Data(png), to: path)
}
