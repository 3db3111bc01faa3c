// DrawingRecorder: a DrawingSurface that keeps what a plot draws instead of rendering it,
// so tests can ask which labels a figure shows and where (Cairo turns text into glyph
// outlines in SVG and PDF, and into pixels in PNG).
//
// API
//   let recorder = DrawingRecorder(plot)      // draws the plot once
//   recorder.texts -> [(text, x, y, style)]   recorder.strings -> [String]
//   recorder.rectangles -> [(x, y, width, height)]   // fillRect and fillRects, in order

public struct DrawingRecorder: DrawingSurface {
    public let width: Int
    public let height: Int
    public private(set) var texts: [(text: String, x: Double, y: Double, style: TextStyle)] = []
    public private(set) var rectangles: [(x: Double, y: Double, width: Double, height: Double)] = []
    public private(set) var lines = 0

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public init(_ plot: some Plot) {
        self.init(width: plot.width, height: plot.height)
        plot.draw(on: &self)
    }

    public var strings: [String] { texts.map(\.text) }

    public mutating func fillRect(x: Double, y: Double, width: Double, height: Double, color: RGB, opacity: Double) {
        rectangles.append((x, y, width, height))
    }

    public mutating func fillRects(_ rects: [(x: Double, y: Double, width: Double, height: Double)], color: RGB) {
        rectangles += rects
    }

    public mutating func strokeRect(
        x: Double, y: Double, width: Double, height: Double, color: RGB, lineWidth: Double
    ) {}

    public mutating func line(
        from: (Double, Double), to: (Double, Double), color: RGB, width: Double, dashed: Bool
    ) {
        lines += 1
    }

    public mutating func polyline(_ points: [(Double, Double)], color: RGB, width: Double) {
        lines += max(0, points.count - 1)
    }

    public mutating func circle(center: (Double, Double), radius: Double, color: RGB) {}

    public mutating func text(_ text: String, at point: (Double, Double), style: TextStyle) {
        texts.append((text, point.0, point.1, style))
    }

    public mutating func image(
        _ pixels: [RGB], columns: Int, rows: Int, x: Double, y: Double, width: Double, height: Double
    ) {}
}
