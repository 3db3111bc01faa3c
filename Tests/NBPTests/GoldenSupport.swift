import Foundation
import Testing

@testable import NBP

/// The repository's copy of the nBP golden vectors, `Fixtures/golden/nbp-small.json`, decoded
/// verbatim (docs/nbp.md, "Golden vectors").
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

    /// Loads the fixture; a missing, empty or unreadable file records a test failure.
    static func load() throws -> NBPGolden {
        guard let url = Bundle.module.url(forResource: "nbp-small", withExtension: "json", subdirectory: "Fixtures/golden")
        else {
            Issue.record("golden fixture Fixtures/golden/nbp-small.json is not in the NBPTests bundle")
            throw GoldenMissing(path: "Tests/NBPTests/Fixtures/golden/nbp-small.json")
        }
        let data = try Data(contentsOf: url)
        guard !data.isEmpty else {
            Issue.record("golden fixture \(url.path) is empty")
            throw GoldenMissing(path: url.path)
        }
        return try JSONDecoder().decode(NBPGolden.self, from: data)
    }

    struct GoldenMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "golden vectors not found or empty at \(path)" }
    }
}

/// The forward-pass and output-error values both golden variants list (docs/nbp.md,
/// "The circuit's arithmetic").
protocol GoldenForwardPass {
    var a: [Int32] { get }
    var h: [UInt8] { get }
    var hm: [UInt8] { get }
    var hp: [UInt8] { get }
    var z: [Int32] { get }
    var o: [UInt8] { get }
    var om: [UInt8] { get }
    var op: [UInt8] { get }
    var dp: [UInt8] { get }
    var dm: [UInt8] { get }
}

extension NBPGolden.ChipSample: GoldenForwardPass {}
extension NBPGolden.ReferenceSample: GoldenForwardPass {}

/// Checks a, h, hm, hp, z, o, om, op, dp, dm of one sample, each named in the failure.
func expectForwardPass(
    _ trace: NBPSampleTrace, equals expected: some GoldenForwardPass, sample index: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(trace.a == expected.a, "sample \(index): a", sourceLocation: sourceLocation)
    #expect(trace.h == expected.h, "sample \(index): h", sourceLocation: sourceLocation)
    #expect(trace.hm == expected.hm, "sample \(index): hm", sourceLocation: sourceLocation)
    #expect(trace.hp == expected.hp, "sample \(index): hp", sourceLocation: sourceLocation)
    #expect(trace.z == expected.z, "sample \(index): z", sourceLocation: sourceLocation)
    #expect(trace.o == expected.o, "sample \(index): o", sourceLocation: sourceLocation)
    #expect(trace.om == expected.om, "sample \(index): om", sourceLocation: sourceLocation)
    #expect(trace.op == expected.op, "sample \(index): op", sourceLocation: sourceLocation)
    #expect(trace.dp == expected.dp, "sample \(index): dp", sourceLocation: sourceLocation)
    #expect(trace.dm == expected.dm, "sample \(index): dm", sourceLocation: sourceLocation)
}
