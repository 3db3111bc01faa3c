import Foundation

// Reading a network description file (docs/neurochip.md, "Network descriptions"): the JSON
// is checked for keys the format does not have (a misspelt `vthMantisa` would otherwise be
// ignored and its default used), decoded, and validated; every error names the file.

/// A description file that cannot be used, with the file's name and what to change.
public struct NetworkFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var problems: [String]

    public init(file: String, problems: [String]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        "\(file): invalid network description (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  - " + $0 }.joined(separator: "\n")
            + "\nThe format is described in docs/neurochip.md, section \"Network descriptions\"."
    }
}

public enum NetworkDescriptionReader {
    /// Description files larger than this are refused before they are parsed (docs/robustness.md).
    public static let maximumFileBytes = 256 << 20

    /// The keys each object of the format may have.
    static let networkKeys: Set<String> = ["populations", "connections", "generators", "probes", "mapping", "seed"]
    static let populationKeys: Set<String> = [
        "name", "size", "du", "dv", "biasMantissa", "biasExponent", "vthMantissa", "refractory", "vmin", "vmax",
    ]
    static let connectionKeys: Set<String> = [
        "name", "source", "target", "pattern", "weight", "weights", "exponent", "delay", "delays", "signMode", "pre",
        "post", "plastic", "learning",
    ]
    static let learningKeys: Set<String> = ["rule", "epoch", "reward", "x1", "x2", "y1", "y2", "y3", "r1"]
    static let traceKeys: Set<String> = ["impulse", "tau"]
    static let generatorKeys: Set<String> = ["name", "size", "spikeTimes"]
    static let probeKeys: Set<String> = ["name", "kind", "target", "interval"]
    static let mappingKeys: Set<String> = [
        "newCorePerPopulation", "maxCompartmentsPerCore", "placement", "ignoreSynapticMemory",
    ]
    static let placementKeys: Set<String> = ["core", "count"]

    /// Reads, decodes and validates the description in `path`.
    public static func read(path: String) throws -> NetworkDescription {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumFileBytes else {
            throw NetworkFileError(
                file: path, problems: ["the file is \(size) bytes, more than the \(maximumFileBytes >> 20) MiB limit"])
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NetworkFileError(
                file: path, problems: ["cannot read it: \(error.localizedDescription); check the path"])
        }
        return try decode(data, file: path)
    }

    /// Decodes and validates description JSON; `file` names it in every error.
    public static func decode(_ data: Data, file: String) throws -> NetworkDescription {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw NetworkFileError(file: file, problems: ["not valid JSON (\(error.localizedDescription))"])
        }
        let unknown = unknownKeys(in: object)
        guard unknown.isEmpty else { throw NetworkFileError(file: file, problems: unknown) }
        let network: NetworkDescription
        do {
            network = try JSONDecoder().decode(NetworkDescription.self, from: data)
        } catch let error as DecodingError {
            // Foundation reports a number that does not fit an integer as "not valid JSON"
            // without a location; the parsed object says where it is.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                let at = firstNonInteger(in: object, at: "")
            {
                throw NetworkFileError(file: file, problems: ["\(at): every number must be an integer in range"])
            }
            throw NetworkFileError(file: file, problems: [explain(error)])
        }
        let problems = NetworkValidator.validate(network).problems
        guard problems.isEmpty else { throw NetworkFileError(file: file, problems: problems) }
        return network
    }

    /// One problem per key that the format does not know, with where it is.
    static func unknownKeys(in root: Any) -> [String] {
        var problems: [String] = []
        func check(_ value: Any?, _ allowed: Set<String>, _ at: String) {
            guard let object = value as? [String: Any] else { return }
            for key in object.keys.sorted() where !allowed.contains(key) {
                problems.append(
                    "\(at): unknown key '\(key)'; remove it or correct its spelling (allowed: "
                        + allowed.sorted().joined(separator: ", ") + ")")
            }
        }
        func each(_ value: Any?, _ at: String, _ body: (Any, String) -> Void) {
            for (index, element) in (value as? [Any] ?? []).enumerated() { body(element, "\(at)[\(index)]") }
        }
        guard let network = root as? [String: Any] else {
            return ["the top level must be a JSON object with `populations`, `connections`, ..."]
        }
        check(network, networkKeys, "top level")
        each(network["populations"], "populations") { check($0, populationKeys, $1) }
        each(network["generators"], "generators") { check($0, generatorKeys, $1) }
        each(network["probes"], "probes") { check($0, probeKeys, $1) }
        each(network["connections"], "connections") { connection, at in
            check(connection, connectionKeys, at)
            guard let learning = (connection as? [String: Any])?["learning"] else { return }
            check(learning, learningKeys, at + ".learning")
            for trace in ["x1", "x2", "y1", "y2", "y3", "r1"] {
                check((learning as? [String: Any])?[trace], traceKeys, at + ".learning." + trace)
            }
        }
        check(network["mapping"], mappingKeys, "mapping")
        let placement = (network["mapping"] as? [String: Any])?["placement"] as? [String: Any] ?? [:]
        for name in placement.keys.sorted() {
            each(placement[name], "mapping.placement['\(name)']") { check($0, placementKeys, $1) }
        }
        return problems
    }

    /// Where the first number that is not a 64-bit integer sits, e.g. "populations[0].size: 1e+308".
    static func firstNonInteger(in value: Any, at path: String) -> String? {
        switch value {
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let found = firstNonInteger(in: object[key]!, at: path.isEmpty ? key : path + "." + key) {
                    return found
                }
            }
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = firstNonInteger(in: element, at: path + "[\(index)]") { return found }
            }
        case let number as NSNumber where !(value is Bool):
            let text = number.stringValue
            if text.contains(where: { ".eE".contains($0) }) || number.doubleValue.magnitude >= 0x1p64 {
                return "\(path): \(text)"
            }
        default: break
        }
        return nil
    }

    /// A decoding error as "where: what" in the file's own terms.
    static func explain(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let parts = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? "." + key.stringValue }
            let joined = parts.joined()
            return joined.hasPrefix(".") ? String(joined.dropFirst()) : (joined.isEmpty ? "top level" : joined)
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = path(context)
            return "\(at == "top level" ? "" : at + ": ")missing required key '\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type) (\(context.debugDescription))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
