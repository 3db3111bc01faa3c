import Foundation
import Testing

import SynfireArrays
@testable import SynfireIO

/// Example figures with synthetic but realistic data (also used to eyeball the output:
/// set SYNFIRE_PLOT_DIR to keep the files).
enum ExamplePlots {
    static func learningCurve() -> LearningCurvePlot {
        let train = [0.712, 0.861, 0.903, 0.921, 0.933, 0.941, 0.946, 0.951, 0.955, 0.958]
        let test = [0.705, 0.850, 0.894, 0.912, 0.925, 0.931, 0.937, 0.940, 0.943, 0.945]
        return LearningCurvePlot(
            title: "nBP on MNIST: accuracy per epoch", subtitle: "seed 42, 100 hidden units",
            series: [.init(name: "train", values: train), .init(name: "test", values: test)],
            target: .init(value: 0.9474, label: "paper target 94.74%"))
    }

    static func raster() -> SpikeRasterPlot {
        var spikes: [(time: Int, neuron: Int)] = []
        var state: UInt64 = 7
        func random() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        for t in 0..<320 {
            for n in 0..<140 {
                let phase = t / 64
                let rate =
                    n < 100 ? (phase == 0 || phase == 2 ? 0.06 : 0.01) : (phase >= 3 ? 0.08 : 0.005)
                if random() < rate { spikes.append((t, n)) }
            }
        }
        return SpikeRasterPlot(
            title: "nBP circuit spikes, one sample", timeSteps: 320, neuronCount: 140,
            spikes: spikes,
            phases: (0..<5).map {
                .init(start: $0 * 64, end: ($0 + 1) * 64, label: "phase \($0 + 1)")
            },
            groups: [
                .init(name: "hidden", neurons: 0..<100), .init(name: "output", neurons: 100..<120),
                .init(name: "E+ (η=0.5)", neurons: 120..<122),
                .init(name: "E-", neurons: 122..<124),
                .init(name: "error", neurons: 124..<140),
            ])
    }

    static func imageGrid() -> ImageGridPlot {
        let images = (0..<20).map { k in
            (0..<400).map { i -> Double in
                let r = Double(i / 20) - 9.5
                let c = Double(i % 20) - 9.5
                let angle = Double(k) * 0.3
                return sin((r * cos(angle) + c * sin(angle)) * 0.5) * exp(-(r * r + c * c) / 60)
                    * 0.8
            }
        }
        return ImageGridPlot(
            title: "Hidden-unit receptive fields", subtitle: "input weights of 20 of 100 units",
            images: images, rows: 20, columns: 20, gridColumns: 10,
            labels: (0..<20).map { "unit \($0)" })
    }

    static func confusion() -> ConfusionMatrixPlot {
        let counts = (0..<10).map { t in
            (0..<10).map { p in t == p ? 950 + t * 3 : (t + p) % 7 == 0 ? 12 : (t * p) % 5 }
        }
        return ConfusionMatrixPlot(
            title: "Test confusion matrix", subtitle: "accuracy 94.5%, 10000 images",
            counts: counts, classNames: (0..<10).map(String.init))
    }

    static func energy() -> StackedBarPlot {
        StackedBarPlot(
            title: "Energy per sample on the chip", categories: ["training", "inference"],
            components: [
                "synaptic ops", "neuron updates", "spike routing", "learning engine", "static",
            ],
            values: [[21.4, 8.2, 3.1, 12.5, 4.0], [9.8, 3.9, 1.2, 0, 1.6]], unit: "µJ/sample")
    }

    static var all: [(String, any Plot)] {
        [
            ("learning-curve", learningCurve()), ("spike-raster", raster()),
            ("receptive-fields", imageGrid()), ("confusion-matrix", confusion()),
            ("energy-breakdown", energy()),
        ]
    }
}

