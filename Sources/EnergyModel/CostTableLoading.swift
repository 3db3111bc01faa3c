import Foundation

/// Problems loading or resolving a cost table (docs/energy.md "Cost tables").
public enum CostTableError: Error, CustomStringConvertible, Equatable {
    case unknownPreset(String)
    case unreadable(path: String, reason: String)
    case notJSON(origin: String, reason: String)
    /// Every problem found, each naming the field (validation reports all at once).
    case invalid(origin: String, problems: [String])

    public var description: String {
        switch self {
        case .unknownPreset(let name):
            return "unknown cost table '\(name)': use one of "
                + CostTablePreset.acceptedNames.joined(separator: ", ")
                + ", or the path of a JSON cost table (docs/energy.md, section \"Cost tables\")"
        case .unreadable(let path, let reason):
            return "cannot read cost table \(path): \(reason) — check the path and permissions"
        case .notJSON(let origin, let reason):
            return "cost table \(origin) is not valid JSON (\(reason)) — fix the syntax; "
                + "`synfire energy table --table davies2018 --json` prints a valid example"
        case .invalid(let origin, let problems):
            return "cost table \(origin) has \(problems.count) problem"
                + (problems.count == 1 ? "" : "s") + ":\n"
                + problems.map { "  - " + $0 }.joined(separator: "\n")
                + "\nFix these fields (units: pJ, ns, mW), or set \"base\" to a preset name "
                + "(\(CostTablePreset.allCases.map(\.rawValue).joined(separator: ", "))) "
                + "and give only the fields you change."
        }
    }
}

/// A parsed JSON value, kept generic so validation can report every problem at once
/// instead of stopping at the first decoding error.
enum JSONNode: Codable, Equatable {
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([String: JSONNode])
    case null

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONNode].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONNode].self))
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bool(let v): try c.encode(v)
        case .number(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        case .null: try c.encodeNil()
        }
    }

    var typeName: String {
        switch self {
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        case .null: "null"
        }
    }

    /// docs/energy.md "Cost tables" deep merge: objects merge key by key; arrays, numbers and strings replace.
    func merged(over base: JSONNode) -> JSONNode {
        guard case .object(let overlay) = self, case .object(var result) = base else {
            return self
        }
        for (key, value) in overlay {
            result[key] = result[key].map { value.merged(over: $0) } ?? value
        }
        return .object(result)
    }
}

extension CostTable {
    /// Loads a cost table from a preset name or a JSON file path (CLI `--table`).
    public static func resolve(_ nameOrPath: String) throws(CostTableError) -> CostTable {
        if let preset = CostTablePreset(name: nameOrPath) { return preset.table }
        guard nameOrPath.hasSuffix(".json") || FileManager.default.fileExists(atPath: nameOrPath)
        else { throw .unknownPreset(nameOrPath) }
        return try load(contentsOf: URL(fileURLWithPath: nameOrPath))
    }

    /// Loads and validates a JSON cost table file.
    public static func load(contentsOf url: URL) throws(CostTableError) -> CostTable {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try load(json: data, origin: url.lastPathComponent)
    }

    /// Parses, merges with `base` (if any) and validates a JSON cost table (docs/energy.md "Cost tables").
    /// Every problem is listed in one `CostTableError.invalid`.
    public static func load(json data: Data, origin: String = "<json>") throws(CostTableError)
        -> CostTable
    {
        let root: JSONNode
        do { root = try JSONDecoder().decode(JSONNode.self, from: data) } catch {
            throw .notJSON(origin: origin, reason: Self.describe(error))
        }
        guard case .object(let top) = root else {
            throw .invalid(
                origin: origin, problems: ["the top level is \(root.typeName), expected an object"])
        }
        var resolved = root
        var problems: [String] = []
        switch top["base"] {
        case nil, .null?:
            break
        case .string(let baseName)?:
            if let preset = CostTablePreset(name: baseName) {
                let baseNode = try! JSONDecoder().decode(
                    JSONNode.self, from: JSONEncoder().encode(preset.table))
                resolved = root.merged(over: baseNode)
                if top["name"] == nil, case .object(var merged) = resolved {
                    merged["name"] = .string("\(preset.rawValue)-modified")
                    resolved = .object(merged)
                }
            } else {
                problems.append(
                    "base: '\(baseName)' is not a preset; use one of "
                        + CostTablePreset.allCases.map(\.rawValue).joined(separator: ", ")
                        + " or null")
            }
        case let other?:
            problems.append("base: is \(other.typeName), expected a preset name or null")
        }
        problems += CostTableValidator.problems(in: resolved)
        guard problems.isEmpty else { throw .invalid(origin: origin, problems: problems) }
        do {
            let merged = try JSONEncoder().encode(resolved)
            return try JSONDecoder().decode(CostTable.self, from: merged)
        } catch {
            throw .invalid(origin: origin, problems: [Self.describe(error)])
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.localizedDescription
            return [context.debugDescription, underlying].compactMap { $0 }.joined(separator: ": ")
        case DecodingError.keyNotFound(let key, let context):
            return
                "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context),
            DecodingError.valueNotFound(_, let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): "
                + context.debugDescription
        default:
            return "\(error)"
        }
    }
}

