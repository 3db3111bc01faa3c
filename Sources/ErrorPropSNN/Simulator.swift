import Foundation

/// What one presentation does besides simulating (docs/errorprop.md "Training and evaluation").
public struct PresentationOptions: Sendable, Equatable {
    /// Class whose teacher fires (training), or nil (evaluation: teachers off).
    public var teacherClass: Int?
    /// Plasticity on (training presentations only, docs/errorprop.md "Architecture and learning rule").
    public var plastic: Bool
    public var outputRate: Double  // η_o
    public var hiddenRate: Double  // η_h
    public var update: UpdateMode
    /// Teacher train of the correct class: regular, `round(1/(ν·dt))` steps apart.
    public var teacherRate: Double
    /// Teacher train of the other class (0 Hz by default, docs/errorprop.md "Architecture and learning rule").
    public var wrongTeacherRate: Double
    public var teacherFirstStep: Int
    /// Simulate the error neurons when plasticity is off (they have no effect then;
    /// skipping them is exact and saves two thirds of the work in evaluation).
    public var simulateErrorNeurons: Bool
    /// Record every spike (for rasters).
    public var record: Bool
    /// Simulate the hidden error neurons even when `hiddenRate == 0` (they then have no
    /// effect on anything; only rasters want them).
    public var simulateHiddenErrorNeurons: Bool
    /// Simulate only the hidden layer (to build a `HiddenActivity`).
    var hiddenOnly = false

    public init(
        teacherClass: Int? = nil, plastic: Bool = false, outputRate: Double = 0.001,
        hiddenRate: Double = 0,
        update: UpdateMode = .online, teacherRate: Double = 40, wrongTeacherRate: Double = 0,
        teacherFirstStep: Int = 125, simulateErrorNeurons: Bool = false, record: Bool = false,
        simulateHiddenErrorNeurons: Bool = false
    ) {
        self.teacherClass = teacherClass
        self.plastic = plastic
        self.outputRate = outputRate
        self.hiddenRate = hiddenRate
        self.update = update
        self.teacherRate = teacherRate
        self.wrongTeacherRate = wrongTeacherRate
        self.teacherFirstStep = teacherFirstStep
        self.simulateErrorNeurons = simulateErrorNeurons
        self.record = record
        self.simulateHiddenErrorNeurons = simulateHiddenErrorNeurons
    }

    /// Evaluation (docs/errorprop.md "Training and evaluation"): plasticity and teachers off.
    public static let evaluation = PresentationOptions()
}

/// One recorded spike: `neuron` in the global order of docs/errorprop.md "Neuron model", with index `step`.
public struct NeuronSpike: Codable, Sendable, Equatable {
    public var step: Int32
    public var neuron: Int32
}

/// Spike counts and (optionally) the raster of one presentation.
public struct PresentationResult: Sendable, Equatable {
    public var outputCounts: [Int]
    public var hiddenCounts: [Int]
    /// Summed spike counts of the populations E⁺_o, E⁻_o, E⁺_h, E⁻_h.
    public var errorCounts: [Int]
    public var teacherSteps: [[Int]]
    public var spikes: [NeuronSpike]

    /// docs/errorprop.md "Training and evaluation": the class whose output fired more; a tie (including 0–0) is no
    /// prediction.
    public var prediction: Int? {
        outputCounts[0] == outputCounts[1] ? nil : (outputCounts[0] > outputCounts[1] ? 0 : 1)
    }
}

/// Regular train of docs/errorprop.md "Training and evaluation"/docs/errorprop.md "Validation against the model": period
/// `round(1/(ν·dt))`, first spike at `first`.
public func regularTrain(rate: Double, firstStep: Int, steps: Int, dt: Double = defaultTimeStep)
    -> [Int]
{
    guard rate > 0 else { return [] }
    let period = max(1, Int((1 / (rate * dt)).rounded()))
    return Array(stride(from: firstStep, to: steps, by: period))
}

/// The hidden layer's spikes for one sample. The hidden layer receives nothing but the
/// input (no feedback from outputs), so while `W_in` is fixed its spikes can be computed
/// once per sample and replayed: exact, and the reason a readout-only run is fast.
public struct HiddenActivity: Sendable, Equatable {
    /// Hidden spikes (neuron = hidden index) sorted by spike index.
    public var spikes: [NeuronSpike]
    public var counts: [Int]
}

