import ArgumentParser
import Foundation
import SynfireData

/// `synfire bench data`: how long loading all 60,000 MNIST training images takes from the
/// CSV file and from IDX.gz (issue 3: < 1.5 s and < 0.3 s in a release build).
struct BenchDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Time loading the 60,000 MNIST training images from CSV and from IDX.gz.",
        discussion: "Needs the full MNIST set (synfire data fetch). Reports the best of --repeats runs."
    )

    @OptionGroup var dataDirectory: DataDirectoryOption

    @Option(help: "Runs per format; the best is reported.")
    var repeats: Int = 3

    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be in 1...100") }
        let directory = (DatasetCatalog.dataDirectory(dataDirectory.path) as NSString).appendingPathComponent("mnist")
        let csv = (directory as NSString).appendingPathComponent("mnist_train.csv")
        let images = (directory as NSString).appendingPathComponent("train-images-idx3-ubyte.gz")
        let labels = (directory as NSString).appendingPathComponent("train-labels-idx1-ubyte.gz")

        func best(_ body: () throws -> ImageDataset) throws -> (seconds: Double, count: Int) {
            var fastest = Double.infinity
            var count = 0
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                let dataset = try body()
                fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                count = dataset.count
            }
            return (fastest, count)
        }
        let csvResult = try best { try DatasetCatalog.loadCSV(path: csv, name: "mnist", split: .train) }
        let idxResult = try best {
            try DatasetCatalog.loadIDX(imagesPath: images, labelsPath: labels, name: "mnist", split: .train)
        }
        #if DEBUG
            logLine("warning: debug build — benchmark figures need `swift build -c release`")
        #endif
        logLine(String(format: "csv     %.3f s for %d images", csvResult.seconds, csvResult.count))
        logLine(String(format: "idx.gz  %.3f s for %d images", idxResult.seconds, idxResult.count))
        if json.enabled {
            var build = "release"
            #if DEBUG
                build = "debug"
            #endif
            try printJSONResult([
                "csv_load_s": JSONValue.number(csvResult.seconds), "idx_gz_load_s": .number(idxResult.seconds),
                "images": .integer(csvResult.count), "repeats": .integer(repeats), "build": .string(build),
            ])
        }
    }
}
