/// Everything that can be wrong with a dataset file. Each message names the file and says
/// how to fix it (docs/robustness.md).
public enum DataError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String, fetchHint: String)
    case unreadableFile(path: String, reason: String)
    case badMagic(path: String, found: UInt32, expected: [UInt32])
    case truncatedIDX(path: String, expectedBytes: Int, actualBytes: Int)
    case corruptGzip(path: String, reason: String)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    case csvFieldCount(path: String, line: Int, found: Int, expected: Int)
    case csvNotNumeric(path: String, line: Int, field: Int, text: String)
    case csvValueOutOfRange(path: String, line: Int, field: Int, value: Int)
    case emptyFile(path: String)
    case idxTooLarge(path: String, shape: [Int], limit: Int)
    case tooLarge(path: String, what: String, limit: Int)
    case noRows(path: String)
    case unknownFormat(path: String)
    case invalidParameter(String)

    public var description: String {
        switch self {
        case .missingFile(let path, let hint):
            return "\(path) not found — \(hint)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason) — check the path and its permissions"
        case .badMagic(let path, let found, let expected):
            let want = expected.map { String(format: "0x%08x", $0) }.joined(separator: " or ")
            return String(
                format: "%@ is not an IDX file of the expected kind: magic number 0x%08x, expected %@ — "
                    + "re-fetch it with `synfire data fetch` (or scripts/fetch-data)",
                path, found, want)
        case .truncatedIDX(let path, let expectedBytes, let actualBytes):
            return "\(path) is truncated: its header promises \(expectedBytes) bytes, it holds \(actualBytes)"
                + " — delete it and re-fetch with `synfire data fetch`"
        case .corruptGzip(let path, let reason):
            return "\(path) is not a valid gzip stream (\(reason)) — delete it and re-fetch with `synfire data fetch`"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels"
                + " — the two files do not belong together; re-fetch both with `synfire data fetch`"
        case .labelOutOfRange(let path, let index, let label, let classes):
            return "\(path): label \(label) of item \(index) is outside 0..<\(classes)"
                + " — the file is corrupt or not a 10-class dataset; re-fetch it"
        case .csvFieldCount(let path, let line, let found, let expected):
            return "\(path):\(line): \(found) fields, expected \(expected) (label + pixels)"
                + " — the CSV must have the MNIST layout `label,1x1,...,28x28`"
        case .csvNotNumeric(let path, let line, let field, let text):
            return "\(path):\(line): field \(field) is not a number: '\(text)'"
                + " — every field must be an integer 0-255"
        case .csvValueOutOfRange(let path, let line, let field, let value):
            return "\(path):\(line): field \(field) = \(value) is outside 0-255 — pixels and labels are bytes"
        case .emptyFile(let path):
            return "\(path) is empty — delete it and re-fetch with `synfire data fetch`"
        case .idxTooLarge(let path, let shape, let limit):
            let dims = shape.map(String.init).joined(separator: " x ")
            return "\(path): the IDX header's dimensions \(dims) need more than the \(limit >> 20) MiB a dataset"
                + " may hold — the header is corrupt; delete the file and re-fetch it with `synfire data fetch`"
        case .tooLarge(let path, let what, let limit):
            return "\(path): \(what) exceeds \(limit >> 20) MiB, the limit for a dataset file"
                + " — the file is corrupt or not a dataset; delete it and re-fetch with `synfire data fetch`"
        case .noRows(let path):
            return "\(path) holds no image rows — give a CSV with one `label,pixel,...` row per image"
                + " (lines may end in \\n, \\r\\n or \\r)"
        case .unknownFormat(let path):
            return
                "\(path): unknown dataset format — give an IDX file (.idx / -ubyte, optionally .gz) or an MNIST-layout .csv"
        case .invalidParameter(let message):
            return message
        }
    }
}