/// Field-by-field checks of a merged cost table, collecting every problem (docs/energy.md "Cost tables" rules).
enum CostTableValidator {
    static func problems(in root: JSONNode) -> [String] {
        var problems: [String] = []
        guard case .object(let top) = root else { return ["top level must be an object"] }
        let topKeys = [
            "schemaVersion", "name", "base", "description", "units", "learningCountMode",
            "costs", "sync", "static", "chip",
        ]
        problems += unknownKeys(top, allowed: topKeys, path: "")
        for key in topKeys where top[key] == nil && key != "base" {
            problems.append("\(key): missing (with \"base\": null every field is required)")
        }
        if let v = top["schemaVersion"] {
            if v != .number(1) {
                problems.append("schemaVersion: is \(show(v)), expected 1")
            }
        }
        for key in ["name", "description"] {
            if let v = top[key], case .string = v {
            } else if let v = top[key] {
                problems.append("\(key): is \(v.typeName), expected a string")
            }
        }
        if let v = top["learningCountMode"] {
            let allowed = LearningCountMode.allCases.map(\.rawValue)
            if case .string(let s) = v, allowed.contains(s) {
            } else {
                problems.append(
                    "learningCountMode: is \(show(v)), expected \"swept\" or \"processed\"")
            }
        }
        if let units = top["units"] {
            problems += checkUnits(units)
        }
        if let costs = top["costs"] {
            if case .object(let entries) = costs {
                problems += unknownKeys(entries, allowed: OperationCosts.keys, path: "costs.")
                for key in OperationCosts.keys {
                    guard let entry = entries[key] else {
                        problems.append(
                            "costs.\(key): missing entry (needs energyPJ, timeNS, source)")
                        continue
                    }
                    problems += checkObject(
                        entry, path: "costs.\(key)", numbers: ["energyPJ", "timeNS"])
                }
            } else {
                problems.append("costs: is \(costs.typeName), expected an object")
            }
        }
        if let sync = top["sync"] {
            problems += checkSync(sync)
        }
        if let staticPower = top["static"] {
            problems += checkObject(
                staticPower, path: "static", numbers: ["chipPowerMW", "perUsedCorePowerMW"])
        }
        if let chip = top["chip"] {
            problems += checkObject(
                chip, path: "chip", numbers: [], integers: ChipLayout.integerKeys)
        }
        return problems
    }

    static func show(_ node: JSONNode) -> String {
        switch node {
        case .string(let s): "\"\(s)\""
        case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        default: node.typeName
        }
    }

    /// Unknown keys are errors; a near miss (e.g. `energyNJ`) gets a hint with the
    /// expected key and its unit.
    static func unknownKeys(_ object: [String: JSONNode], allowed: [String], path: String)
        -> [String]
    {
        object.keys.sorted().filter { !allowed.contains($0) }.map { key in
            let prefix = key.lowercased().prefix(4)
            if let near = allowed.first(where: { $0.lowercased().hasPrefix(prefix) }) {
                return "\(path)\(key): unknown key; did you mean \"\(near)\"? "
                    + "(units are fixed: energy pJ, time ns, power mW)"
            }
            return "\(path)\(key): unknown key (allowed: \(allowed.joined(separator: ", ")))"
        }
    }

