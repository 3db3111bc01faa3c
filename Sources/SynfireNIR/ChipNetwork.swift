// What `synfire nir import` writes: a NeuroChip network description (any tool that reads
// descriptions reads it; the extra key is ignored) plus a `nir` key that says which
// generator is which graph input, which populations hold which node's neurons, and how
// chip voltages convert back to the graph's units.

import Foundation
import NeuroChip

/// The populations that hold one neuron node, in order; `elements[k]` lists the node's
/// neuron indices in population k (nil when one population holds them all in order).
public struct NIRNodePlacement: Codable, Sendable, Equatable {
    public var node: String
    public var type: String
    public var shape: [Int]
    public var populations: [String]
    public var elements: [[Int]]?
    /// v_NIR = v_chip / voltageScale + voltageOffset, per neuron (one value: all alike).
    public var voltageScale: [Double]
    public var voltageOffset: [Double]

    /// (population position, local index) of every neuron of the node.
    public func locations() -> [(population: Int, index: Int)] {
        guard let elements else { return (0..<shape.reduce(1, *)).map { (0, $0) } }
        var out = [(population: Int, index: Int)](repeating: (0, 0), count: shape.reduce(1, *))
        for (p, list) in elements.enumerated() {
            for (local, element) in list.enumerated() { out[element] = (p, local) }
        }
        return out
    }

    func value(_ array: [Double], _ j: Int) -> Double { array.count == 1 ? array[0] : array[j] }
}

/// A graph input (a spike generator of the same name) or output (a neuron node's spikes).
public struct NIRPort: Codable, Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    /// Outputs: the neuron node whose spikes the output carries.
    public var node: String?

    public var size: Int { shape.reduce(1, *) }
}

/// How the graph sits on the chip, and what was assumed to put it there.
public struct NIRChipInterface: Codable, Sendable, Equatable {
    public var inputs: [NIRPort]
    public var outputs: [NIRPort]
    public var neurons: [NIRNodePlacement]
    public var dt: Double
    public var spikeAmplitude: Double
    public var reset: String

    public func placement(of node: String) -> NIRNodePlacement? { neurons.first { $0.node == node } }
}

/// A description with its interface, encoded as one JSON object.
public struct NIRChipNetwork: Codable, Sendable, Equatable {
    public var network: NetworkDescription
    public var interface: NIRChipInterface

    public init(network: NetworkDescription, interface: NIRChipInterface) {
        self.network = network
        self.interface = interface
    }

    enum ExtraKeys: String, CodingKey { case nir }

    public init(from decoder: Decoder) throws {
        network = try NetworkDescription(from: decoder)
        interface = try decoder.container(keyedBy: ExtraKeys.self).decode(NIRChipInterface.self, forKey: .nir)
    }

    public func encode(to encoder: Encoder) throws {
        try network.encode(to: encoder)
        var container = encoder.container(keyedBy: ExtraKeys.self)
        try container.encode(interface, forKey: .nir)
    }

    /// Reads NET.json; a plain description (no `nir` key) gets a default interface:
    /// every generator an input, every population without outgoing connections an output.
    public static func load(path: String) throws -> NIRChipNetwork {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NIRError.badSource(path: path, reason: "cannot read the file; check the path")
        }
        do {
            if let chip = try? JSONDecoder().decode(NIRChipNetwork.self, from: data) { return chip }
            let network = try JSONDecoder().decode(NetworkDescription.self, from: data)
            return NIRChipNetwork(network: network, interface: .default(for: network))
        } catch {
            throw NIRError.badSource(
                path: path, reason: "not a NeuroChip network description (\(error)); write one with synfire nir import")
        }
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension NIRChipInterface {
    /// Generators are inputs; populations that feed nothing are outputs (all populations
    /// when every one feeds another).
    public static func `default`(for network: NetworkDescription) -> NIRChipInterface {
        let sources = Set(network.connections.map(\.source))
        var sinks = network.populations.filter { !sources.contains($0.name) }
        if sinks.isEmpty { sinks = network.populations }
        return NIRChipInterface(
            inputs: network.generators.map { NIRPort(name: $0.name, shape: [$0.size]) },
            outputs: sinks.map { NIRPort(name: "output_\($0.name)", shape: [$0.size], node: $0.name) },
            neurons: network.populations.map {
                NIRNodePlacement(
                    node: $0.name, type: "CubaLIF", shape: [$0.size], populations: [$0.name], elements: nil,
                    voltageScale: [1], voltageOffset: [0])
            }, dt: 1e-3, spikeAmplitude: 1, reset: "zero")
    }
}

/// What `synfire nir export` was given.
public enum NIRSourceKind: String, Sendable {
    case nbp, ste, description

    /// A run directory says what trained it in config.json; a JSON file is a description.
    public static func detect(_ path: String) throws -> NIRSourceKind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw NIRError.badSource(path: path, reason: "does not exist; pass a run directory or a NET.json")
        }
        guard isDirectory.boolValue else { return .description }
        let config = (path as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: config),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let command = object["command"] as? String
        else {
            throw NIRError.badSource(
                path: path, reason: "holds no config.json naming its command; pass an nBP or STE run")
        }
        if command.hasPrefix("nbp") { return .nbp }
        if command.hasPrefix("ste") { return .ste }
        throw NIRError.badSource(path: path, reason: "is a '\(command)' run; only nBP and STE runs export")
    }
}