/// Decodes a PNG with Python's zlib + struct (a decoder independent of cairo and libpng):
/// checks the signature, every chunk CRC and IHDR, unfilters the scanlines down to row y,
/// prints the size and pixel (x, y).
let pythonPNGDecoder = """
    import sys, struct, zlib
    data = open(sys.argv[1], "rb").read()
    assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "signature"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, = struct.unpack(">I", data[pos:pos+4]); kind = data[pos+4:pos+8]
        body = data[pos+8:pos+8+length]; crc, = struct.unpack(">I", data[pos+8+length:pos+12+length])
        assert zlib.crc32(kind + body) & 0xffffffff == crc, "crc of %s" % kind
        if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
        if kind == b"IDAT": idat += body
        pos += 12 + length
        if kind == b"IEND": break
    w, h, depth, ctype, _, _, _ = ihdr
    assert depth == 8 and ctype == 2 and pos == len(data), "8-bit RGB"
    raw = zlib.decompress(idat); stride = w * 3
    assert len(raw) == h * (stride + 1), "decompressed size"
    x, y = int(sys.argv[2]), int(sys.argv[3])
    prev = bytearray(stride)
    for row in range(y + 1):
        f = raw[row*(stride+1)]; line = bytearray(raw[row*(stride+1)+1:(row+1)*(stride+1)])
        for i in range(stride):
            a = line[i-3] if i >= 3 else 0; b = prev[i]; c = prev[i-3] if i >= 3 else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            else: assert f == 0, "filter"
        prev = line
    print(w, h, prev[3*x], prev[3*x+1], prev[3*x+2])
    """

