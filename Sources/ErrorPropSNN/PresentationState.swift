import Foundation

/// The scratch state of one presentation, one contiguous buffer per quantity (STYLE: hot
/// loops over unsafe buffers), and the stages of a simulated step that act on it. The
/// arithmetic of every stage is that of docs/errorprop.md "Neuron model" and
/// "Architecture and learning rule", in the order `simulatePresentation` calls them.
final class PresentationState {
    let constants: UnsafeMutableBufferPointer<AdExConstants>
    let v: UnsafeMutableBufferPointer<Double>
    let w: UnsafeMutableBufferPointer<Double>
    let refr: UnsafeMutableBufferPointer<Int32>
    let iExc: UnsafeMutableBufferPointer<Double>
    let iInh: UnsafeMutableBufferPointer<Double>
    let dExc: UnsafeMutableBufferPointer<Double>
    let dInh: UnsafeMutableBufferPointer<Double>
    let xIn: UnsafeMutableBufferPointer<Double>
    let xH: UnsafeMutableBufferPointer<Double>
    let yH: UnsafeMutableBufferPointer<Double>
    let wIn: UnsafeMutableBufferPointer<Double>
    let wOut: UnsafeMutableBufferPointer<Double>
    let gIn: UnsafeMutableBufferPointer<Double>
    let gOut: UnsafeMutableBufferPointer<Double>
    let conn: UnsafeMutableBufferPointer<UInt8>
    let dwIn: UnsafeMutableBufferPointer<Double>
    let dwOut: UnsafeMutableBufferPointer<Double>
    /// Spikes of the last step (delivered in this one) and of this step.
    let previous: UnsafeMutableBufferPointer<Int32>
    let current: UnsafeMutableBufferPointer<Int32>
    private(set) var previousCount = 0

