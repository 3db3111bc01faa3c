// Convolution and pooling geometry, computed here from kernel, stride, padding and
// dilation (PyTorch's formula out = floor((in + 2p - d(k - 1) - 1) / s) + 1; "same"
// pads (k - 1) d in total, the smaller half first). Both expand into explicit synapses:
// `forEachSynapse` visits (input index, output index, weight) in channel-major order.

/// A Conv1d or Conv2d node (1-d is a 2-d convolution of height 1).
struct ConvGeometry {
    var channelsIn: Int, channelsOut: Int, groups: Int
    var inputSize: [Int]  // [height, width]
    var kernel: [Int], stride: [Int], dilation: [Int]
    var padBefore: [Int]
    var outputSize: [Int]
    var weight: [Double]
    var bias: [Double]
    var oneDimensional: Bool

    var outputShape: [Int] { [channelsOut] + (oneDimensional ? [outputSize[1]] : outputSize) }
    var inputCount: Int { channelsIn * inputSize[0] * inputSize[1] }
    var outputCount: Int { channelsOut * outputSize[0] * outputSize[1] }

    init(_ node: NIRNode, name: String, input: [Int]?) throws {
        oneDimensional = node.type == .conv1d
        let rank = oneDimensional ? 1 : 2
        let w = try node.dataset("weight", node: name)
        guard w.shape.count == rank + 2 else {
            throw NIRError.badField(
                node: name, field: "weight",
                reason: "shape \(w.shape); expected (C_out, C_in / groups\(oneDimensional ? ", K" : ", kH, kW"))")
        }
        groups = try node.integers("groups", rank: 1, node: name, default: 1)[0]
        channelsOut = w.shape[0]
        channelsIn = w.shape[1] * groups
        guard groups >= 1, channelsOut % groups == 0 else {
            throw NIRError.badField(node: name, field: "groups", reason: "\(groups) does not divide \(channelsOut)")
        }
        let spatial = try Self.spatialInput(node, name: name, input: input, channels: channelsIn, rank: rank)
        let size = oneDimensional ? [1] + spatial : spatial
        let k = oneDimensional ? [1, w.shape[2]] : [w.shape[2], w.shape[3]]
        let strideRaw = try node.integers("stride", rank: rank, node: name, default: 1)
        let dilationRaw = try node.integers("dilation", rank: rank, node: name, default: 1)
        let s = oneDimensional ? [1] + strideRaw : strideRaw
        let d = oneDimensional ? [1] + dilationRaw : dilationRaw
        let total = [d[0] * (k[0] - 1), d[1] * (k[1] - 1)]
        var pad: [Int]
        var out: [Int]
        if let text = node.parameters["padding"], text.isString {
            // PyTorch's "same" needs stride 1 and keeps the size; "valid" pads nothing.
            let mode = text.strings.first ?? ""
            guard mode == "same" || mode == "valid" else {
                throw NIRError.badField(node: name, field: "padding", reason: "'\(mode)'; use same, valid or integers")
            }
            if mode == "same" && s != [1, 1] {
                throw NIRError.badField(node: name, field: "padding", reason: "'same' needs stride 1, got \(strideRaw)")
            }
            pad = mode == "same" ? [total[0] / 2, total[1] / 2] : [0, 0]
            out = mode == "same" ? size : Self.convolved(size, pad: [0, 0], total: total, stride: s)
        } else {
            let p = try node.integers("padding", rank: rank, node: name, default: 0)
            pad = oneDimensional ? [0] + p : p
            out = Self.convolved(size, pad: pad, total: total, stride: s)
        }
        guard out.allSatisfy({ $0 >= 1 }), s.allSatisfy({ $0 >= 1 }), d.allSatisfy({ $0 >= 1 }) else {
            throw NIRError.badField(
                node: name, field: "weight", reason: "kernel \(k) does not fit the input \(size) with this padding")
        }
        (inputSize, kernel, stride, dilation, padBefore, outputSize) = (size, k, s, d, pad, out)
        weight = w.numbers
        bias = try node.perNeuron("bias", count: channelsOut, node: name, default: 0)
    }

    /// PyTorch's output size: floor((in + 2p - d(k - 1) - 1) / s) + 1 per dimension.
    static func convolved(_ size: [Int], pad: [Int], total: [Int], stride: [Int]) -> [Int] {
        [(size[0] + 2 * pad[0] - total[0] - 1) / stride[0] + 1, (size[1] + 2 * pad[1] - total[1] - 1) / stride[1] + 1]
    }