/// The chunks of a PNG after checking the signature and every chunk's CRC (zlib's CRC-32).
func pngChunks(_ png: [UInt8]) throws -> [(type: String, body: ArraySlice<UInt8>)] {
    try #require(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
    var chunks: [(type: String, body: ArraySlice<UInt8>)] = []
    var offset = 8
    func uint32(_ at: Int) -> Int { png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
    while offset + 12 <= png.count {
        let length = uint32(offset)
        let typeBytes = Array(png[(offset + 4)..<(offset + 8)])
        let body = png[(offset + 8)..<(offset + 8 + length)]
        #expect(UInt32(uint32(offset + 8 + length)) == Zlib.crc32(Array(body), continuing: Zlib.crc32(typeBytes)))
        chunks.append((String(decoding: typeBytes, as: UTF8.self), body))
        offset += 12 + length
    }
    #expect(offset == png.count)
    return chunks
}

@Suite("Plots (PNG, SVG and PDF through Cairo)")
struct PlotTests {
    func outputDirectory() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["SYNFIRE_PLOT_DIR"] {
            try AtomicFile.createDirectory(dir)
            return dir
        }
        return try TestSupport.scratchDirectory()
    }

    @Test(
        "every plot kind writes a valid PNG (RGB, its size, white corner), SVG and one-page PDF",
        arguments: ExamplePlots.all.map(\.0))
    func decodes(_ name: String) throws {
        let plot = try #require(ExamplePlots.all.first { $0.0 == name }?.1)
        let dir = try outputDirectory()
        let paths = try plot.write(to: dir + "/" + name)
        #expect(paths == [dir + "/\(name).png", dir + "/\(name).svg", dir + "/\(name).pdf"])
        let chunks = try pngChunks(try TestSupport.bytes(paths[0]))
        #expect(chunks.first?.type == "IHDR" && chunks.last?.type == "IEND")
        let header = Array(try #require(chunks.first).body)
        #expect(header.prefix(8).reduce(0) { $0 << 8 | Int($1) } == plot.width << 32 | plot.height)
        #expect(header[8] == 8 && header[9] == 2)  // 8-bit RGB
        let svg = try String(contentsOfFile: paths[1], encoding: .utf8)
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.contains("width=\"\(plot.width)\" height=\"\(plot.height)\""))
        #expect(svg.hasSuffix("</svg>\n"))
        let pdf = String(decoding: try TestSupport.bytes(paths[2]), as: UTF8.self)
        #expect(pdf.hasPrefix("%PDF-1."))
        #expect(pdf.contains("/MediaBox [ 0 0 \(plot.width) \(plot.height) ]"))
        #expect(
            pdf.components(separatedBy: "/Type /Page\n").count == 2
                || pdf.components(separatedBy: "/Type /Page ").count == 2)
        #expect(pdf.hasSuffix("%%EOF\n"))
        if let python = TestSupport.pythonWithNumpy {
            let result = try TestSupport.run(python, ["-c", pythonPNGDecoder, paths[0], "1", "1"])
            #expect(result.status == 0, "\(result.output)")
            #expect(
                result.output.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "\(plot.width) \(plot.height) 255 255 255")
            let xml = try TestSupport.run(
                python,
                ["-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])", paths[1]])
            #expect(xml.status == 0, "SVG is not well-formed XML: \(xml.output)")
        }
    }

    @Test(
        "libpng's pngfix accepts the PNG",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/pngfix")))
    func pngfix() throws {
        let dir = try TestSupport.scratchDirectory()
        let path = dir + "/curve.png"
        try AtomicFile.write(bytes: ExamplePlots.learningCurve().pngData(), to: path)
        let result = try TestSupport.run("/usr/bin/pngfix", [path])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("text and slanted lines are anti-aliased; axis-aligned 1-px lines are sharp")
    func antiAliased() throws {
        var levels: [UInt8] = []
        let png = try CairoSurface.render(width: 60, height: 30, format: .png) { s in
            s.text("Wg", at: (4, 4), style: TextStyle(size: 20))
            s.line(from: (30, 2), to: (58, 28), color: .black, width: 1.5)
            s.line(from: (0, 29), to: (60, 29), color: .black, width: 1)
        }
        levels = try CairoSurface.pixels(ofPNG: png).pixels.map(\.r)
        let distinct = Set(levels)
        #expect(distinct.contains(255) && distinct.contains(0))
        #expect(distinct.filter { $0 > 40 && $0 < 215 }.count > 20, "no intermediate grey: not anti-aliased")
        #expect(levels[(29 * 60)..<(30 * 60)].allSatisfy { $0 == 0 })
        #expect(levels[(28 * 60 + 2)..<(28 * 60 + 20)].allSatisfy { $0 == 255 })
    }

    @Test("a gray image is scaled by whole pixels, without smoothing")
    func grayImage() throws {
        let png = try CairoSurface.grayPNG([0, 255, 128, 64], rows: 2, columns: 2, scale: 3)
        let levels = try CairoSurface.pixels(ofPNG: png).pixels.map(\.r)
        #expect(levels.count == 36)
        #expect(levels[0..<6] == [0, 0, 0, 255, 255, 255])
        #expect(levels[30..<36] == [128, 128, 128, 64, 64, 64])
    }

    @Test("text widths come from the font: proportional, bold wider, scaling with size")
    func textWidths() {
        let style = TextStyle(size: 14)
        #expect(style.width(of: "WWWW") > style.width(of: "iiii") * 2)
        #expect(TextStyle(size: 14, bold: true).width(of: "accuracy") > style.width(of: "accuracy"))
        #expect(abs(TextStyle(size: 28).width(of: "accuracy") - 2 * style.width(of: "accuracy")) < 0.5)
        #expect(style.width(of: "") == 0)
        #expect(TextStyle(scale: 2).size == PlotFrame.tickStyle.size && TextStyle(scale: 2).scale == 2)
    }

    @Test("a legend goes to the corner that hides the fewest plotted points")
    func legendAvoidsCurves() {
        let frame = PlotFrame(width: 960, height: 600, margins: Margins(top: 64, right: 36, bottom: 84, left: 110))
        let entries: [(String, RGB, PlotFrame.LegendMark)] = [("a run", RGB(hex: 0x0072B2), .line(dashed: false))]
        let corners: [PlotFrame.Corner] = [.bottomRight, .bottomLeft, .topRight, .topLeft]
        // Nothing plotted: the first preference.
        #expect(frame.leastCoveredCorner(for: entries, avoiding: [], preferring: corners) == .bottomRight)
        // Points in the bottom-right box push it to the bottom left.
        let box = frame.legendBox(entries, corner: .bottomRight)
        let inside = [(box.x + 5, box.y + 5), (box.x + box.width - 1, box.y + box.height - 1)]
        #expect(frame.covered(by: entries, corner: .bottomRight, points: inside) == 2)
        #expect(frame.leastCoveredCorner(for: entries, avoiding: inside, preferring: corners) == .bottomLeft)
    }

    @Test("ticks are round numbers covering the range")
    func ticks() {
        let (values, step) = NiceTicks.make(lower: 63.2, upper: 97.1)
        #expect(step == 5)
        #expect(values == [65, 70, 75, 80, 85, 90, 95])
        #expect(NiceTicks.label(0.25, step: 0.05) == "0.25")
        #expect(NiceTicks.label(80, step: 5) == "80")
        #expect(NiceTicks.expand(lower: 63.2, upper: 97.1) == 60...100)
    }

    @Test("the run directory keeps plots in plots/")
    func runPlots() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let run = try RunDirectory.create(at: dir, config: ToyTrainer.config(seed: 1, epochs: 1))
        let paths = try run.writePlot(ExamplePlots.energy(), name: "energy")
        #expect(paths == ["png", "svg", "pdf"].map { dir + "/plots/energy." + $0 })
        #expect(paths.allSatisfy { FileManager.default.fileExists(atPath: $0) })
    }
}

