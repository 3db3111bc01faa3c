/// Reader for the MNIST CSV layout: an optional header (`label,1x1,...,28x28`), then one
/// row per image, `label,pixel,...,pixel`, every value an integer 0-255.
public enum CSVReader {
    public struct Table: Sendable {
        public var labels: [UInt8]
        public var pixels: [UInt8]
        public var pixelsPerRow: Int
    }

    public static func read(path: String, pixelsPerRow: Int = 784) throws -> Table {
        try parse(readFileBytes(path), path: path, pixelsPerRow: pixelsPerRow)
    }

    /// Parses the bytes in one pass. The hot loop runs over an unsafe buffer: this is the
    /// measured path of `synfire bench data` (60,000 rows, ~110 MB).
    public static func parse(_ bytes: [UInt8], path: String, pixelsPerRow: Int = 784) throws -> Table {
        guard !bytes.isEmpty else { throw DataError.emptyFile(path: path) }
        guard (1...65_536).contains(pixelsPerRow) else {
            throw DataError.invalidParameter("\(path): \(pixelsPerRow) pixels per row; use 1...65536")
        }
        let fieldsPerRow = pixelsPerRow + 1
        // Estimate the rows from the size of the first data row to reserve once.
        var labels: [UInt8] = []
        var pixels: [UInt8] = []
        try bytes.withUnsafeBufferPointer { buffer in
            let n = buffer.count
            var position = 0
            var line = 1
            // Skip a header line: one that starts with anything but a digit. Lines end in
            // "\n", "\r\n" or a lone "\r" (old Mac files).
            if let first = buffer.first, !(first >= 48 && first <= 57) {
                while position < n && buffer[position] != 10 && buffer[position] != 13 { position += 1 }
                if position < n && buffer[position] == 13 { position += 1 }
                if position < n && buffer[position] == 10 { position += 1 }
                line += 1
            }
            var firstRowLength = 0
            var probe = position
            while probe < n && buffer[probe] != 10 && buffer[probe] != 13 { probe += 1 }
            firstRowLength = max(probe - position + 1, 1)
            let estimatedRows = (n - position) / firstRowLength + 1
            labels.reserveCapacity(estimatedRows)
            pixels.reserveCapacity(estimatedRows * pixelsPerRow)

            var row = [UInt8](repeating: 0, count: fieldsPerRow)
            while position < n {
                // Blank lines (e.g. a trailing newline) are skipped.
                if buffer[position] == 10 || buffer[position] == 13 {
                    let lineFeedFollows = buffer[position] == 13 && position + 1 < n && buffer[position + 1] == 10
                    if !lineFeedFollows { line += 1 }
                    position += 1
                    continue
                }
                var field = 0
                while true {
                    var value = 0
                    var digits = 0
                    let start = position
                    while position < n {
                        let c = buffer[position]
                        let digit = Int(c) &- 48
                        if digit < 0 || digit > 9 { break }
                        value = value &* 10 &+ digit
                        digits += 1
                        position += 1
                    }
                    // A field ends at ',', '\n', '\r' or the end of the file.
                    let terminator: UInt8 = position < n ? buffer[position] : 10
                    if digits == 0 || !(terminator == 44 || terminator == 10 || terminator == 13) {
                        var end = position
                        while end < n && buffer[end] != 44 && buffer[end] != 10 && buffer[end] != 13 { end += 1 }
                        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
                        throw DataError.csvNotNumeric(path: path, line: line, field: field + 1, text: text)
                    }
                    if digits > 3 || value > 255 {
                        throw DataError.csvValueOutOfRange(path: path, line: line, field: field + 1, value: value)
                    }
                    if field < fieldsPerRow { row[field] = UInt8(value) }
                    field += 1
                    if terminator == 44 {
                        position += 1
                        continue
                    }
                    // End of row: swallow "\r\n" or "\n".
                    if terminator == 13 { position += 1 }
                    if position < n && buffer[position] == 10 { position += 1 }
                    break
                }
                guard field == fieldsPerRow else {
                    throw DataError.csvFieldCount(path: path, line: line, found: field, expected: fieldsPerRow)
                }
                labels.append(row[0])
                pixels.append(contentsOf: row[1...])
                line += 1
            }
        }
        guard !labels.isEmpty else { throw DataError.noRows(path: path) }
        return Table(labels: labels, pixels: pixels, pixelsPerRow: pixelsPerRow)
    }
}
