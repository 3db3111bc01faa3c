// DrawingSurface: the drawing primitives every Synfire plot uses, with two back ends —
// RasterImage (RGB pixels, saved as PNG through zlib) and SVGDocument (vector text).
// A plot draws once against the protocol, so its PNG and SVG always agree.
//
// API
//   protocol DrawingSurface {
//     width, height
//     fillRect(x:y:width:height:color:opacity:)   strokeRect(x:y:width:height:color:lineWidth:)
//     line(from:to:color:width:dashed:)           polyline(_:color:width:)
//     circle(center:radius:color:)                text(_:at:style:)
//   }
//   RGB(r, g, b), RGB(hex: 0x1f77b4), RGB.black/.white/.gray(_:), .mixed(with:fraction:)
//   TextStyle(scale: 2, color:, bold:, anchor: .start/.middle/.end,
//             baseline: .top/.middle/.bottom, rotated: false)   // rotated = reads upward
//   var image = RasterImage(width:height:background:); image.pngData() -> [UInt8]
//   var svg = SVGDocument(width:height:background:); svg.text -> String
//   PNGEncoder.encode(width:height:rgb:) -> [UInt8]          // 8-bit RGB, zlib IDAT
//
// Coordinates are pixels, origin top-left, y down. Text is the built-in 5x7 font scaled by
// an integer `scale` (cell 6x10 px at scale 1); SVG uses a monospace font of the same size.

import Foundation

