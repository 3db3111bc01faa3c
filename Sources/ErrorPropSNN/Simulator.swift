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
    /// Teacher train of the other class (0 Hz in the spec's default).
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

/// Regular train of docs/errorprop.md "Training and evaluation"/docs/errorprop.md "Validation against the spec": period
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
public func simulatePresentation(
    network: inout ErrorPropNetwork, pattern: SpikePattern, steps: Int,
    options: PresentationOptions,
    cachedHidden: HiddenActivity? = nil
) -> PresentationResult {
    let p = network.parameters
    let nIn = p.inputCount
    let nH = p.hiddenCount
    let nO = p.outputCount
    let dt = p.dt
    let outBase = p.outputBase
    let ePO = p.outputErrorPlusBase
    let eMO = p.outputErrorMinusBase
    let ePH = p.hiddenErrorPlusBase
    let eMH = p.hiddenErrorMinusBase
    let learning = options.plastic
    let withErrors = learning || options.simulateErrorNeurons
    precondition(
        cachedHidden == nil || options.hiddenRate == 0 || !options.plastic,
        "a cached hidden layer is only valid while W_in is fixed")
    // Neurons that can influence anything observable: hidden error neurons only act
    // through hidden plasticity, error neurons only through plasticity (docs/errorprop.md "Training and evaluation").
    let upper: Int
    if options.hiddenOnly {
        upper = outBase
    } else if !withErrors {
        upper = ePO
    } else if (learning && options.hiddenRate != 0) || options.simulateHiddenErrorNeurons {
        upper = p.neuronCount
    } else {
        upper = ePH
    }
    let lower = cachedHidden == nil ? 0 : outBase
    let active = upper
    let total = p.neuronCount  // every buffer covers all neurons; only [lower, active) integrate

    // Scratch state, one contiguous buffer each (STYLE: hot loops over unsafe buffers).
    let constants = UnsafeMutableBufferPointer<AdExConstants>.allocate(capacity: total)
    let v = UnsafeMutableBufferPointer<Double>.allocate(capacity: total)
    let w = UnsafeMutableBufferPointer<Double>.allocate(capacity: total)
    let refr = UnsafeMutableBufferPointer<Int32>.allocate(capacity: total)
    let iExc = UnsafeMutableBufferPointer<Double>.allocate(capacity: total)
    let iInh = UnsafeMutableBufferPointer<Double>.allocate(capacity: total)
    let dExc = UnsafeMutableBufferPointer<Double>.allocate(capacity: total)
    let dInh = UnsafeMutableBufferPointer<Double>.allocate(capacity: total)
    let xIn = UnsafeMutableBufferPointer<Double>.allocate(capacity: nIn)
    let xH = UnsafeMutableBufferPointer<Double>.allocate(capacity: nH)
    let yH = UnsafeMutableBufferPointer<Double>.allocate(capacity: nH)
    let wIn = UnsafeMutableBufferPointer<Double>.allocate(capacity: nH * nIn)
    let wOut = UnsafeMutableBufferPointer<Double>.allocate(capacity: nO * nH)
    let gIn = UnsafeMutableBufferPointer<Double>.allocate(capacity: nH * nIn)
    let gOut = UnsafeMutableBufferPointer<Double>.allocate(capacity: nO * nH)
    let conn = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: nH * nIn)
    let dwIn = UnsafeMutableBufferPointer<Double>.allocate(capacity: nH * nIn)
    let dwOut = UnsafeMutableBufferPointer<Double>.allocate(capacity: nO * nH)
    let previous = UnsafeMutableBufferPointer<Int32>.allocate(capacity: total)
    let current = UnsafeMutableBufferPointer<Int32>.allocate(capacity: total)
    defer {
        for b in [v, w, iExc, iInh, dExc, dInh, xIn, xH, yH, wIn, wOut, gIn, gOut, dwIn, dwOut] {
            b.deallocate()
        }
        constants.deallocate()
        refr.deallocate()
        conn.deallocate()
        previous.deallocate()
        current.deallocate()
    }
    for n in 0..<total {
        constants[n] = AdExConstants(network.neurons[n], dt: dt)
        v[n] = network.neurons[n].restPotential  // reset: V = E_L, w = 0, currents 0 (docs/errorprop.md "Training and evaluation")
        w[n] = 0
        refr[n] = 0
        iExc[n] = 0
        iInh[n] = 0
        dExc[n] = Foundation.exp(-dt / network.excitatoryTimeConstants[n])
        dInh[n] = Foundation.exp(-dt / network.inhibitoryTimeConstants[n])
    }
    for i in 0..<nIn { xIn[i] = 0 }
    for j in 0..<nH {
        xH[j] = 0
        yH[j] = 0
    }
    for e in 0..<(nH * nIn) {
        wIn[e] = network.inputWeights[e]
        gIn[e] = network.inputGains[e]
        conn[e] = network.connections[e]
        dwIn[e] = 0
    }
    for e in 0..<(nO * nH) {
        wOut[e] = network.outputWeights[e]
        gOut[e] = network.outputGains[e]
        dwOut[e] = 0
    }
    let randomFeedback = p.feedback == .random ? network.feedbackWeights : []
    let kappa = p.feedbackScale
    let traceDecay = Foundation.exp(-dt / p.traceTimeConstant)
    let hiddenTraceDecay = Foundation.exp(-dt / p.hiddenTraceTimeConstant)
    let postDecay = Foundation.exp(-dt / p.postTraceTimeConstant)
    let jFF = p.feedForwardPort.amplitude
    let jErr = p.errorPort.amplitude
    let jLat = p.lateralPort.amplitude
    let lateral = p.lateralInhibition
    let gateVoltage = p.gateVoltage
    let voltageGate = p.gate == .voltage
    let online = options.update == .online
    let outRule = LocalUpdateRule(learningRate: options.outputRate, weightMax: p.weightMax)
    let hidRule = LocalUpdateRule(learningRate: options.hiddenRate, weightMax: p.weightMax)
    let hiddenLearning = learning && options.hiddenRate != 0

    // Teacher trains (docs/errorprop.md "Training and evaluation"): T[c] at the teacher rate, the other at the
    // wrong-class rate.
    var teacherSteps = [[Int]](repeating: [], count: nO)
    if let c = options.teacherClass {
        for k in 0..<nO {
            let rate = k == c ? options.teacherRate : options.wrongTeacherRate
            teacherSteps[k] = regularTrain(
                rate: rate, firstStep: options.teacherFirstStep, steps: steps, dt: dt)
        }
    }
    var teacherCursor = [Int](repeating: 0, count: nO)

    var outputCounts = [Int](repeating: 0, count: nO)
    var hiddenCounts = [Int](repeating: 0, count: nH)
    var errorCounts = [0, 0, 0, 0]
    var recorded: [NeuronSpike] = []
    var previousCount = 0
    var eventIndex = 0
    let cachedSpikes = cachedHidden?.spikes ?? []
    var cachedCursor = 0
    if let cachedHidden { hiddenCounts = cachedHidden.counts }
    let events = pattern.events

    for n in 0..<steps {
        // 1. Delivery: inputs and teachers scheduled at n, then neuron spikes of index n.
        while eventIndex < events.count, Int(events[eventIndex].step) <= n {
            let i = Int(events[eventIndex].channel)
            if Int(events[eventIndex].step) == n {
                xIn[i] += 1
                for j in 0..<nH {
                    let e = j * nIn + i
                    iExc[j] += gIn[e] * wIn[e] * jFF
                }
            }
            eventIndex += 1
        }
        if withErrors {
            for k in 0..<nO
            where teacherCursor[k] < teacherSteps[k].count && teacherSteps[k][teacherCursor[k]] == n {
                teacherCursor[k] += 1
                iExc[ePO + k] += jErr  // T[k] → E⁺_o[k] exc
                iInh[eMO + k] += jErr  // T[k] → E⁻_o[k] inh
            }
        }
        // Replayed hidden spikes first: they have the lowest neuron indices, so the
        // summation order equals that of a full simulation.
        while cachedCursor < cachedSpikes.count, Int(cachedSpikes[cachedCursor].step) == n {
            let j = Int(cachedSpikes[cachedCursor].neuron)
            cachedCursor += 1
            xH[j] += 1
            yH[j] += 1
            for k in 0..<nO {
                let e = k * nH + j
                iExc[outBase + k] += gOut[e] * wOut[e] * jFF
            }
        }
        for s in 0..<previousCount {
            let src = Int(previous[s])
            if src < outBase {
                let j = src
                xH[j] += 1
                yH[j] += 1
                for k in 0..<nO {
                    let e = k * nH + j
                    iExc[outBase + k] += gOut[e] * wOut[e] * jFF
                }
            } else if src < ePO {
                let k = src - outBase
                if lateral {
                    for k2 in 0..<nO where k2 != k { iInh[outBase + k2] += jLat }
                }
                if withErrors {
                    iInh[ePO + k] += jErr  // O[k] → E⁺_o[k] inh
                    iExc[eMO + k] += jErr  // O[k] → E⁻_o[k] exc
                }
            } else if src < ePH {
                // Output error spike → hidden error pairs through the feedback weights,
                // read live (mirrored) at delivery time (docs/errorprop.md "Architecture and learning rule").
                let plus = src < eMO
                let k = plus ? src - ePO : src - eMO
                for j in 0..<nH {
                    let fb =
                        randomFeedback.isEmpty
                        ? kappa * wOut[k * nH + j] : kappa * randomFeedback[j * nO + k]
                    let amount = fb * jErr
                    if plus {
                        iExc[ePH + j] += amount
                        iInh[eMH + j] += amount
                    } else {
                        iExc[eMH + j] += amount
                        iInh[ePH + j] += amount
                    }
                }
            }
        }

        // 2. Plasticity at every error spike of index n (docs/errorprop.md "Architecture and learning rule"), traces
        // after delivery,
        // gate from V_n.
        if learning {
            for s in 0..<previousCount {
                let src = Int(previous[s])
                if src >= ePO && src < ePH {
                    let plus = src < eMO
                    let k = plus ? src - ePO : src - eMO
                    let sign: Double = plus ? 1 : -1
                    for j in 0..<nH {
                        let e = k * nH + j
                        let signals = SynapseLocalSignals(
                            weight: wOut[e], preTrace: xH[j], errorSign: sign, postGate: 1)
                        if online {
                            wOut[e] = outRule.updated(signals)
                        } else {
                            dwOut[e] += outRule.delta(signals)
                        }
                    }
                } else if hiddenLearning && src >= ePH {
                    let plus = src < eMH
                    let j = plus ? src - ePH : src - eMH
                    let gate: Double
                    if voltageGate {
                        gate = (v[j] >= gateVoltage && refr[j] == 0) ? 1 : 0
                    } else {
                        gate = min(1, yH[j])
                    }
                    if gate == 0 { continue }
                    let sign: Double = plus ? 1 : -1
                    for i in 0..<nIn {
                        let e = j * nIn + i
                        if conn[e] == 0 { continue }  // absent synapses are never updated
                        let signals = SynapseLocalSignals(
                            weight: wIn[e], preTrace: xIn[i], errorSign: sign, postGate: gate)
                        if online {
                            wIn[e] = hidRule.updated(signals)
                        } else {
                            dwIn[e] += hidRule.delta(signals)
                        }
                    }
                }
            }
        }

        // 3–4. Membrane update and spike detection; new spikes carry index n+1.
        var currentCount = 0
        for idx in lower..<active {
            if adExStep(
                v: &v[idx], w: &w[idx], refractory: &refr[idx], current: iExc[idx] - iInh[idx],
                constants[idx])
            {
                current[currentCount] = Int32(idx)
                currentCount += 1
            }
        }
        for s in 0..<currentCount {
            let idx = Int(current[s])
            if idx < outBase {
                hiddenCounts[idx] += 1
            } else if idx < ePO {
                outputCounts[idx - outBase] += 1
            } else if idx < eMO {
                errorCounts[0] += 1
            } else if idx < ePH {
                errorCounts[1] += 1
            } else if idx < eMH {
                errorCounts[2] += 1
            } else {
                errorCounts[3] += 1
            }
            if options.record {
                recorded.append(NeuronSpike(step: Int32(n + 1), neuron: Int32(idx)))
            }
        }

        // 5. Decay of port currents and traces (exact exponentials).
        for idx in lower..<active {
            iExc[idx] *= dExc[idx]
            iInh[idx] *= dInh[idx]
        }
        // Traces are read only by plasticity: skip the ones no update can read (exact).
        if hiddenLearning {
            for i in 0..<nIn { xIn[i] *= traceDecay }
            if !voltageGate { for j in 0..<nH { yH[j] *= postDecay } }
        }
        if learning { for j in 0..<nH { xH[j] *= hiddenTraceDecay } }
        for s in 0..<currentCount { previous[s] = current[s] }
        previousCount = currentCount
    }

    if learning {
        if !online {
            for e in 0..<(nO * nH) { wOut[e] = outRule.clip(wOut[e] + dwOut[e]) }
            for e in 0..<(nH * nIn) where conn[e] != 0 { wIn[e] = hidRule.clip(wIn[e] + dwIn[e]) }
        }
        for e in 0..<(nH * nIn) { network.inputWeights[e] = wIn[e] }
        for e in 0..<(nO * nH) { network.outputWeights[e] = wOut[e] }
    }
    return PresentationResult(
        outputCounts: outputCounts, hiddenCounts: hiddenCounts, errorCounts: errorCounts,
        teacherSteps: teacherSteps, spikes: recorded)
}
