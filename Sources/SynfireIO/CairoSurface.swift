// CairoSurface: Synfire's drawing back end — libcairo (libcairo2-dev) renders the
// DrawingSurface primitives anti-aliased into a PNG image, an SVG or a PDF document, and
// DejaVu Sans (fonts-dejavu-core) sets the text.
//
// API
//   CairoSurface.render(width:height:format: .png | .svg | .pdf) { surface in ... }
//       -> [UInt8]   (throws PlotError.renderFailed)
//   CairoSurface.grayPNG(_ levels: [UInt8], rows:, columns:, scale:) -> [UInt8]
//       an 8-bit gray image, each pixel a scale x scale block
//
// Text is measured with the same font options it is drawn with (no hinted metrics), so a
// layout computed once fits all three formats. PNG and SVG are byte-for-byte repeatable;
// PDFs carry their creation date, fixed by SOURCE_DATE_EPOCH when it is set.

import CCairo
import Foundation

/// The file formats of a plot; all come from the same drawing code.
public enum PlotFormat: String, CaseIterable, Sendable {
    case png, svg, pdf
}

public enum PlotError: Error, CustomStringConvertible, Equatable {
    case renderFailed(format: String, reason: String)

    public var description: String {
        switch self {
        case .renderFailed(let format, let reason):
            return "cairo could not render the \(format) (\(reason)) — check that libcairo2 is installed "
                + "(scripts/setup) and that the plot size is reasonable"
        }
    }
}

public struct CairoSurface: DrawingSurface {
    public let width: Int
    public let height: Int
    private let context: OpaquePointer

    private init(context: OpaquePointer, width: Int, height: Int) {
        self.context = context
        self.width = width
        self.height = height
    }

