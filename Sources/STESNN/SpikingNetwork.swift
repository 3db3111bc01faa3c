/// How a forward pass treats spikes and dropout.
public struct ForwardPhase: Sendable {
    public var firing: FiringFunction
    public var dropout: Bool

    public init(firing: FiringFunction, dropout: Bool) {
        self.firing = firing
        self.dropout = dropout
    }

    /// Training forward pass: strict `u > θ`, dropout on (docs/ste.md "Neuron model", "DI mode").
    public static let training = ForwardPhase(firing: .heaviside(.strict), dropout: true)
    /// Validation pass of the trainer: strict rule, dropout off (docs/ste.md "DI mode").
    public static let validation = ForwardPhase(firing: .heaviside(.strict), dropout: false)
    /// Spiking inference: `u ≥ θ`, dropout off (docs/ste.md "DI mode", "CI mode").
    public static let inference = ForwardPhase(firing: .heaviside(.inclusive), dropout: false)
}

/// Weights (`fanIn × fanOut`, row-major; for convolutions the fan-in is ordered kernel
/// row, kernel column, input channel) and biases of one layer.
public struct ParameterBlock: Codable, Sendable, Equatable {
    public var layerIndex: Int
    public var weights: [Float]
    public var biases: [Float]
}

/// A network's parameters plus the forward and backward passes over batches of
/// time-major rows: row `t·batch + n` holds sample `n` at time step `t`.
public final class SpikingNetwork {
    public let spec: NetworkSpec
    public var parameters: [ParameterBlock]
    /// Gradients of the last `backward` call, same layout as `parameters`.
    public private(set) var gradients: [ParameterBlock]

    // Per-layer caches of the last forward pass.
    private var layerInputs: [[Float]]
    private var layerAux: [[Float]]  // im2col columns, pre-spike membranes, dropout masks
    private var poolIndices: [[Int32]]
    private var cachedRows = 0
    private var cachedTimeSteps = 1
    private var blockOfLayer: [Int?]

    /// When set, `forward` records `spikeCountsPerStep`: entry 0 is the input, then one
    /// entry per spike layer; each holds the number of spikes at every time step summed
    /// over the batch (the activity that drives the energy model, docs/ste.md "Energy").
    public var recordsSpikeCounts = false
    public private(set) var spikeCountsPerStep: [[Double]] = []

    public init(spec: NetworkSpec, parameters: [ParameterBlock]) throws {
        try spec.validate()
        var blockOfLayer = [Int?](repeating: nil, count: spec.layers.count)
        var expected = 0
        for (index, layer) in spec.layers.enumerated() {
            guard let shape = layer.parameterShape else { continue }
            guard expected < parameters.count else {
                throw STEError.missingParameters("no parameters for layer \(index) (\(layer))")
            }
            let block = parameters[expected]
            guard block.weights.count == shape.weights else {
                throw STEError.shapeMismatch(
                    what: "weights of layer \(index)", expected: shape.weights,
                    actual: block.weights.count)
            }
            guard block.biases.count == shape.biases else {
                throw STEError.shapeMismatch(
                    what: "biases of layer \(index)", expected: shape.biases,
                    actual: block.biases.count)
            }
            blockOfLayer[index] = expected
            expected += 1
        }
        guard expected == parameters.count else {
            throw STEError.shapeMismatch(
                what: "number of parameter blocks", expected: expected, actual: parameters.count)
        }
        self.spec = spec
        self.parameters = parameters.enumerated().map { i, block in
            var b = block
            b.layerIndex = blockOfLayer.firstIndex(of: i)!
            return b
        }
        self.gradients = self.parameters.map {
            ParameterBlock(
                layerIndex: $0.layerIndex, weights: [Float](repeating: 0, count: $0.weights.count),
                biases: [Float](repeating: 0, count: $0.biases.count))
        }
        self.blockOfLayer = blockOfLayer
        self.layerInputs = Array(repeating: [], count: spec.layers.count)
        self.layerAux = Array(repeating: [], count: spec.layers.count)
        self.poolIndices = Array(repeating: [], count: spec.layers.count)
    }