    /// (height, width) of the input: from the incoming edge, else `input_shape`.
    static func spatialInput(_ node: NIRNode, name: String, input: [Int]?, channels: Int, rank: Int) throws -> [Int] {
        let written = node.writtenShape("input_shape") ?? node.declaredInputShape.map { Array($0.suffix(rank)) }
        if let input, input.count == rank + 1 {
            guard input[0] == channels else {
                throw NIRError.badField(
                    node: name, field: "weight",
                    reason: "expects \(channels) input channels but receives shape \(input)")
            }
            return Array(input.dropFirst())
        }
        guard let written, written.count == rank else {
            throw NIRError.missingField(node: name, field: "input_shape")
        }
        if let input, input.reduce(1, *) != channels * written.reduce(1, *) {
            throw NIRError.badField(
                node: name, field: "input_shape",
                reason: "\(written) x \(channels) channels does not match the incoming \(input)")
        }
        return written
    }

    func forEachSynapse(_ body: (Int, Int, Double) -> Void) {
        let (h, w) = (inputSize[0], inputSize[1])
        let (oh, ow) = (outputSize[0], outputSize[1])
        let perGroupIn = channelsIn / groups
        let perGroupOut = channelsOut / groups
        for o in 0..<channelsOut {
            let group = o / perGroupOut
            for ci in 0..<perGroupIn {
                let c = group * perGroupIn + ci
                for ky in 0..<kernel[0] {
                    for kx in 0..<kernel[1] {
                        let value = weight[((o * perGroupIn + ci) * kernel[0] + ky) * kernel[1] + kx]
                        if value == 0 { continue }
                        for y in 0..<oh {
                            let iy = y * stride[0] - padBefore[0] + ky * dilation[0]
                            if iy < 0 || iy >= h { continue }
                            for x in 0..<ow {
                                let ix = x * stride[1] - padBefore[1] + kx * dilation[1]
                                if ix < 0 || ix >= w { continue }
                                body((c * h + iy) * w + ix, (o * oh + y) * ow + x, value)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The bias of every output element.
    var biasPerOutput: [Double] {
        bias.flatMap { Array(repeating: $0, count: outputSize[0] * outputSize[1]) }
    }
}

/// A SumPool2d or AvgPool2d node (per channel; average divides by the full window, as
/// PyTorch does with count_include_pad).
struct PoolGeometry {
    var channels: Int
    var inputSize: [Int], kernel: [Int], stride: [Int], padding: [Int]
    var outputSize: [Int]
    var average: Bool

    var outputShape: [Int] { [channels] + outputSize }

    init(_ node: NIRNode, name: String, input: [Int]?) throws {
        average = node.type == .avgPool2d
        kernel = try node.integers("kernel_size", rank: 2, node: name)
        stride = try node.integers("stride", rank: 2, node: name)
        padding = try node.integers("padding", rank: 2, node: name, default: 0)
        let shape = input ?? node.declaredInputShape
        guard let shape, shape.count == 3 else {
            throw NIRError.badField(
                node: name, field: "kernel_size",
                reason: "pooling needs a (channels, height, width) input, got \(input.map { "\($0)" } ?? "none")")
        }
        channels = shape[0]
        inputSize = [shape[1], shape[2]]
        let (k, s, p) = (kernel, stride, padding)
        outputSize = (0..<2).map { (shape[$0 + 1] + 2 * p[$0] - k[$0]) / max(s[$0], 1) + 1 }
        guard outputSize.allSatisfy({ $0 >= 1 }), s.allSatisfy({ $0 >= 1 }), k.allSatisfy({ $0 >= 1 }) else {
            throw NIRError.badField(
                node: name, field: "kernel_size", reason: "window \(kernel) does not fit the input \(inputSize)")
        }
    }

    func forEachSynapse(_ body: (Int, Int, Double) -> Void) {
        let value = average ? 1 / Double(kernel[0] * kernel[1]) : 1
        let (h, w) = (inputSize[0], inputSize[1])
        for c in 0..<channels {
            for y in 0..<outputSize[0] {
                for x in 0..<outputSize[1] {
                    let out = (c * outputSize[0] + y) * outputSize[1] + x
                    for ky in 0..<kernel[0] {
                        let iy = y * stride[0] - padding[0] + ky
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<kernel[1] {
                            let ix = x * stride[1] - padding[1] + kx
                            if ix < 0 || ix >= w { continue }
                            body((c * h + iy) * w + ix, out, value)
                        }
                    }
                }
            }
        }
    }
}
