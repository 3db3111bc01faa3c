// Reading node parameters the way real exports write them: scalars, (1,) or (N,) arrays
// (or any shape with N elements), float32 or float64; integer tuples as scalars or
// arrays. Every failure names the node and the field.

extension NIRNode {
    func dataset(_ field: String, node name: String) throws -> HDF5Dataset {
        guard let d = parameters[field] else { throw NIRError.missingField(node: name, field: field) }
        guard !d.isString else {
            throw NIRError.badField(node: name, field: field, reason: "is text; expected numbers")
        }
        return d
    }

    /// The field's values for `count` neurons: a scalar or (1,) array is broadcast.
    func perNeuron(_ field: String, count: Int, node name: String, default value: Double? = nil) throws -> [Double] {
        guard parameters[field] != nil || value == nil else { return Array(repeating: value!, count: count) }
        let d = try dataset(field, node: name)
        if d.count == 1 { return Array(repeating: d.numbers[0], count: count) }
        guard d.count == count else {
            throw NIRError.badField(
                node: name, field: field,
                reason:
                    "shape \(d.shape) does not match the node's \(count) neurons; give a scalar, (1,) or (\(count),)")
        }
        return d.numbers
    }

    /// An integer tuple of `rank` entries (stride, padding, kernel size ...): a scalar is repeated.
    func integers(_ field: String, rank: Int, node name: String, default value: Int? = nil) throws -> [Int] {
        guard parameters[field] != nil || value == nil else { return Array(repeating: value!, count: rank) }
        let d = try dataset(field, node: name)
        let values = d.numbers
        if values.count == 1 { return Array(repeating: try integral(values[0], field, name), count: rank) }
        guard values.count == rank else {
            throw NIRError.badField(node: name, field: field, reason: "has \(values.count) entries; expected \(rank)")
        }
        return try values.map { try integral($0, field, name) }
    }

    func integral(_ value: Double, _ field: String, _ name: String) throws -> Int {
        guard value == value.rounded(), abs(value) < 1e9 else {
            throw NIRError.badField(node: name, field: field, reason: "\(value) is not an integer")
        }
        return Int(value)
    }

    /// Shape of the node's input as written in the file (`shape` for Input, `input_shape`,
    /// or an older `input_type` group).
    func writtenShape(_ field: String) -> [Int]? {
        guard let d = parameters[field], !d.isString, d.count > 0 else { return nil }
        return d.numbers.map { Int($0) }
    }
}