    static func checkUnits(_ node: JSONNode) -> [String] {
        guard case .object(let units) = node else {
            return [
                "units: is \(node.typeName), expected {\"energy\": \"pJ\", \"time\": \"ns\", "
                    + "\"power\": \"mW\"}"
            ]
        }
        var problems = unknownKeys(units, allowed: ["energy", "time", "power"], path: "units.")
        for (key, expected) in [("energy", "pJ"), ("time", "ns"), ("power", "mW")] {
            guard let v = units[key] else {
                problems.append("units.\(key): missing, expected \"\(expected)\"")
                continue
            }
            if v != .string(expected) {
                problems.append(
                    "units.\(key): is \(show(v)) but cost tables must use \"\(expected)\"; "
                        + "convert the values to \(expected) and set \"\(expected)\"")
            }
        }
        return problems
    }

    static func checkNumber(_ node: JSONNode?, path: String) -> [String] {
        guard let node else { return ["\(path): missing (a number >= 0)"] }
        guard case .number(let d) = node else {
            return ["\(path): is \(node.typeName), expected a number >= 0"]
        }
        if !d.isFinite { return ["\(path): is not finite; expected a number >= 0"] }
        if d < 0 { return ["\(path): is \(show(node)); costs must not be negative"] }
        return []
    }

    static func checkObject(
        _ node: JSONNode, path: String, numbers: [String], integers: [String] = []
    ) -> [String] {
        guard case .object(let object) = node else {
            return ["\(path): is \(node.typeName), expected an object"]
        }
        var problems = unknownKeys(
            object, allowed: numbers + integers + ["source"], path: path + ".")
        for key in numbers { problems += checkNumber(object[key], path: "\(path).\(key)") }
        for key in integers {
            switch object[key] {
            case .number(let d)? where d >= 1 && d == d.rounded() && d < 1e15:
                continue
            case let v?:
                problems.append("\(path).\(key): is \(show(v)), expected a positive integer")
            case nil:
                problems.append("\(path).\(key): missing (a positive integer)")
            }
        }
        switch object["source"] {
        case .string?: break
        case let v?: problems.append("\(path).source: is \(v.typeName), expected a citation string")
        case nil: problems.append("\(path).source: missing (every entry carries its citation)")
        }
        return problems
    }

    static func checkSync(_ node: JSONNode) -> [String] {
        guard case .object(let sync) = node else {
            return ["sync: is \(node.typeName), expected an object"]
        }
        var problems = unknownKeys(
            sync, allowed: ["model", "points", "energyPJ", "source"], path: "sync.")
        switch sync["model"] {
        case .string(let s)? where SyncModel(rawValue: s) != nil: break
        case let v?:
            problems.append(
                "sync.model: is \(show(v)), expected \"log2Interpolate\" or \"stepTable\"")
        case nil: problems.append("sync.model: missing (\"log2Interpolate\" or \"stepTable\")")
        }
        problems += checkNumber(sync["energyPJ"], path: "sync.energyPJ")
        if case .string? = sync["source"] {
        } else {
            problems.append("sync.source: missing or not a string (a citation)")
        }
        guard let pointsNode = sync["points"] else {
            problems.append("sync.points: missing ([[tiles, ns], ...])")
            return problems
        }
        guard case .array(let points) = pointsNode else {
            problems.append("sync.points: is \(pointsNode.typeName), expected [[tiles, ns], ...]")
            return problems
        }
        if points.isEmpty {
            problems.append("sync.points: is empty; give at least one [tiles, ns] pair")
        }
        var previousTiles = -Double.infinity
        for (i, point) in points.enumerated() {
            guard case .array(let pair) = point, pair.count == 2,
                case .number(let tiles) = pair[0], case .number = pair[1]
            else {
                problems.append("sync.points[\(i)]: expected a pair [tiles, ns] of numbers")
                continue
            }
            if !(tiles >= 1) || tiles != tiles.rounded() {
                problems.append("sync.points[\(i)]: tiles \(show(pair[0])) must be an integer >= 1")
            }
            problems += checkNumber(pair[1], path: "sync.points[\(i)] ns")
            if tiles <= previousTiles {
                problems.append(
                    "sync.points[\(i)]: tiles \(show(pair[0])) not strictly increasing "
                        + "(previous \(show(.number(previousTiles))))")
            }
            previousTiles = tiles
        }
        return problems
    }
}
