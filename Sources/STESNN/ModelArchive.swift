import Foundation
import SynfireArrays
import SynfireIO

/// Saves and loads network parameters as `.npz` (one float32 array per weight matrix and
/// bias vector: `layerK_weights` with shape `[fanIn, fanOut]` — `[kernel, kernel, in, out]`
/// for convolutions — and `layerK_biases`), readable from numpy.
public enum ModelArchive {
    public static func archive(_ network: SpikingNetwork) throws -> NPZArchive {
        var pairs: [(String, NDArray)] = []
        for block in network.parameters {
            let layer = network.spec.layers[block.layerIndex]
            let shape: [Int]
            switch layer {
            case .convolution(_, _, let ci, let co, let k): shape = [k, k, ci, co]
            case .dense(let i, let o): shape = [i, o]
            default: shape = [block.weights.count]
            }
            pairs.append(("layer\(block.layerIndex)_weights", try NDArray(shape: shape, float32: block.weights)))
            pairs.append(
                ("layer\(block.layerIndex)_biases", try NDArray(shape: [block.biases.count], float32: block.biases)))
        }
        return NPZArchive(pairs)
    }

    /// Writes atomically (temporary file, then rename) via SynfireIO.
    public static func save(_ network: SpikingNetwork, to path: String) throws {
        try archive(network).write(to: path)
    }

    public static func load(spec: NetworkSpec, from path: String) throws -> SpikingNetwork {
        guard FileManager.default.fileExists(atPath: path) else {
            throw STEError.missingParameters("\(path) does not exist")
        }
        let archive = try NPZArchive.read(from: path)
        var blocks: [ParameterBlock] = []
        for (index, layer) in spec.layers.enumerated() where layer.parameterShape != nil {
            let wName = "layer\(index)_weights"
            let bName = "layer\(index)_biases"
            guard archive[wName] != nil, archive[bName] != nil else {
                throw STEError.missingParameters(
                    "\(path) has no \(wName)/\(bName) for \(spec.name) — was it trained with another --arch/--mode?")
            }
            blocks.append(
                ParameterBlock(
                    layerIndex: index, weights: try archive.float32(wName), biases: try archive.float32(bName)))
        }
        return try SpikingNetwork(spec: spec, parameters: blocks)
    }
}

/// Energy per image from the paper's chip figures (docs/ste.md "Energy"): 48.4 nJ (T = 1) to 773 nJ
/// (T = 16), read as linear in T, and the calibrated accumulation model
/// `E_image(T) = Σ_{t<T} e_acc · A_t` with `E_fixed = 0`.
public struct EnergyReport: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var timeSteps: Int
        public var modelNanojoules: Double
        /// 773/16 nJ per step × T, the paper's figure read as linear in T.
        public var paperLinearNanojoules: Double
    }

    public static let paperLowNanojoules = 48.4
    public static let paperHighNanojoules = 773.0
    public static let paperNanojoulesPerStep = 773.0 / 16

    /// `e_acc` in nJ per synaptic accumulation — a modelling choice, not a paper figure.
    public var nanojoulesPerAccumulation: Double
    /// Whether `e_acc` was calibrated on this network (true for MLP-1024, docs/ste.md "Energy").
    public var calibratedOnThisNetwork: Bool
    public var accumulationsPerStep: Double
    /// Input spikes per image per step (≈ ink of the digit) and hidden firing rates.
    public var inputSpikesPerStep: Double
    public var hiddenFiringRates: [Double]
    public var rows: [Row]
    /// `E_image(16) / 773 nJ` — the consistency check of the linear-in-T reading.
    public var ratioToPaperAt16: Double

    /// `calibration` is `e_acc` from a previous MLP-1024 evaluation; nil calibrates on
    /// this evaluation so that `E_image(1)` = 48.4 nJ.
    public init(evaluation: DIEvaluation, spec: NetworkSpec, timeSteps: [Int], calibration: Double? = nil) {
        let a = evaluation.accumulationsPerStep
        let eAcc = calibration ?? (a > 0 ? Self.paperLowNanojoules / a : 0)
        nanojoulesPerAccumulation = eAcc
        calibratedOnThisNetwork = calibration == nil
        accumulationsPerStep = a
        inputSpikesPerStep = evaluation.spikesPerStep.first ?? 0
        let units = spec.layers.compactMap { layer -> Int? in
            if case .spike(let n) = layer { return n }
            return nil
        }
        hiddenFiringRates = zip(evaluation.spikesPerStep.dropFirst(), units).map { $0 / Double($1) }
        rows = timeSteps.map {
            Row(
                timeSteps: $0, modelNanojoules: eAcc * a * Double($0),
                paperLinearNanojoules: Self.paperNanojoulesPerStep * Double($0))
        }
        ratioToPaperAt16 = eAcc * a * 16 / Self.paperHighNanojoules
    }
}
