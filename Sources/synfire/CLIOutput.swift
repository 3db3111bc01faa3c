import Foundation

/// Writes a progress or log line to stderr, keeping stdout for results.
func logLine(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// The CLI's `--json` convention: one JSON object, compact, keys sorted, as the last
/// stdout line.
func printJSONResult<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// A JSON value for results whose keys are assembled at run time (tables of figures).
enum JSONValue: Encodable, Sendable {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}