@Suite("Plots with degenerate input")
struct DegeneratePlotTests {
    @Test("empty, single-point and ragged inputs render without crashing")
    func degenerate() throws {
        let plots: [any Plot] = [
            LearningCurvePlot(title: "empty", series: []),
            LearningCurvePlot(title: "one", series: [.init(name: "a", values: [0.5])]),
            LearningCurvePlot(title: "nan", series: [.init(name: "a", values: [.nan, .infinity])]),
            SpikeRasterPlot(title: "none", timeSteps: 0, neuronCount: 0, spikes: [(5, 5)]),
            ImageGridPlot(title: "no images", images: [], rows: 3, columns: 3),
            ImageGridPlot(
                title: "flat", images: [[0, 0, 0, 0]], rows: 2, columns: 2, colorScale: .grayscale),
            ConfusionMatrixPlot(title: "ragged", counts: [[1]], classNames: ["a", "b"]),
            StackedBarPlot(
                title: "zero", categories: ["x"], components: ["y"], values: [[0]], unit: "J"),
        ]
        for plot in plots {
            let png = plot.pngData()
            #expect(png.count > 50)
            #expect(plot.svgText().hasSuffix("</svg>\n"))
            #expect(plot.pdfData().count > 200)
        }
    }

    @Test(
        "a weight matrix and grayscale inputs render as image grids",
        .enabled(if: ProcessInfo.processInfo.environment["SYNFIRE_PLOT_DIR"] != nil))
    func weightMatrix() throws {
        let dir = ProcessInfo.processInfo.environment["SYNFIRE_PLOT_DIR"]!
        let w: [Double] = (0..<1000).map { (i: Int) -> Double in
            let x = Double(i)
            return sin(x * 0.37) * Double(i % 10) / 10
        }
        try ImageGridPlot(
            title: "Output weights W2 (10 x 100)", images: [w], rows: 10, columns: 100,
            gridColumns: 1, cellSize: 8
        ).write(to: dir + "/weight-matrix")
        let digits = (0..<8).map { k in
            (0..<784).map { (i: Int) -> Double in Double((i * (k + 3)) % 256) / 255 }
        }
        try ImageGridPlot(
            title: "Inputs", images: digits, rows: 28, columns: 28, gridColumns: 4,
            colorScale: .grayscale, labels: (0..<8).map { "label \($0)" }, unit: "intensity"
        ).write(to: dir + "/inputs")
    }
}

