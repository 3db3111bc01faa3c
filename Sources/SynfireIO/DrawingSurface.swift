// DrawingSurface: the drawing primitives every Synfire plot uses. One back end,
// CairoSurface, renders them to PNG, SVG or PDF, so a plot's three files always agree.
//
// API
//   protocol DrawingSurface {
//     width, height
//     fillRect(x:y:width:height:color:opacity:)   strokeRect(x:y:width:height:color:lineWidth:)
//     line(from:to:color:width:dashed:)           polyline(_:color:width:)
//     circle(center:radius:color:)                text(_:at:style:)
//     image(_:columns:rows:x:y:width:height:)     // a bitmap of RGB cells (weights, inputs)
//     fillRects(_:color:)                         // many rectangles, one fill
//   }
//   RGB(r, g, b), RGB(hex: 0x1f77b4), RGB.black/.white/.gray(_:), .mixed(with:fraction:)
//   TextStyle(size: 14, color:, bold:, anchor: .start/.middle/.end,
//             baseline: .top/.middle/.bottom, rotated: false)   // rotated = reads upward
//   style.width(of: "text") -> pixels          style.capHeight -> pixels
//
// Coordinates are pixels, origin top-left, y down. Text is DejaVu Sans (fonts-dejavu-core)
// at `size` pixels per em.

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
}

public struct TextStyle: Sendable {
    public enum Anchor: Sendable { case start, middle, end }
    /// Vertical placement of `at.y` relative to the capital letters.
    public enum Baseline: Sendable { case top, middle, bottom }

    /// Font size in pixels per em.
    public var size: Double
    public var color: RGB
    public var bold: Bool
    public var anchor: Anchor
    public var baseline: Baseline
    /// Rotated 90° counter-clockwise (reads bottom to top), for y-axis labels.
    public var rotated: Bool

    public init(
        size: Double = 14, color: RGB = .black, bold: Bool = false, anchor: Anchor = .start,
        baseline: Baseline = .top, rotated: Bool = false
    ) {
        self.size = size
        self.color = color
        self.bold = bold
        self.anchor = anchor
        self.baseline = baseline
        self.rotated = rotated
    }

    /// The size steps plots used before fonts had sizes: 1 small, 2 body, 3 title.
    public init(
        scale: Int, color: RGB = .black, bold: Bool = false, anchor: Anchor = .start,
        baseline: Baseline = .top, rotated: Bool = false
    ) {
        self.init(
            size: TextStyle.size(scale: scale), color: color, bold: bold, anchor: anchor, baseline: baseline,
            rotated: rotated)
    }

    /// The size step closest to `size` (see `init(scale:)`); setting it sets `size`.
    public var scale: Int {
        get { (1...4).min { abs(TextStyle.size(scale: $0) - size) < abs(TextStyle.size(scale: $1) - size) } ?? 2 }
        set { size = TextStyle.size(scale: newValue) }
    }

    /// 1 small labels, 2 ticks and legends, 3 titles, then 6 px per step.
    static func size(scale: Int) -> Double {
        switch scale {
        case ...1: return 11
        case 2: return 14
        case 3: return 20
        default: return 20 + 6 * Double(scale - 3)
        }
    }

    /// Width of `text` in pixels along its reading direction (the font's advance).
    public func width(of text: String) -> Double { TextMeasure.width(of: text, style: self) }

    /// Height of the capital letters in pixels (DejaVu Sans: 0.729 em).
    public var capHeight: Double { (size * 0.729).rounded() }
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
    /// A `columns` x `rows` bitmap (row-major `pixels`) stretched over the rectangle, each
    /// cell a sharp square.
    mutating func image(
        _ pixels: [RGB], columns: Int, rows: Int, x: Double, y: Double, width: Double, height: Double)
    /// Many rectangles of one colour (spike rasters), filled together.
    mutating func fillRects(_ rects: [(x: Double, y: Double, width: Double, height: Double)], color: RGB)
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

    public mutating func fillRects(
        _ rects: [(x: Double, y: Double, width: Double, height: Double)], color: RGB
    ) {
        for r in rects { fillRect(x: r.x, y: r.y, width: r.width, height: r.height, color: color) }
    }

    /// One rectangle per cell, for surfaces without bitmaps.
    public mutating func image(
        _ pixels: [RGB], columns: Int, rows: Int, x: Double, y: Double, width: Double, height: Double
    ) {
        guard columns > 0, rows > 0, pixels.count >= columns * rows else { return }
        let cellWidth = width / Double(columns)
        let cellHeight = height / Double(rows)
        for r in 0..<rows {
            for c in 0..<columns {
                fillRect(
                    x: x + Double(c) * cellWidth, y: y + Double(r) * cellHeight, width: cellWidth,
                    height: cellHeight, color: pixels[r * columns + c])
            }
        }
    }
}