/// Simulates the hidden layer alone for `pattern` (evaluation mode) and returns its spikes.
public func hiddenActivity(network: ErrorPropNetwork, pattern: SpikePattern, steps: Int)
    -> HiddenActivity
{
    var scratch = network
    var o = PresentationOptions.evaluation
    o.record = true
    o.hiddenOnly = true
    let r = simulatePresentation(network: &scratch, pattern: pattern, steps: steps, options: o)
    return HiddenActivity(spikes: r.spikes, counts: r.hiddenCounts)
}

/// Simulates one presentation of `pattern` on `network` with the order of operations of
/// docs/errorprop.md "Neuron model", updating the weights in place when `options.plastic`. State is reset first
/// (docs/errorprop.md "Training and evaluation").
/// With `cachedHidden` the hidden layer is not simulated; its recorded spikes are
/// delivered instead (valid only while `W_in` is fixed, i.e. `hiddenRate == 0`).
///
/// Each step runs the stages below in this order: delivery (inputs, teachers, replayed
/// hidden spikes, last step's neuron spikes), plasticity, membrane update with spike
/// detection, decay.
public func simulatePresentation(
    network: inout ErrorPropNetwork, pattern: SpikePattern, steps: Int,
    options: PresentationOptions,
    cachedHidden: HiddenActivity? = nil
) -> PresentationResult {
    precondition(
        cachedHidden == nil || options.hiddenRate == 0 || !options.plastic,
        "a cached hidden layer is only valid while W_in is fixed")
    let layout = PresentationLayout(network.parameters, options: options, cachedHidden: cachedHidden != nil)
    let rules = PresentationRules(network, options: options)
    let state = PresentationState(network, layout: layout)
    defer { state.deallocate() }

    // Teacher trains (docs/errorprop.md "Training and evaluation"): T[c] at the teacher rate, the other at the
    // wrong-class rate.
    var teacherSteps = [[Int]](repeating: [], count: layout.nO)
    if let c = options.teacherClass {
        for k in 0..<layout.nO {
            let rate = k == c ? options.teacherRate : options.wrongTeacherRate
            teacherSteps[k] = regularTrain(
                rate: rate, firstStep: options.teacherFirstStep, steps: steps, dt: layout.dt)
        }
    }
    var tally = PresentationTally(layout: layout, record: options.record)
    if let cachedHidden { tally.hiddenCounts = cachedHidden.counts }
    var cursors = DeliveryCursors(teachers: [Int](repeating: 0, count: layout.nO))
    let cachedSpikes = cachedHidden?.spikes ?? []

    for n in 0..<steps {
        // 1. Delivery: inputs and teachers scheduled at n, then neuron spikes of index n.
        state.deliverInputs(step: n, events: pattern.events, cursor: &cursors.event, layout: layout, rules: rules)
        if rules.withErrors {
            state.deliverTeachers(
                step: n, trains: teacherSteps, cursors: &cursors.teachers, layout: layout, rules: rules)
        }
        // Replayed hidden spikes first: they have the lowest neuron indices, so the
        // summation order equals that of a full simulation.
        while cursors.cached < cachedSpikes.count, Int(cachedSpikes[cursors.cached].step) == n {
            state.deliverHiddenSpike(Int(cachedSpikes[cursors.cached].neuron), layout: layout, rules: rules)
            cursors.cached += 1
        }
        state.deliverNeuronSpikes(layout: layout, rules: rules)
        // 2. Plasticity at every error spike of index n, traces after delivery, gate from V_n.
        if rules.learning { state.applyPlasticity(layout: layout, rules: rules) }
        // 3–4. Membrane update and spike detection; new spikes carry index n+1.
        let currentCount = state.integrate(layout: layout)
        tally.count(state.current, count: currentCount, step: n + 1)
        // 5. Decay of port currents and traces (exact exponentials).
        state.decay(layout: layout, rules: rules)
        state.advance(spikeCount: currentCount)
    }

    if rules.learning { state.writeWeights(to: &network, layout: layout, rules: rules) }
    return PresentationResult(
        outputCounts: tally.outputCounts, hiddenCounts: tally.hiddenCounts, errorCounts: tally.errorCounts,
        teacherSteps: teacherSteps, spikes: tally.recorded)
}

/// Where the populations of one presentation lie in the global neuron order
/// (docs/errorprop.md "Neuron model"), and which of them are integrated.
struct PresentationLayout {
    let nIn: Int
    let nH: Int
    let nO: Int
    let dt: Double
    let outBase: Int
    let ePO: Int
    let eMO: Int
    let ePH: Int
    let eMH: Int
    /// Every buffer covers all `total` neurons; only `lower..<active` integrate.
    let total: Int
    let lower: Int
    let active: Int