    /// A freshly initialised network: uniform weights within `spec.initialisation`'s limit, zero biases.
    public convenience init(spec: NetworkSpec, generator: inout some RandomNumberGenerator) throws {
        var blocks: [ParameterBlock] = []
        for (index, layer) in spec.layers.enumerated() {
            guard let shape = layer.parameterShape else { continue }
            let limit = spec.initialisation.limit(fanIn: shape.fanIn, fanOut: shape.fanOut)
            var weights = [Float](repeating: 0, count: shape.weights)
            for i in weights.indices {
                weights[i] = (2 * uniformFloat(&generator) - 1) * limit
            }
            blocks.append(
                ParameterBlock(
                    layerIndex: index, weights: weights,
                    biases: [Float](repeating: 0, count: shape.biases)))
        }
        try self.init(spec: spec, parameters: blocks)
    }

    /// Forward pass over `timeSteps · batch` rows (time-major). Returns the linear read-out
    /// `[timeSteps · batch × outputs]` (docs/ste.md "Neuron model": no threshold on the last layer here).
    public func forward(
        _ input: [Float], batch: Int, timeSteps: Int, phase: ForwardPhase,
        generator: inout some RandomNumberGenerator
    ) throws -> [Float] {
        guard timeSteps > 0 else { throw STEError.invalidTimeSteps(timeSteps) }
        guard batch > 0 else {
            throw STEError.invalidParameter(name: "batch size", value: "\(batch)", expected: "≥ 1")
        }
        let rows = batch * timeSteps
        guard input.count == rows * spec.inputFeatures else {
            throw STEError.shapeMismatch(
                what: "network input (\(timeSteps) steps × \(batch) samples × "
                    + "\(spec.inputFeatures) features)",
                expected: rows * spec.inputFeatures, actual: input.count)
        }
        cachedRows = rows
        cachedTimeSteps = timeSteps
        spikeCountsPerStep = []
        if recordsSpikeCounts {
            spikeCountsPerStep.append(Self.sumPerStep(input, timeSteps: timeSteps))
        }
        var activation = input
        for (index, layer) in spec.layers.enumerated() {
            layerInputs[index] = activation
            switch layer {
            case .dense(let inputs, let outputs):
                let block = parameters[blockOfLayer[index]!]
                // Inference on spikes is event-driven like the chip (docs/ste.md "Energy"): a spike
                // of input j adds row j of W. Training keeps the dense GEMM because the
                // backward pass needs the same products anyway.
                if case .heaviside(.inclusive) = phase.firing, Self.isBinary(activation) {
                    activation = eventDrivenDenseForward(
                        activation, rows: rows, inputs: inputs, outputs: outputs, block: block)
                } else {
                    activation = denseForward(
                        activation, rows: rows, inputs: inputs, outputs: outputs, block: block)
                }
            case .convolution(let h, let w, let ci, let co, let k):
                var cols: [Float] = []
                activation = convolutionForward(
                    activation, rows: rows, height: h, width: w, channelsIn: ci, channelsOut: co,
                    kernel: k, block: parameters[blockOfLayer[index]!], columns: &cols)
                layerAux[index] = cols
            case .maxPool(let h, let w, let c):
                var indices: [Int32] = []
                activation = maxPoolForward(
                    activation, rows: rows, height: h, width: w, channels: c, indices: &indices)
                poolIndices[index] = indices
            case .spike:
                let width = activation.count / timeSteps
                var u = [Float](repeating: 0, count: activation.count)
                var s = [Float](repeating: 0, count: activation.count)
                activation.withUnsafeBufferPointer { a in
                    u.withUnsafeMutableBufferPointer { pu in
                        s.withUnsafeMutableBufferPointer { ps in
                            spec.neuron.forward(
                                currents: a, timeSteps: timeSteps, width: width,
                                function: phase.firing, preSpike: pu, spikes: ps)
                        }
                    }
                }
                layerAux[index] = u
                activation = s
                if recordsSpikeCounts {
                    spikeCountsPerStep.append(Self.sumPerStep(s, timeSteps: timeSteps))
                }
            case .dropout(_, let rate):
                if phase.dropout && rate > 0 {
                    let mask = dropoutMask(count: activation.count, rate: rate, generator: &generator)
                    activation.withUnsafeMutableBufferPointer { a in
                        mask.withUnsafeBufferPointer { m in
                            for i in 0..<a.count { a[i] *= m[i] }
                        }
                    }
                    layerAux[index] = mask
                } else {
                    layerAux[index] = []
                }
            }
        }
        return activation
    }