    /// The network's state after the reset of docs/errorprop.md "Training and evaluation":
    /// V = E_L, w = 0, currents and traces 0; weights and gains copied in.
    init(_ network: ErrorPropNetwork, layout: PresentationLayout) {
        let total = layout.total
        let (nIn, nH, nO) = (layout.nIn, layout.nH, layout.nO)
        let dt = layout.dt
        constants = .allocate(capacity: total)
        v = .allocate(capacity: total)
        w = .allocate(capacity: total)
        refr = .allocate(capacity: total)
        iExc = .allocate(capacity: total)
        iInh = .allocate(capacity: total)
        dExc = .allocate(capacity: total)
        dInh = .allocate(capacity: total)
        xIn = .allocate(capacity: nIn)
        xH = .allocate(capacity: nH)
        yH = .allocate(capacity: nH)
        wIn = .allocate(capacity: nH * nIn)
        wOut = .allocate(capacity: nO * nH)
        gIn = .allocate(capacity: nH * nIn)
        gOut = .allocate(capacity: nO * nH)
        conn = .allocate(capacity: nH * nIn)
        dwIn = .allocate(capacity: nH * nIn)
        dwOut = .allocate(capacity: nO * nH)
        previous = .allocate(capacity: total)
        current = .allocate(capacity: total)
        for n in 0..<total {
            constants[n] = AdExConstants(network.neurons[n], dt: dt)
            v[n] = network.neurons[n].restPotential
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
    }

    func deallocate() {
        for b in [v, w, iExc, iInh, dExc, dInh, xIn, xH, yH, wIn, wOut, gIn, gOut, dwIn, dwOut] {
            b.deallocate()
        }
        constants.deallocate()
        refr.deallocate()
        conn.deallocate()
        previous.deallocate()
        current.deallocate()
    }

    // MARK: 1. Delivery

    /// Input spikes scheduled at `step` onto the hidden layer's feed-forward port.
    func deliverInputs(
        step n: Int, events: [SpikeEvent], cursor: inout Int, layout: PresentationLayout, rules: PresentationRules
    ) {
        let (nIn, nH) = (layout.nIn, layout.nH)
        while cursor < events.count, Int(events[cursor].step) <= n {
            let i = Int(events[cursor].channel)
            if Int(events[cursor].step) == n {
                xIn[i] += 1
                for j in 0..<nH {
                    let e = j * nIn + i
                    iExc[j] += gIn[e] * wIn[e] * rules.jFF
                }
            }
            cursor += 1
        }
    }

    /// Teacher spikes scheduled at `step` onto the output error pairs.
    func deliverTeachers(
        step n: Int, trains: [[Int]], cursors: inout [Int], layout: PresentationLayout, rules: PresentationRules
    ) {
        for k in 0..<layout.nO where cursors[k] < trains[k].count && trains[k][cursors[k]] == n {
            cursors[k] += 1
            iExc[layout.ePO + k] += rules.jErr  // T[k] → E⁺_o[k] exc
            iInh[layout.eMO + k] += rules.jErr  // T[k] → E⁻_o[k] inh
        }
    }

    /// A hidden unit's spike: its traces, and the output layer's feed-forward port.
    @inline(__always)
    func deliverHiddenSpike(_ j: Int, layout: PresentationLayout, rules: PresentationRules) {
        xH[j] += 1
        yH[j] += 1
        for k in 0..<layout.nO {
            let e = k * layout.nH + j
            iExc[layout.outBase + k] += gOut[e] * wOut[e] * rules.jFF
        }
    }

    /// Last step's neuron spikes, in neuron order.
    func deliverNeuronSpikes(layout: PresentationLayout, rules: PresentationRules) {
        let (nH, nO, outBase) = (layout.nH, layout.nO, layout.outBase)
        let (ePO, eMO, ePH, eMH) = (layout.ePO, layout.eMO, layout.ePH, layout.eMH)
        let jErr = rules.jErr
        for s in 0..<previousCount {
            let src = Int(previous[s])
            if src < outBase {
                deliverHiddenSpike(src, layout: layout, rules: rules)
            } else if src < ePO {
                let k = src - outBase
                if rules.lateral {
                    for k2 in 0..<nO where k2 != k { iInh[outBase + k2] += rules.jLat }
                }
                if rules.withErrors {
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
                        rules.randomFeedback.isEmpty
                        ? rules.kappa * wOut[k * nH + j] : rules.kappa * rules.randomFeedback[j * nO + k]
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
    }

    // MARK: 2. Plasticity

    /// The local update at every error spike of last step (docs/errorprop.md
    /// "Architecture and learning rule"): output error pairs move W_out, hidden ones W_in.
    func applyPlasticity(layout: PresentationLayout, rules: PresentationRules) {
        for s in 0..<previousCount {
            let src = Int(previous[s])
            if src >= layout.ePO && src < layout.ePH {
                updateOutputWeights(errorNeuron: src, layout: layout, rules: rules)
            } else if rules.hiddenLearning && src >= layout.ePH {
                updateInputWeights(errorNeuron: src, layout: layout, rules: rules)
            }
        }
    }

    private func updateOutputWeights(errorNeuron src: Int, layout: PresentationLayout, rules: PresentationRules) {
        let plus = src < layout.eMO
        let k = plus ? src - layout.ePO : src - layout.eMO
        let sign: Double = plus ? 1 : -1
        for j in 0..<layout.nH {
            let e = k * layout.nH + j
            let signals = SynapseLocalSignals(weight: wOut[e], preTrace: xH[j], errorSign: sign, postGate: 1)
            if rules.online {
                wOut[e] = rules.outRule.updated(signals)
            } else {
                dwOut[e] += rules.outRule.delta(signals)
            }
        }
    }

    private func updateInputWeights(errorNeuron src: Int, layout: PresentationLayout, rules: PresentationRules) {
        let plus = src < layout.eMH
        let j = plus ? src - layout.ePH : src - layout.eMH
        let gate: Double
        if rules.voltageGate {
            gate = (v[j] >= rules.gateVoltage && refr[j] == 0) ? 1 : 0
        } else {
            gate = min(1, yH[j])
        }
        if gate == 0 { return }
        let sign: Double = plus ? 1 : -1
        for i in 0..<layout.nIn {
            let e = j * layout.nIn + i
            if conn[e] == 0 { continue }  // absent synapses are never updated
            let signals = SynapseLocalSignals(weight: wIn[e], preTrace: xIn[i], errorSign: sign, postGate: gate)
            if rules.online {
                wIn[e] = rules.hidRule.updated(signals)
            } else {
                dwIn[e] += rules.hidRule.delta(signals)
            }
        }
    }

    // MARK: 3–5. Membranes, spikes, decay

    /// Integrates the active neurons one step; their spikes go to `current`. Returns how many.
    func integrate(layout: PresentationLayout) -> Int {
        var currentCount = 0
        for idx in layout.lower..<layout.active {
            if adExStep(
                v: &v[idx], w: &w[idx], refractory: &refr[idx], current: iExc[idx] - iInh[idx],
                constants[idx])
            {
                current[currentCount] = Int32(idx)
                currentCount += 1
            }
        }
        return currentCount
    }

    /// Port currents decay; traces only where an update can read them (exact).
    func decay(layout: PresentationLayout, rules: PresentationRules) {
        for idx in layout.lower..<layout.active {
            iExc[idx] *= dExc[idx]
            iInh[idx] *= dInh[idx]
        }
        if rules.hiddenLearning {
            for i in 0..<layout.nIn { xIn[i] *= rules.traceDecay }
            if !rules.voltageGate { for j in 0..<layout.nH { yH[j] *= rules.postDecay } }
        }
        if rules.learning { for j in 0..<layout.nH { xH[j] *= rules.hiddenTraceDecay } }
    }

    /// This step's spikes become the next step's deliveries.
    func advance(spikeCount: Int) {
        for s in 0..<spikeCount { previous[s] = current[s] }
        previousCount = spikeCount
    }

    /// Applies the accumulated changes (per-presentation updates) and copies the weights back.
    func writeWeights(to network: inout ErrorPropNetwork, layout: PresentationLayout, rules: PresentationRules) {
        let (nIn, nH, nO) = (layout.nIn, layout.nH, layout.nO)
        if !rules.online {
            for e in 0..<(nO * nH) { wOut[e] = rules.outRule.clip(wOut[e] + dwOut[e]) }
            for e in 0..<(nH * nIn) where conn[e] != 0 { wIn[e] = rules.hidRule.clip(wIn[e] + dwIn[e]) }
        }
        for e in 0..<(nH * nIn) { network.inputWeights[e] = wIn[e] }
        for e in 0..<(nO * nH) { network.outputWeights[e] = wOut[e] }
    }
}