    init(_ p: NetworkParameters, options: PresentationOptions, cachedHidden: Bool) {
        nIn = p.inputCount
        nH = p.hiddenCount
        nO = p.outputCount
        dt = p.dt
        outBase = p.outputBase
        ePO = p.outputErrorPlusBase
        eMO = p.outputErrorMinusBase
        ePH = p.hiddenErrorPlusBase
        eMH = p.hiddenErrorMinusBase
        total = p.neuronCount
        let learning = options.plastic
        let withErrors = learning || options.simulateErrorNeurons
        // Neurons that can influence anything observable: hidden error neurons only act
        // through hidden plasticity, error neurons only through plasticity (docs/errorprop.md "Training and
        // evaluation").
        if options.hiddenOnly {
            active = outBase
        } else if !withErrors {
            active = ePO
        } else if (learning && options.hiddenRate != 0) || options.simulateHiddenErrorNeurons {
            active = p.neuronCount
        } else {
            active = ePH
        }
        lower = cachedHidden ? outBase : 0
    }
}

/// The constants of one presentation's arithmetic: port amplitudes, decay factors, the
/// update rules and which optional parts run.
struct PresentationRules {
    let learning: Bool
    let withErrors: Bool
    let hiddenLearning: Bool
    let online: Bool
    let randomFeedback: [Double]
    let kappa: Double
    let traceDecay: Double
    let hiddenTraceDecay: Double
    let postDecay: Double
    let jFF: Double
    let jErr: Double
    let jLat: Double
    let lateral: Bool
    let gateVoltage: Double
    let voltageGate: Bool
    let outRule: LocalUpdateRule
    let hidRule: LocalUpdateRule

    init(_ network: ErrorPropNetwork, options: PresentationOptions) {
        let p = network.parameters
        let dt = p.dt
        learning = options.plastic
        withErrors = learning || options.simulateErrorNeurons
        hiddenLearning = learning && options.hiddenRate != 0
        online = options.update == .online
        randomFeedback = p.feedback == .random ? network.feedbackWeights : []
        kappa = p.feedbackScale
        traceDecay = Foundation.exp(-dt / p.traceTimeConstant)
        hiddenTraceDecay = Foundation.exp(-dt / p.hiddenTraceTimeConstant)
        postDecay = Foundation.exp(-dt / p.postTraceTimeConstant)
        jFF = p.feedForwardPort.amplitude
        jErr = p.errorPort.amplitude
        jLat = p.lateralPort.amplitude
        lateral = p.lateralInhibition
        gateVoltage = p.gateVoltage
        voltageGate = p.gate == .voltage
        outRule = LocalUpdateRule(learningRate: options.outputRate, weightMax: p.weightMax)
        hidRule = LocalUpdateRule(learningRate: options.hiddenRate, weightMax: p.weightMax)
    }
}

/// Read positions in the presentation's event lists.
struct DeliveryCursors {
    var event = 0
    var teachers: [Int]
    var cached = 0
}

/// Spike counts per population (and the raster when recording).
struct PresentationTally {
    let layout: PresentationLayout
    let record: Bool
    var outputCounts: [Int]
    var hiddenCounts: [Int]
    var errorCounts = [0, 0, 0, 0]
    var recorded: [NeuronSpike] = []

    init(layout: PresentationLayout, record: Bool) {
        self.layout = layout
        self.record = record
        outputCounts = [Int](repeating: 0, count: layout.nO)
        hiddenCounts = [Int](repeating: 0, count: layout.nH)
    }

    mutating func count(_ spikes: UnsafeMutableBufferPointer<Int32>, count: Int, step: Int) {
        for s in 0..<count {
            let idx = Int(spikes[s])
            if idx < layout.outBase {
                hiddenCounts[idx] += 1
            } else if idx < layout.ePO {
                outputCounts[idx - layout.outBase] += 1
            } else if idx < layout.eMO {
                errorCounts[0] += 1
            } else if idx < layout.ePH {
                errorCounts[1] += 1
            } else if idx < layout.eMH {
                errorCounts[2] += 1
            } else {
                errorCounts[3] += 1
            }
            if record {
                recorded.append(NeuronSpike(step: Int32(step), neuron: Int32(idx)))
            }
        }
    }
}