    /// Back-propagates `∂L/∂output` through the last forward pass; fills `gradients`
    /// (overwriting) and returns `∂L/∂input` when `needInputGradient` is set.
    @discardableResult
    public func backward(_ gradOutput: [Float], needInputGradient: Bool = false) throws -> [Float] {
        let rows = cachedRows
        guard gradOutput.count == rows * spec.outputFeatures else {
            throw STEError.shapeMismatch(
                what: "output gradient", expected: rows * spec.outputFeatures,
                actual: gradOutput.count)
        }
        var grad = gradOutput
        for index in stride(from: spec.layers.count - 1, through: 0, by: -1) {
            let layer = spec.layers[index]
            let needInput = index > 0 || needInputGradient
            switch layer {
            case .dense(let inputs, let outputs):
                let b = blockOfLayer[index]!
                grad = denseBackward(
                    grad, rows: rows, inputs: inputs, outputs: outputs, layer: index, block: b,
                    needInput: needInput)
            case .convolution(let h, let w, let ci, let co, let k):
                let b = blockOfLayer[index]!
                grad = convolutionBackward(
                    grad, rows: rows, height: h, width: w, channelsIn: ci, channelsOut: co,
                    kernel: k, layer: index, block: b, needInput: needInput)
            case .maxPool:
                var out = [Float](repeating: 0, count: rows * layer.inputFeatures)
                let outFeatures = layer.outputFeatures
                let inFeatures = layer.inputFeatures
                poolIndices[index].withUnsafeBufferPointer { idx in
                    grad.withUnsafeBufferPointer { g in
                        out.withUnsafeMutableBufferPointer { o in
                            for r in 0..<rows {
                                let gBase = r * outFeatures
                                let oBase = r * inFeatures
                                for j in 0..<outFeatures {
                                    o[oBase + Int(idx[gBase + j])] += g[gBase + j]
                                }
                            }
                        }
                    }
                }
                grad = out
            case .spike:
                let width = grad.count / cachedTimeSteps
                var out = [Float](repeating: 0, count: grad.count)
                layerAux[index].withUnsafeBufferPointer { u in
                    grad.withUnsafeBufferPointer { g in
                        out.withUnsafeMutableBufferPointer { o in
                            spec.neuron.backward(
                                preSpike: u, gradSpikes: g, timeSteps: cachedTimeSteps,
                                width: width, gradCurrents: o)
                        }
                    }
                }
                grad = out
            case .dropout:
                let mask = layerAux[index]
                if !mask.isEmpty {
                    grad.withUnsafeMutableBufferPointer { g in
                        mask.withUnsafeBufferPointer { m in
                            for i in 0..<g.count { g[i] *= m[i] }
                        }
                    }
                }
            }
        }
        return needInputGradient ? grad : []
    }

    static func sumPerStep(_ values: [Float], timeSteps: Int) -> [Double] {
        let width = values.count / timeSteps
        return values.withUnsafeBufferPointer { v in
            (0..<timeSteps).map { t in
                var total: Float = 0
                for i in (t * width)..<((t + 1) * width) { total += v[i] }
                return Double(total)
            }
        }
    }