    /// Draws with `draw` on a white canvas and returns the file's bytes.
    public static func render(
        width: Int, height: Int, format: PlotFormat, draw: (inout CairoSurface) -> Void
    ) throws -> [UInt8] {
        let width = max(1, width)
        let height = max(1, height)
        let sink = ByteSink()
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        let surface: OpaquePointer
        switch format {
        case .png:
            surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        case .svg:
            surface = cairo_svg_surface_create_for_stream(writeToSink, closure, Double(width), Double(height))
            // Sizes in user units: the SVG is width x height pixels, as the PNG.
            cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_USER)
        case .pdf:
            surface = cairo_pdf_surface_create_for_stream(writeToSink, closure, Double(width), Double(height))
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Synfire")
            // Reproducible builds' convention: a fixed creation date makes the PDF repeatable.
            if let date = sourceDate {
                cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, date)
            }
        }
        defer { cairo_surface_destroy(surface) }
        let context = cairo_create(surface)!
        defer { cairo_destroy(context) }
        CairoSurface.configureText(context, forImage: format == .png)
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
        var canvas = CairoSurface(context: context, width: width, height: height)
        draw(&canvas)
        try check(cairo_status(context), format)
        if format == .png {
            cairo_surface_flush(surface)
            try check(cairo_surface_write_to_png_stream(surface, writeToSink, closure), format)
        } else {
            cairo_surface_finish(surface)  // flushes the document into the sink
        }
        try check(cairo_surface_status(surface), format)
        return sink.bytes
    }

    /// SOURCE_DATE_EPOCH (seconds since 1970) as the PDF date format, when it is set.
    static var sourceDate: String? {
        guard let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let seconds = Double(text)
        else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// An 8-bit gray PNG of `levels` (row-major), each pixel drawn as a `scale` x `scale` block.
    public static func grayPNG(_ levels: [UInt8], rows: Int, columns: Int, scale: Int) throws -> [UInt8] {
        precondition(levels.count == rows * columns, "gray image does not match its size")
        let pixels = levels.map { RGB($0, $0, $0) }
        return try render(width: columns * scale, height: rows * scale, format: .png) { surface in
            surface.image(
                pixels, columns: columns, rows: rows, x: 0, y: 0, width: Double(columns * scale),
                height: Double(rows * scale))
        }
    }

    /// Decodes a PNG (libpng through cairo) into its size and RGB pixels, row-major.
    static func pixels(ofPNG png: [UInt8]) throws -> (width: Int, height: Int, pixels: [RGB]) {
        let source = ByteSource(png)
        let closure = Unmanaged.passUnretained(source).toOpaque()
        let image = cairo_image_surface_create_from_png_stream(readFromSource, closure)!
        defer { cairo_surface_destroy(image) }
        try check(cairo_surface_status(image), .png)
        cairo_surface_flush(image)
        let width = Int(cairo_image_surface_get_width(image))
        let height = Int(cairo_image_surface_get_height(image))
        let stride = Int(cairo_image_surface_get_stride(image))
        guard let base = cairo_image_surface_get_data(image) else { return (width, height, []) }
        var pixels: [RGB] = []
        pixels.reserveCapacity(width * height)
        for r in 0..<height {
            let row = UnsafeMutableRawPointer(base + r * stride).assumingMemoryBound(to: UInt32.self)
            for c in 0..<width {
                let p = row[c]
                pixels.append(RGB(UInt8(p >> 16 & 0xFF), UInt8(p >> 8 & 0xFF), UInt8(p & 0xFF)))
            }
        }
        return (width, height, pixels)
    }

    private static func check(_ status: cairo_status_t, _ format: PlotFormat) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PlotError.renderFailed(
                format: format.rawValue, reason: String(cString: cairo_status_to_string(status)))
        }
    }

    /// Gray anti-aliasing (no colour fringes) and unhinted metrics, so text measured once
    /// has the same width on every surface; PNGs keep slight vertical hinting for sharpness.
    static func configureText(_ context: OpaquePointer, forImage: Bool) {
        let options = cairo_font_options_create()
        defer { cairo_font_options_destroy(options) }
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_hint_style(options, forImage ? CAIRO_HINT_STYLE_SLIGHT : CAIRO_HINT_STYLE_NONE)
        cairo_set_font_options(context, options)
    }

    static func selectFont(_ context: OpaquePointer, _ style: TextStyle) {
        cairo_select_font_face(
            context, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
            style.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, style.size)
    }

    // MARK: Primitives

    private func setColor(_ color: RGB, _ opacity: Double = 1) {
        cairo_set_source_rgba(
            context, Double(color.r) / 255, Double(color.g) / 255, Double(color.b) / 255, opacity)
    }

    public mutating func fillRect(
        x: Double, y: Double, width w: Double, height h: Double, color: RGB, opacity: Double
    ) {
        guard w > 0, h > 0 else { return }
        setColor(color, opacity)
        cairo_rectangle(context, x, y, w, h)
        cairo_fill(context)
    }

    /// Many same-coloured rectangles as one path (spike rasters): one fill for all.
    public mutating func fillRects(_ rects: [(x: Double, y: Double, width: Double, height: Double)], color: RGB) {
        guard !rects.isEmpty else { return }
        setColor(color)
        for r in rects { cairo_rectangle(context, r.x, r.y, r.width, r.height) }
        cairo_fill(context)
    }

    public mutating func strokeRect(
        x: Double, y: Double, width w: Double, height h: Double, color: RGB, lineWidth: Double
    ) {
        // The stroke lies inside the rectangle, like a filled border.
        let t = lineWidth / 2
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_rectangle(context, x + t, y + t, w - lineWidth, h - lineWidth)
        cairo_stroke(context)
    }

    public mutating func line(
        from a: (Double, Double), to b: (Double, Double), color: RGB, width: Double, dashed: Bool
    ) {
        var (a, b) = (a, b)
        // Axis-aligned lines sit on the pixel grid, so a 1-px tick is one sharp pixel wide
        // instead of two half-grey ones.
        let odd = Int(width.rounded()) % 2 == 1
        func snap(_ v: Double) -> Double { odd ? v.rounded(.down) + 0.5 : v.rounded() }
        if a.1 == b.1 { (a.1, b.1) = (snap(a.1), snap(b.1)) }
        if a.0 == b.0 { (a.0, b.0) = (snap(a.0), snap(b.0)) }
        setColor(color)
        cairo_set_line_width(context, width)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
        if dashed {
            let pattern: [Double] = [9, 6]
            cairo_set_dash(context, pattern, 2, 0)
        }
        cairo_move_to(context, a.0, a.1)
        cairo_line_to(context, b.0, b.1)
        cairo_stroke(context)
        if dashed { cairo_set_dash(context, nil, 0, 0) }
    }

    public mutating func polyline(_ points: [(Double, Double)], color: RGB, width: Double) {
        guard let first = points.first, points.count > 1 else { return }
        setColor(color)
        cairo_set_line_width(context, width)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_ROUND)
        cairo_move_to(context, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(context, p.0, p.1) }
        cairo_stroke(context)
    }

    public mutating func circle(center: (Double, Double), radius: Double, color: RGB) {
        setColor(color)
        cairo_new_sub_path(context)
        cairo_arc(context, center.0, center.1, radius, 0, 2 * Double.pi)
        cairo_fill(context)
    }

    public mutating func text(_ text: String, at point: (Double, Double), style: TextStyle) {
        guard !text.isEmpty else { return }
        cairo_save(context)
        defer { cairo_restore(context) }
        CairoSurface.selectFont(context, style)
        setColor(style.color)
        let length = style.width(of: text)
        let along: Double
        switch style.anchor {
        case .start: along = 0
        case .middle: along = -length / 2
        case .end: along = -length
        }
        // Cairo places the baseline; `baseline` says where the capitals sit around `at.y`.
        let across: Double
        switch style.baseline {
        case .top: across = style.capHeight
        case .middle: across = style.capHeight / 2
        case .bottom: across = 0
        }
        cairo_translate(context, point.0, point.1)
        if style.rotated { cairo_rotate(context, -Double.pi / 2) }
        cairo_move_to(context, along, across)
        cairo_show_text(context, text)
    }

    public mutating func image(
        _ pixels: [RGB], columns: Int, rows: Int, x: Double, y: Double, width w: Double, height h: Double
    ) {
        guard columns > 0, rows > 0, pixels.count >= columns * rows, w > 0, h > 0 else { return }
        // Enlarged by a whole factor first, so viewers that smooth bitmaps (SVG in a browser)
        // still show sharp cells at the plot's size.
        let factor = max(1, min(16, Int((min(w / Double(columns), h / Double(rows))).rounded(.down))))
        let bitmap = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(columns * factor), Int32(rows * factor))!
        defer { cairo_surface_destroy(bitmap) }
        let stride = Int(cairo_image_surface_get_stride(bitmap))
        if let base = cairo_image_surface_get_data(bitmap) {
            for r in 0..<(rows * factor) {
                let row = UnsafeMutableRawPointer(base + r * stride).assumingMemoryBound(to: UInt32.self)
                for c in 0..<(columns * factor) {
                    let p = pixels[(r / factor) * columns + c / factor]
                    row[c] = UInt32(p.r) << 16 | UInt32(p.g) << 8 | UInt32(p.b)
                }
            }
        }
        cairo_surface_mark_dirty(bitmap)
        cairo_save(context)
        defer { cairo_restore(context) }
        cairo_rectangle(context, x, y, w, h)
        cairo_clip(context)
        cairo_translate(context, x, y)
        cairo_scale(context, w / Double(columns * factor), h / Double(rows * factor))
        cairo_set_source_surface(context, bitmap, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
        cairo_paint(context)
    }
}

