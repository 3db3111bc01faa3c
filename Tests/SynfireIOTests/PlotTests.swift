import Foundation
import Testing

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

/// Decodes a PNG with Python's zlib + struct (a decoder independent of ours): checks the
/// signature, every chunk CRC, IHDR, unfilters all scanlines, prints size and a pixel.
let pythonPNGDecoder = """
    import sys, struct, zlib
    import numpy as np
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
    assert depth == 8 and ctype == 2 and pos == len(data)
    raw = zlib.decompress(idat); stride = w * 3
    assert len(raw) == h * (stride + 1), "decompressed size"
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y*(stride+1)]; line = bytearray(raw[y*(stride+1)+1:(y+1)*(stride+1)])
        if f == 1:  # Sub: a running sum per channel (vectorised; the loop below is generic)
            line = bytearray((np.frombuffer(bytes(line), np.uint8).reshape(w, 3)
                .cumsum(axis=0, dtype=np.uint64) % 256).astype(np.uint8).tobytes())
        else:
            for i in range(stride):
                a = line[i-3] if i >= 3 else 0; b = prev[i]; c = prev[i-3] if i >= 3 else 0
                if f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                else: assert f == 0, "filter"
        rows.append(line); prev = line
    x, y = int(sys.argv[2]), int(sys.argv[3])
    print(w, h, rows[y][3*x], rows[y][3*x+1], rows[y][3*x+2])
    """

@Suite("Plots (PNG and SVG)")
struct PlotTests {
    func outputDirectory() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["SYNFIRE_PLOT_DIR"] {
            try AtomicFile.createDirectory(dir)
            return dir
        }
        return try TestSupport.scratchDirectory()
    }

    @Test(
        "every plot kind writes a PNG that Python's zlib/struct decoder accepts, and an SVG",
        arguments: ExamplePlots.all.map(\.0))
    func decodes(_ name: String) throws {
        let plot = try #require(ExamplePlots.all.first { $0.0 == name }?.1)
        let dir = try outputDirectory()
        let paths = try plot.write(to: dir + "/" + name)
        #expect(paths == [dir + "/\(name).png", dir + "/\(name).svg"])
        let svg = try String(contentsOfFile: paths[1], encoding: .utf8)
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.contains("width=\"\(plot.width)\" height=\"\(plot.height)\""))
        #expect(svg.hasSuffix("</svg>\n"))
        if let python = TestSupport.pythonWithNumpy {
            // Pixel (1, 1) is the white background in every plot.
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

    @Test("raster primitives land on the expected pixels")
    func rasterPrimitives() throws {
        var image = RasterImage(width: 40, height: 30)
        image.fillRect(x: 2, y: 3, width: 4, height: 5, color: RGB(255, 0, 0))
        #expect(image.pixel(x: 2, y: 3) == RGB(255, 0, 0))
        #expect(image.pixel(x: 5, y: 7) == RGB(255, 0, 0))
        #expect(image.pixel(x: 6, y: 7) == .white)
        #expect(image.pixel(x: 5, y: 8) == .white)
        image.line(from: (10, 20), to: (30, 20), color: .black, width: 1)
        #expect(image.pixel(x: 20, y: 19) == .black || image.pixel(x: 20, y: 20) == .black)
        // "1" at scale 1: its stem is column 2 of the glyph, rows 0-6.
        var text = RasterImage(width: 10, height: 10)
        text.text("1", at: (0, 0), style: TextStyle(scale: 1))
        #expect((0...6).allSatisfy { text.pixel(x: 2, y: $0) == .black })
        #expect(text.pixel(x: 4, y: 3) == .white)
        // Rotated text reads upward: the stem becomes a row.
        var rotated = RasterImage(width: 10, height: 10)
        rotated.text("1", at: (0, 9), style: TextStyle(scale: 1, rotated: true))
        #expect((0...6).allSatisfy { rotated.pixel(x: $0, y: 9 - 2) == .black })
    }

    @Test("PNG of a tiny image matches the expected structure and size")
    func tinyPNG() throws {
        var image = RasterImage(width: 3, height: 2, background: RGB(10, 20, 30))
        image.fillRect(x: 1, y: 1, width: 1, height: 1, color: RGB(200, 100, 50))
        let png = image.pngData()
        #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        #expect(Array(png[16..<24]) == [0, 0, 0, 3, 0, 0, 0, 2])
        #expect(Array(png.suffix(8)) == [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
        // Inflate IDAT with our own zlib wrapper and undo the Sub filter.
        let idatLength = Int(png[33]) << 24 | Int(png[34]) << 16 | Int(png[35]) << 8 | Int(png[36])
        let raw = try Zlib.inflate(png[41..<(41 + idatLength)], format: .zlib)
        #expect(raw.count == 2 * (1 + 9))
        #expect(raw[10] == 1)  // filter type Sub
        let second = (0..<9).reduce(into: [UInt8]()) { row, i in
            row.append(raw[11 + i] &+ (i >= 3 ? row[i - 3] : 0))
        }
        #expect(second == [10, 20, 30, 200, 100, 50, 10, 20, 30])
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
        #expect(paths == [dir + "/plots/energy.png", dir + "/plots/energy.svg"])
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

@Suite("Large spike rasters")
struct LargeRasterTests {
    @Test("200,000 spikes give a bounded SVG (one rect per occupied pixel)")
    func boundedSVG() {
        var spikes: [(time: Int, neuron: Int)] = []
        spikes.reserveCapacity(200_000)
        for t in 0..<10_000 {
            for n in 0..<20 { spikes.append((t, n)) }
        }
        let plot = SpikeRasterPlot(
            title: "dense", timeSteps: 10_000, neuronCount: 20, spikes: spikes)
        let svg = plot.svgText()
        let rects = svg.components(separatedBy: "<rect").count - 1
        // About 960 pixel columns x 20 rows are occupied, not 200,000 cells.
        #expect(rects < 25_000)
        #expect(rects > 15_000)
    }
}

/// A sweep over T (not epochs): `xTickLabels` puts the T values under equally spaced points.
@Test func lineOverTimeStepsUsesTheGivenTickLabels() {
    let plot = LearningCurvePlot(
        title: "accuracy vs time steps",
        series: [.init(name: "spiking", values: [0.62, 0.81, 0.90, 0.93, 0.94])],
        xLabel: "time steps T (log2 spacing)", xTickLabels: ["1", "2", "4", "8", "16"])
    let svg = plot.svgText()
    #expect(svg.contains("time steps T (log2 spacing)"))
    for label in ["1", "2", "4", "8", "16"] { #expect(svg.contains(">\(label)</text>"), "no tick \(label)") }
    #expect(!svg.contains(">5</text>"))  // epoch numbering 1...5 would label the last point 5
    #expect(Array(plot.pngData().prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
}
