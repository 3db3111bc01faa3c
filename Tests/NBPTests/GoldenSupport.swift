import Foundation
import Testing

@testable import NBP

/// `../shared/spec/golden/nbp-small.json` (nbp-circuit.md §8), decoded verbatim.
struct NBPGolden: Decodable {
    struct ChipSample: Decodable {
        let a: [Int32]
        let h, hm, hp: [UInt8]
        let z: [Int32]
        let o, om, op, dp, dm: [UInt8]
        let ePlus: [Int32]
        let gPlus: [UInt8]
        let eMinus: [Int32]
        let gMinus: [UInt8]
        let W1_after: [[Int16]]
        let W2_after: [[Int16]]
        let M_after: [[Int16]]

        enum CodingKeys: String, CodingKey {
            case a, h, hm, hp, z, o, om, op, dp, dm, W1_after, W2_after, M_after
            case ePlus = "e+"
            case gPlus = "g+"
            case eMinus = "e-"
            case gMinus = "g-"
        }
    }

    struct ReferenceSample: Decodable {
        let a: [Int32]
        let h, hm, hp: [UInt8]
        let z: [Int32]
        let o, om, op, dp, dm: [UInt8]
        let e: [Int32]
        let d1: [Int8]
        let W1_after: [[Int16]]
        let W2_after: [[Int16]]
    }

    let sizes: [Int]
    let W1: [[Int16]]
    let W2: [[Int16]]
    let M: [[Int16]]
    let inputs: [[UInt8]]
    let labels: [Int]
    let chip: [ChipSample]
    let reference: [ReferenceSample]
    /// Step -> population -> indices that fired.
    let chipSpikes: [Int: [String: [Int]]]

    enum CodingKeys: String, CodingKey {
        case sizes, W1, W2, M, inputs, labels, chip, reference
        case chipSpikes = "chip_spikes"
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sizes = try container.decode([Int].self, forKey: .sizes)
        W1 = try container.decode([[Int16]].self, forKey: .W1)
        W2 = try container.decode([[Int16]].self, forKey: .W2)
        M = try container.decode([[Int16]].self, forKey: .M)
        inputs = try container.decode([[UInt8]].self, forKey: .inputs)
        labels = try container.decode([Int].self, forKey: .labels)
        chip = try container.decode([ChipSample].self, forKey: .chip)
        reference = try container.decode([ReferenceSample].self, forKey: .reference)
        let raw = try container.decode([[String: SpikeEntry]].self, forKey: .chipSpikes)
        var spikes: [Int: [String: [Int]]] = [:]
        for entry in raw {
            guard case .step(let step)? = entry["step"] else { continue }
            var populations: [String: [Int]] = [:]
            for (name, value) in entry {
                if case .indices(let indices) = value { populations[name] = indices }
            }
            spikes[step] = populations
        }
        chipSpikes = spikes
    }

    enum SpikeEntry: Decodable {
        case step(Int)
        case indices([Int])
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let step = try? container.decode(Int.self) {
                self = .step(step)
            } else {
                self = .indices(try container.decode([Int].self))
            }
        }
    }

    var networkSizes: NBPSizes { NBPSizes(input: sizes[0], hidden: sizes[1], output: sizes[2]) }

    func initialWeights() throws -> NBPWeights {
        try NBPWeights(
            sizes: networkSizes, w1: W1.flatMap { $0 }, w2: W2.flatMap { $0 }, m: M.flatMap { $0 })
    }

    static func load() throws -> NBPGolden {
        // Tests/NBPTests/<file> -> package root -> ../shared/spec/golden/
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let url = root.appendingPathComponent("../shared/spec/golden/nbp-small.json").standardized
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record(
                "golden file \(url.path) is missing: the nBP golden vectors must be in ../shared/spec/golden/ next to the package root"
            )
            throw GoldenMissing(path: url.path)
        }
        return try JSONDecoder().decode(NBPGolden.self, from: Data(contentsOf: url))
    }

    struct GoldenMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "golden vectors not found at \(path)" }
    }
}