/// Collects what cairo streams out.
private final class ByteSink {
    var bytes: [UInt8] = []
}

private let writeToSink: cairo_write_func_t = { closure, data, length in
    guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return CAIRO_STATUS_SUCCESS
}

/// Feeds a PNG to cairo's reader.
private final class ByteSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private let readFromSource: cairo_read_func_t = { closure, data, length in
    guard let closure, let data else { return CAIRO_STATUS_READ_ERROR }
    let source = Unmanaged<ByteSource>.fromOpaque(closure).takeUnretainedValue()
    let count = Int(length)
    guard source.offset + count <= source.bytes.count else { return CAIRO_STATUS_READ_ERROR }
    source.bytes.withUnsafeBufferPointer { buffer in
        data.update(from: buffer.baseAddress! + source.offset, count: count)
    }
    source.offset += count
    return CAIRO_STATUS_SUCCESS
}

/// Text widths for layout, from one small cairo context guarded by a lock (a context must
/// not be used from two threads at once).
enum TextMeasure {
    private final class Measurer: @unchecked Sendable {
        let lock = NSLock()
        let surface: OpaquePointer
        let context: OpaquePointer
        init() {
            surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)
            context = cairo_create(surface)
            CairoSurface.configureText(context, forImage: false)
        }
    }

    private static let measurer = Measurer()

    static func width(of text: String, style: TextStyle) -> Double {
        guard !text.isEmpty else { return 0 }
        let m = measurer
        m.lock.lock()
        defer { m.lock.unlock() }
        CairoSurface.selectFont(m.context, style)
        var extents = cairo_text_extents_t()
        cairo_text_extents(m.context, text, &extents)
        return extents.x_advance
    }
}
