// RecordValue: a JSON value for run records (config parameters, metrics lines, checkpoint
// extras) whose keys are only known at run time.
//
// API
//   let p: [String: RecordValue] = ["epochs": 10, "lr": 0.5, "rule": "nbp", "on": true]
//   .int(3) .double(0.5) .string("x") .bool(true) .array([...]) .object([...]) .null
//   RecordValue(encoding: someEncodable) throws      // any Codable value -> RecordValue
//   value.doubleValue / intValue / stringValue / boolValue   (nil if another kind)
//   RecordValue.jsonLine(_ object: [String: RecordValue]) -> String  // compact, sorted keys
//
// Equality is numeric across .int and .double (1 == 1.0) because JSON does not keep the
// difference: a config written with 1.0 may read back as 1. Non-finite doubles are written
// as null, which every JSON reader accepts (Python's json, pandas, jq).

import Foundation

public enum RecordValue: Sendable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([RecordValue])
    case object([String: RecordValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([RecordValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: RecordValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .double(let v):
            if v.isFinite { try container.encode(v) } else { try container.encodeNil() }
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }

    /// Converts any Encodable value (a metrics struct, a config struct) into a RecordValue.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try RecordValue.encoder.encode(value)
        self = try JSONDecoder().decode(RecordValue.self, from: data)
    }

    public var doubleValue: Double? {
        switch self {
        case .double(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }

    public var intValue: Int? {
        switch self {
        case .int(let v): v
        case .double(let v) where v.rounded() == v && abs(v) < 9e15: Int(v)
        default: nil
        }
    }

    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var objectValue: [String: RecordValue]? {
        if case .object(let v) = self { v } else { nil }
    }

    /// Compact JSON with sorted keys (stable, diff-friendly).
    public var description: String {
        (try? String(decoding: RecordValue.encoder.encode(self), as: UTF8.self)) ?? "null"
    }

    /// One JSON object on one line, keys sorted — the metrics.jsonl line format.
    public static func jsonLine(_ object: [String: RecordValue]) -> String {
        RecordValue.object(object).description
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
}

extension RecordValue: Equatable {
    public static func == (lhs: RecordValue, rhs: RecordValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.int, .double), (.double, .int), (.double, .double):
            return lhs.doubleValue == rhs.doubleValue
        default: return false
        }
    }
}

extension RecordValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: RecordValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, RecordValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