    /// Synaptic fan-out of one spike from the input (entry 0) and from each spike layer:
    /// the output count of the next dense layer, or kernel² × output channels of the
    /// next convolution (interior neurons; docs/ste.md "Energy" counts accumulations per spike).
    public var fanOuts: [Int] {
        var result: [Int] = []
        func nextFanOut(after index: Int) -> Int {
            for layer in spec.layers[index...] {
                switch layer {
                case .dense(_, let outputs): return outputs
                case .convolution(_, _, _, let co, let k): return k * k * co
                default: continue
                }
            }
            return 0
        }
        result.append(nextFanOut(after: 0))
        for (index, layer) in spec.layers.enumerated() {
            if case .spike = layer { result.append(nextFanOut(after: index + 1)) }
        }
        return result
    }

    static func isBinary(_ values: [Float]) -> Bool {
        values.withUnsafeBufferPointer { v in
            for x in v where x != 0 && x != 1 { return false }
            return true
        }
    }

    /// `y = b + Σ_{j: x_j = 1} W[j, :]` per row; equal to the dense product for 0/1 input
    /// up to float summation order.
    private func eventDrivenDenseForward(
        _ x: [Float], rows: Int, inputs: Int, outputs: Int, block: ParameterBlock
    ) -> [Float] {
        var y = [Float](repeating: 0, count: rows * outputs)
        x.withUnsafeBufferPointer { px in
            block.weights.withUnsafeBufferPointer { pw in
                block.biases.withUnsafeBufferPointer { pb in
                    y.withUnsafeMutableBufferPointer { py in
                        for r in 0..<rows {
                            let out = py.baseAddress! + r * outputs
                            out.update(from: pb.baseAddress!, count: outputs)
                            let row = px.baseAddress! + r * inputs
                            for j in 0..<inputs where row[j] != 0 {
                                let w = pw.baseAddress! + j * outputs
                                for k in 0..<outputs { out[k] += w[k] }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    // MARK: dense

    private func denseForward(
        _ x: [Float], rows: Int, inputs: Int, outputs: Int, block: ParameterBlock
    ) -> [Float] {
        var y = [Float](repeating: 0, count: rows * outputs)
        y.withUnsafeMutableBufferPointer { py in
            block.biases.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    (py.baseAddress! + r * outputs).update(from: b.baseAddress!, count: outputs)
                }
            }
            x.withUnsafeBufferPointer { px in
                block.weights.withUnsafeBufferPointer { pw in
                    sgemm(
                        transposeA: false, transposeB: false, m: rows, n: outputs, k: inputs,
                        a: px.baseAddress!, lda: inputs, b: pw.baseAddress!, ldb: outputs,
                        beta: 1, c: py.baseAddress!, ldc: outputs)
                }
            }
        }
        return y
    }

    private func denseBackward(
        _ dy: [Float], rows: Int, inputs: Int, outputs: Int, layer: Int, block: Int,
        needInput: Bool
    ) -> [Float] {
        let x = layerInputs[layer]
        dy.withUnsafeBufferPointer { pdy in
            x.withUnsafeBufferPointer { px in
                gradients[block].weights.withUnsafeMutableBufferPointer { gw in
                    sgemm(
                        transposeA: true, transposeB: false, m: inputs, n: outputs, k: rows,
                        a: px.baseAddress!, lda: inputs, b: pdy.baseAddress!, ldb: outputs,
                        beta: 0, c: gw.baseAddress!, ldc: outputs)
                }
            }
            gradients[block].biases.withUnsafeMutableBufferPointer { gb in
                columnSums(pdy, rows: rows, columns: outputs, into: gb)
            }
        }
        guard needInput else { return [] }
        var dx = [Float](repeating: 0, count: rows * inputs)
        dy.withUnsafeBufferPointer { pdy in
            parameters[block].weights.withUnsafeBufferPointer { pw in
                dx.withUnsafeMutableBufferPointer { pdx in
                    sgemm(
                        transposeA: false, transposeB: true, m: rows, n: inputs, k: outputs,
                        a: pdy.baseAddress!, lda: outputs, b: pw.baseAddress!, ldb: outputs,
                        beta: 0, c: pdx.baseAddress!, ldc: inputs)
                }
            }
        }
        return dx
    }

    // MARK: convolution (im2col + GEMM)

    private func convolutionForward(
        _ x: [Float], rows: Int, height: Int, width: Int, channelsIn: Int, channelsOut: Int,
        kernel: Int, block: ParameterBlock, columns: inout [Float]
    ) -> [Float] {
        let outH = height - kernel + 1
        let outW = width - kernel + 1
        let patch = kernel * kernel * channelsIn
        let positions = rows * outH * outW
        columns = [Float](repeating: 0, count: positions * patch)
        x.withUnsafeBufferPointer { px in
            columns.withUnsafeMutableBufferPointer { pc in
                im2col(
                    px, rows: rows, height: height, width: width, channels: channelsIn,
                    kernel: kernel, into: pc)
            }
        }
        var y = [Float](repeating: 0, count: positions * channelsOut)
        y.withUnsafeMutableBufferPointer { py in
            block.biases.withUnsafeBufferPointer { b in
                for p in 0..<positions {
                    (py.baseAddress! + p * channelsOut).update(
                        from: b.baseAddress!, count: channelsOut)
                }
            }
            columns.withUnsafeBufferPointer { pc in
                block.weights.withUnsafeBufferPointer { pw in
                    sgemm(
                        transposeA: false, transposeB: false, m: positions, n: channelsOut,
                        k: patch, a: pc.baseAddress!, lda: patch, b: pw.baseAddress!,
                        ldb: channelsOut, beta: 1, c: py.baseAddress!, ldc: channelsOut)
                }
            }
        }
        return y
    }

    private func convolutionBackward(
        _ dy: [Float], rows: Int, height: Int, width: Int, channelsIn: Int, channelsOut: Int,
        kernel: Int, layer: Int, block: Int, needInput: Bool
    ) -> [Float] {
        let outH = height - kernel + 1
        let outW = width - kernel + 1
        let patch = kernel * kernel * channelsIn
        let positions = rows * outH * outW
        let columns = layerAux[layer]
        dy.withUnsafeBufferPointer { pdy in
            columns.withUnsafeBufferPointer { pc in
                gradients[block].weights.withUnsafeMutableBufferPointer { gw in
                    sgemm(
                        transposeA: true, transposeB: false, m: patch, n: channelsOut,
                        k: positions, a: pc.baseAddress!, lda: patch, b: pdy.baseAddress!,
                        ldb: channelsOut, beta: 0, c: gw.baseAddress!, ldc: channelsOut)
                }
            }
            gradients[block].biases.withUnsafeMutableBufferPointer { gb in
                columnSums(pdy, rows: positions, columns: channelsOut, into: gb)
            }
        }
        guard needInput else { return [] }
        var dcols = [Float](repeating: 0, count: positions * patch)
        dy.withUnsafeBufferPointer { pdy in
            parameters[block].weights.withUnsafeBufferPointer { pw in
                dcols.withUnsafeMutableBufferPointer { pd in
                    sgemm(
                        transposeA: false, transposeB: true, m: positions, n: patch,
                        k: channelsOut, a: pdy.baseAddress!, lda: channelsOut,
                        b: pw.baseAddress!, ldb: channelsOut, beta: 0, c: pd.baseAddress!,
                        ldc: patch)
                }
            }
        }
        var dx = [Float](repeating: 0, count: rows * height * width * channelsIn)
        dcols.withUnsafeBufferPointer { pd in
            dx.withUnsafeMutableBufferPointer { pdx in
                col2im(
                    pd, rows: rows, height: height, width: width, channels: channelsIn,
                    kernel: kernel, into: pdx)
            }
        }
        return dx
    }
}

// MARK: kernels

@inline(__always)
func columnSums(
    _ m: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
    into out: UnsafeMutableBufferPointer<Float>
) {
    for j in 0..<columns { out[j] = 0 }
    for r in 0..<rows {
        let base = r * columns
        for j in 0..<columns { out[j] += m[base + j] }
    }
}

/// Unfolds valid `kernel × kernel` patches of HWC images. Column order inside a patch is
/// kernel row, kernel column, channel; because channels are fastest in HWC, each kernel
/// row of a patch is one contiguous run of `kernel · channels` input values.
func im2col(
    _ x: UnsafeBufferPointer<Float>, rows: Int, height: Int, width: Int, channels: Int,
    kernel: Int, into cols: UnsafeMutableBufferPointer<Float>
) {
    let outH = height - kernel + 1
    let outW = width - kernel + 1
    let run = kernel * channels
    let patch = kernel * run
    let image = height * width * channels
    var p = 0
    for r in 0..<rows {
        let imageBase = x.baseAddress! + r * image
        for oy in 0..<outH {
            for ox in 0..<outW {
                let dst = cols.baseAddress! + p * patch
                for ky in 0..<kernel {
                    let src = imageBase + ((oy + ky) * width + ox) * channels
                    (dst + ky * run).update(from: src, count: run)
                }
                p += 1
            }
        }
    }
}

/// Adjoint of `im2col`: accumulates patch gradients back into the image gradient.
func col2im(
    _ cols: UnsafeBufferPointer<Float>, rows: Int, height: Int, width: Int, channels: Int,
    kernel: Int, into x: UnsafeMutableBufferPointer<Float>
) {
    let outH = height - kernel + 1
    let outW = width - kernel + 1
    let run = kernel * channels
    let patch = kernel * run
    let image = height * width * channels
    var p = 0
    for r in 0..<rows {
        let imageBase = x.baseAddress! + r * image
        for oy in 0..<outH {
            for ox in 0..<outW {
                let src = cols.baseAddress! + p * patch
                for ky in 0..<kernel {
                    let dst = imageBase + ((oy + ky) * width + ox) * channels
                    let s = src + ky * run
                    for i in 0..<run { dst[i] += s[i] }
                }
                p += 1
            }
        }
    }
}

/// 2 × 2, stride-2 max-pooling of HWC rows; records the winning input index (first
/// maximum on ties) for the backward pass.
func maxPoolForward(
    _ x: [Float], rows: Int, height: Int, width: Int, channels: Int, indices: inout [Int32]
) -> [Float] {
    let outH = height / 2
    let outW = width / 2
    let inFeatures = height * width * channels
    let outFeatures = outH * outW * channels
    var y = [Float](repeating: 0, count: rows * outFeatures)
    indices = [Int32](repeating: 0, count: rows * outFeatures)
    x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
            indices.withUnsafeMutableBufferPointer { pi in
                for r in 0..<rows {
                    let inBase = r * inFeatures
                    var o = r * outFeatures
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            for c in 0..<channels {
                                var bestIndex = ((2 * oy) * width + 2 * ox) * channels + c
                                var best = px[inBase + bestIndex]
                                // The other three window cells, row-major order.
                                let candidates = (
                                    bestIndex + channels, bestIndex + width * channels,
                                    bestIndex + (width + 1) * channels
                                )
                                for i in [candidates.0, candidates.1, candidates.2] {
                                    let v = px[inBase + i]
                                    if v > best {
                                        best = v
                                        bestIndex = i
                                    }
                                }
                                py[o] = best
                                pi[o] = Int32(bestIndex)
                                o += 1
                            }
                        }
                    }
                }
            }
        }
    }
    return y
}
