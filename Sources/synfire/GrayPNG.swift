import Foundation
import SynfireIO

/// Writes a grayscale image, each pixel scaled up to a `scale` x `scale` block, as a PNG.
func writeGrayPNG(_ pixels: [UInt8], rows: Int, columns: Int, scale: Int, to path: String) throws {
    _ = (pixels, rows, columns, scale, path)
    throw CLIError("PNG output arrives with SynfireIO")
}