public struct RGB: Equatable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    public static func gray(_ level: UInt8) -> RGB { RGB(level, level, level) }

    /// Linear blend: fraction 0 gives self, 1 gives `other`.
    public func mixed(with other: RGB, fraction: Double) -> RGB {
        let t = min(1, max(0, fraction))
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) * (1 - t) + Double(b) * t).rounded())
        }
        return RGB(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    /// Relative luminance in 0...1 (for choosing black or white text on a cell).
    public var luminance: Double {
        (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255
    }

    var svg: String {
        let hex = (Int(r) << 16) | (Int(g) << 8) | Int(b)
        let digits = String(hex, radix: 16)
        return "#" + String(repeating: "0", count: 6 - digits.count) + digits
    }
}

public struct TextStyle: Sendable {
    public enum Anchor: Sendable { case start, middle, end }
    /// Vertical placement of `at.y` relative to the capital letters.
    public enum Baseline: Sendable { case top, middle, bottom }

    public var scale: Int
    public var color: RGB
    public var bold: Bool
    public var anchor: Anchor
    public var baseline: Baseline
    /// Rotated 90° counter-clockwise (reads bottom to top), for y-axis labels.
    public var rotated: Bool

    public init(
        scale: Int = 2, color: RGB = .black, bold: Bool = false, anchor: Anchor = .start,
        baseline: Baseline = .top, rotated: Bool = false
    ) {
        self.scale = scale
        self.color = color
        self.bold = bold
        self.anchor = anchor
        self.baseline = baseline
        self.rotated = rotated
    }

    /// Width of `text` in pixels along its reading direction.
    public func width(of text: String) -> Double {
        Double(BitmapFont.width(of: text, scale: scale) + (bold ? 1 : 0))
    }

    public var capHeight: Double { Double(BitmapFont.capHeight * scale) }
}

public protocol DrawingSurface {
    var width: Int { get }
    var height: Int { get }
    mutating func fillRect(
        x: Double, y: Double, width: Double, height: Double, color: RGB, opacity: Double)
    mutating func strokeRect(
        x: Double, y: Double, width: Double, height: Double, color: RGB, lineWidth: Double)
    mutating func line(
        from: (Double, Double), to: (Double, Double), color: RGB, width: Double, dashed: Bool)
    mutating func polyline(_ points: [(Double, Double)], color: RGB, width: Double)
    mutating func circle(center: (Double, Double), radius: Double, color: RGB)
    mutating func text(_ text: String, at: (Double, Double), style: TextStyle)
}

extension DrawingSurface {
    public mutating func fillRect(x: Double, y: Double, width: Double, height: Double, color: RGB) {
        fillRect(x: x, y: y, width: width, height: height, color: color, opacity: 1)
    }

    public mutating func line(
        from: (Double, Double), to: (Double, Double), color: RGB, width: Double = 1
    ) {
        line(from: from, to: to, color: color, width: width, dashed: false)
    }
}

// MARK: - Raster back end

/// An RGB image in memory.
public struct RasterImage: DrawingSurface, Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGB triples.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: RGB = .white) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.r
            pixels[3 * i + 1] = background.g
            pixels[3 * i + 2] = background.b
        }
    }

    public func pixel(x: Int, y: Int) -> RGB {
        let i = 3 * (y * width + x)
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Blends `color` into one pixel with coverage `alpha` (0...1); clipped to the image.
    @inline(__always)
    mutating func blend(_ x: Int, _ y: Int, _ color: RGB, _ alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let i = 3 * (y * width + x)
        if alpha >= 1 {
            pixels[i] = color.r
            pixels[i + 1] = color.g
            pixels[i + 2] = color.b
            return
        }
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8((Double(old) * (1 - alpha) + Double(new) * alpha).rounded())
        }
        pixels[i] = mix(pixels[i], color.r)
        pixels[i + 1] = mix(pixels[i + 1], color.g)
        pixels[i + 2] = mix(pixels[i + 2], color.b)
    }

    public mutating func fillRect(
        x: Double, y: Double, width w: Double, height h: Double, color: RGB, opacity: Double
    ) {
        // Pixel-aligned edges keep cells of image grids and bars crisp.
        let x0 = max(0, Int(x.rounded()))
        let x1 = min(width, Int((x + w).rounded()))
        let y0 = max(0, Int(y.rounded()))
        let y1 = min(height, Int((y + h).rounded()))
        guard x0 < x1, y0 < y1 else { return }
        for py in y0..<y1 {
            for px in x0..<x1 { blend(px, py, color, opacity) }
        }
    }

    public mutating func strokeRect(
        x: Double, y: Double, width w: Double, height h: Double, color: RGB, lineWidth: Double
    ) {
        let t = max(1, lineWidth)
        fillRect(x: x, y: y, width: w, height: t, color: color)
        fillRect(x: x, y: y + h - t, width: w, height: t, color: color)
        fillRect(x: x, y: y, width: t, height: h, color: color)
        fillRect(x: x + w - t, y: y, width: t, height: h, color: color)
    }

    public mutating func line(
        from a: (Double, Double), to b: (Double, Double), color: RGB, width lineWidth: Double,
        dashed: Bool
    ) {
        if dashed {
            let length = hypot(b.0 - a.0, b.1 - a.1)
            guard length > 0 else { return }
            let dash = 9.0
            let gap = 6.0
            var s = 0.0
            while s < length {
                let e = min(length, s + dash)
                let p = (a.0 + (b.0 - a.0) * s / length, a.1 + (b.1 - a.1) * s / length)
                let q = (a.0 + (b.0 - a.0) * e / length, a.1 + (b.1 - a.1) * e / length)
                segment(p, q, color, lineWidth)
                s += dash + gap
            }
        } else {
            segment(a, b, color, lineWidth)
        }
    }

    /// Anti-aliased thick segment: coverage from the distance of each pixel centre to the
    /// segment (a capsule), evaluated over the segment's bounding box.
    private mutating func segment(
        _ a: (Double, Double), _ b: (Double, Double), _ color: RGB, _ lineWidth: Double
    ) {
        let half = max(0.5, lineWidth / 2)
        // Axis-aligned lines: exact rectangles, no blur on 1-px axes and ticks.
        if a.0 == b.0 || a.1 == b.1 {
            let x = min(a.0, b.0)
            let y = min(a.1, b.1)
            let w = abs(b.0 - a.0)
            let h = abs(b.1 - a.1)
            if a.0 == b.0 {
                fillRect(x: x - half, y: y, width: 2 * half, height: max(h, 1), color: color)
            } else {
                fillRect(x: x, y: y - half, width: max(w, 1), height: 2 * half, color: color)
            }
            return
        }
        let minX = max(0, Int((min(a.0, b.0) - half - 1).rounded(.down)))
        let maxX = min(width - 1, Int((max(a.0, b.0) + half + 1).rounded(.up)))
        let minY = max(0, Int((min(a.1, b.1) - half - 1).rounded(.down)))
        let maxY = min(height - 1, Int((max(a.1, b.1) + half + 1).rounded(.up)))
        guard minX <= maxX, minY <= maxY else { return }
        let dx = b.0 - a.0
        let dy = b.1 - a.1
        let lengthSquared = dx * dx + dy * dy
        for py in minY...maxY {
            for px in minX...maxX {
                let cx = Double(px) + 0.5
                let cy = Double(py) + 0.5
                let t = max(0, min(1, ((cx - a.0) * dx + (cy - a.1) * dy) / lengthSquared))
                let distance = hypot(cx - (a.0 + t * dx), cy - (a.1 + t * dy))
                let coverage = min(1, max(0, half + 0.5 - distance))
                blend(px, py, color, coverage)
            }
        }
    }

    public mutating func polyline(_ points: [(Double, Double)], color: RGB, width: Double) {
        guard points.count > 1 else { return }
        for i in 1..<points.count {
            segment(points[i - 1], points[i], color, width)
        }
    }

    public mutating func circle(center: (Double, Double), radius: Double, color: RGB) {
        let minX = max(0, Int(center.0 - radius - 1))
        let maxX = min(width - 1, Int(center.0 + radius + 1))
        let minY = max(0, Int(center.1 - radius - 1))
        let maxY = min(height - 1, Int(center.1 + radius + 1))
        guard minX <= maxX, minY <= maxY else { return }
        for py in minY...maxY {
            for px in minX...maxX {
                let d = hypot(Double(px) + 0.5 - center.0, Double(py) + 0.5 - center.1)
                blend(px, py, color, min(1, max(0, radius + 0.5 - d)))
            }
        }
    }

    public mutating func text(_ text: String, at point: (Double, Double), style: TextStyle) {
        let s = style.scale
        let length = style.width(of: text)
        // Offset along the reading direction for the anchor, across it for the baseline.
        let along: Double
        switch style.anchor {
        case .start: along = 0
        case .middle: along = -length / 2
        case .end: along = -length
        }
        let across: Double
        switch style.baseline {
        case .top: across = 0
        case .middle: across = -style.capHeight / 2
        case .bottom: across = -style.capHeight
        }
        let originX = Int((point.0 + (style.rotated ? across : along)).rounded())
        let originY = Int((point.1 + (style.rotated ? -along : across)).rounded())
        for (index, character) in text.enumerated() {
            let rows = BitmapFont.glyph(for: character)
            let cellOffset = index * BitmapFont.advance * s
            for (row, bits) in rows.enumerated() where bits != 0 {
                for column in 0..<5 where bits & (0x10 >> UInt8(column)) != 0 {
                    for extra in 0...(style.bold ? 1 : 0) {
                        // Glyph pixel (u along, v across) in scaled units.
                        let u = cellOffset + (column * s) + extra
                        let v = row * s
                        for du in 0..<s {
                            for dv in 0..<s {
                                if style.rotated {
                                    // Reading upward: along = -y, across = +x.
                                    blend(originX + v + dv, originY - (u + du), style.color, 1)
                                } else {
                                    blend(originX + u + du, originY + v + dv, style.color, 1)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The image as PNG bytes.
    public func pngData() -> [UInt8] {
        PNGEncoder.encode(width: width, height: height, rgb: pixels)
    }
}

/// Minimal PNG writer: IHDR (8-bit RGB), one zlib IDAT, IEND, each with its CRC-32.
public enum PNGEncoder {
    public static func encode(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        precondition(rgb.count == width * height * 3, "RGB buffer does not match the size")
        // Each scanline starts with its filter type. "Sub" (1) stores differences to the
        // pixel on the left: flat plot backgrounds become runs of zeros that deflate well.
        let stride = width * 3
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        rgb.withUnsafeBufferPointer { source in
            raw.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let rowStart = y * (stride + 1)
                    let sourceRow = y * stride
                    target[rowStart] = 1
                    for i in 0..<stride {
                        let left = i >= 3 ? source[sourceRow + i - 3] : 0
                        target[rowStart + 1 + i] = source[sourceRow + i] &- left
                    }
                }
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header.appendBE(UInt32(width))
        header.appendBE(UInt32(height))
        header.append(contentsOf: [8, 2, 0, 0, 0])  // depth 8, RGB, deflate, filters, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", Zlib.deflate(raw, format: .zlib, level: 9), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        png.appendBE(UInt32(data.count))
        let typeBytes = Array(type.utf8)
        png.append(contentsOf: typeBytes)
        png.append(contentsOf: data)
        png.appendBE(Zlib.crc32(data, continuing: Zlib.crc32(typeBytes)))
    }
}

// MARK: - SVG back end

/// An SVG document built from the same primitives.
public struct SVGDocument: DrawingSurface, Sendable {
    public let width: Int
    public let height: Int
    private var body: [String] = []

    public init(width: Int, height: Int, background: RGB = .white) {
        self.width = width
        self.height = height
        body.append(
            "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"\(background.svg)\"/>"
        )
    }

    /// The complete SVG file.
    public var text: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
        viewBox="0 0 \(width) \(height)">
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    private static func n(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v)
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(
                of: "\"", with: "&quot;")
    }

    public mutating func fillRect(
        x: Double, y: Double, width w: Double, height h: Double, color: RGB, opacity: Double
    ) {
        let fill = opacity < 1 ? " fill-opacity=\"\(SVGDocument.n(opacity))\"" : ""
        body.append(
            "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(w))\" "
                + "height=\"\(Self.n(h))\" fill=\"\(color.svg)\"\(fill)/>")
    }

    public mutating func strokeRect(
        x: Double, y: Double, width w: Double, height h: Double, color: RGB, lineWidth: Double
    ) {
        let t = lineWidth / 2
        body.append(
            "<rect x=\"\(Self.n(x + t))\" y=\"\(Self.n(y + t))\" width=\"\(Self.n(w - 2 * t))\" "
                + "height=\"\(Self.n(h - 2 * t))\" fill=\"none\" stroke=\"\(color.svg)\" "
                + "stroke-width=\"\(Self.n(lineWidth))\"/>")
    }

    public mutating func line(
        from a: (Double, Double), to b: (Double, Double), color: RGB, width: Double, dashed: Bool
    ) {
        let dash = dashed ? " stroke-dasharray=\"9 6\"" : ""
        body.append(
            "<line x1=\"\(Self.n(a.0))\" y1=\"\(Self.n(a.1))\" x2=\"\(Self.n(b.0))\" "
                + "y2=\"\(Self.n(b.1))\" stroke=\"\(color.svg)\" stroke-width=\"\(Self.n(width))\"\(dash)/>"
        )
    }

    public mutating func polyline(_ points: [(Double, Double)], color: RGB, width: Double) {
        let list = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        body.append(
            "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color.svg)\" "
                + "stroke-width=\"\(Self.n(width))\" stroke-linejoin=\"round\"/>")
    }

    public mutating func circle(center: (Double, Double), radius: Double, color: RGB) {
        body.append(
            "<circle cx=\"\(Self.n(center.0))\" cy=\"\(Self.n(center.1))\" r=\"\(Self.n(radius))\" "
                + "fill=\"\(color.svg)\"/>")
    }

    public mutating func text(_ text: String, at point: (Double, Double), style: TextStyle) {
        let anchor: String
        switch style.anchor {
        case .start: anchor = "start"
        case .middle: anchor = "middle"
        case .end: anchor = "end"
        }
        // Place the alphabetic baseline where the bitmap font's baseline would be.
        let capHeight = style.capHeight
        let shift: Double
        switch style.baseline {
        case .top: shift = capHeight
        case .middle: shift = capHeight / 2
        case .bottom: shift = 0
        }
        let fontSize = Double(10 * style.scale)
        let weight = style.bold ? " font-weight=\"bold\"" : ""
        let (x, y) = style.rotated ? (point.0 + shift, point.1) : (point.0, point.1 + shift)
        let rotate =
            style.rotated
            ? " transform=\"rotate(-90 \(Self.n(x)) \(Self.n(y)))\"" : ""
        body.append(
            "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-family=\"DejaVu Sans Mono, Menlo, "
                + "monospace\" font-size=\"\(Self.n(fontSize))\" fill=\"\(style.color.svg)\" "
                + "text-anchor=\"\(anchor)\"\(weight)\(rotate)>\(Self.escape(text))</text>")
    }
}