@Suite("Spike rasters")
struct RasterTests {
    @Test("200,000 spikes draw one cell per occupied pixel, so the SVG stays bounded")
    func boundedSVG() {
        var spikes: [(time: Int, neuron: Int)] = []
        spikes.reserveCapacity(200_000)
        for t in 0..<10_000 {
            for n in 0..<20 { spikes.append((t, n)) }
        }
        let plot = SpikeRasterPlot(title: "dense", timeSteps: 10_000, neuronCount: 20, spikes: spikes)
        let cells = DrawingRecorder(plot).rectangles.filter { $0.width <= 3 }.count
        // About 960 pixel columns x 20 rows are occupied, not 200,000 cells.
        #expect(cells < 25_000)
        #expect(cells > 15_000)
        #expect(plot.svgText().utf8.count < 3_000_000)
    }

    @Test("bands: proportional to the group sizes, never below the minimum, filling the area")
    func bandHeights() {
        let heights = SpikeRasterPlot.bandHeights(counts: [784, 400, 10, 10, 1], total: 500, minimum: 20)
        #expect(heights[2...].allSatisfy { $0 == 20 })
        #expect(abs(heights.reduce(0, +) - 500) < 1e-9)
        #expect(abs(heights[0] / heights[1] - 784.0 / 400) < 1e-9)
        #expect(SpikeRasterPlot.bandHeights(counts: [1, 1], total: 30, minimum: 20) == [15, 15])
        #expect(SpikeRasterPlot.bandHeights(counts: [3, 1], total: 400, minimum: 10) == [300, 100])
    }

    @Test("every population of a lopsided circuit is labelled, in its own band, labels apart")
    func everyGroupLabelled() throws {
        let sizes = [784, 784, 400, 400, 10, 10, 10, 10, 12]
        var groups: [SpikeRasterPlot.Group] = []
        var next = 0
        for (i, size) in sizes.enumerated() {
            groups.append(.init(name: "p\(i)", neurons: next..<(next + size)))
            next += size
        }
        let spikes = groups.map { (time: 3, neuron: $0.neurons.lowerBound) }
        let plot = SpikeRasterPlot(
            title: "circuit", timeSteps: 12, neuronCount: next, spikes: spikes,
            phases: (0..<12).map { .init(start: $0, end: $0 + 1, label: "\($0 + 1)") }, groups: groups)
        let recorder = DrawingRecorder(plot)
        let labels = recorder.texts.filter { $0.text.hasPrefix("p") && $0.text.hasSuffix(")") }
        #expect(labels.map(\.text) == sizes.enumerated().map { "p\($0.offset) (\($0.element))" })
        for (a, b) in zip(labels, labels.dropFirst()) {
            #expect(b.y - a.y >= plot.minimumGroupHeight - 1e-9, "\(a.text) and \(b.text) overlap")
        }
        // One spike per group, on its first neuron: the top of the group's band, which lies
        // between the previous group's label and its own.
        let cells = recorder.rectangles.filter { $0.width > 20 && $0.height < 30 }.sorted { $0.y < $1.y }
        #expect(cells.count == sizes.count)
        for (i, cell) in cells.enumerated() where i < labels.count {
            #expect(cell.y <= labels[i].y && (i == 0 || cell.y > labels[i - 1].y), "spike of p\(i) off its band")
        }
    }
}

/// A sweep over T (not epochs): `xTickLabels` puts the T values under equally spaced points.
@Test func lineOverTimeStepsUsesTheGivenTickLabels() {
    let plot = LearningCurvePlot(
        title: "accuracy vs time steps",
        series: [.init(name: "spiking", values: [0.62, 0.81, 0.90, 0.93, 0.94])],
        xLabel: "time steps T (log2 spacing)", xTickLabels: ["1", "2", "4", "8", "16"])
    let texts = DrawingRecorder(plot).strings
    #expect(texts.contains("time steps T (log2 spacing)"))
    for label in ["1", "2", "4", "8", "16"] { #expect(texts.contains(label), "no tick \(label)") }
    #expect(!texts.contains("5"))  // epoch numbering 1...5 would label the last point 5
    #expect(Array(plot.pngData().prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
}
