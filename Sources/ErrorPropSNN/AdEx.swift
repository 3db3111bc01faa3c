import Foundation

/// Global time step of docs/errorprop.md "Task" (normative: every event time is an integer
/// step index).
public let defaultTimeStep = 1e-4

/// Parameters of the adaptive exponential integrate-and-fire neuron, SI units
/// (docs/errorprop.md "Neuron model").
public struct AdExParameters: Codable, Sendable, Equatable {
    public var capacitance: Double  // C  [F]
    public var leakConductance: Double  // g_L [S]
    public var restPotential: Double  // E_L [V]
    public var thresholdPotential: Double  // V_T [V]
    public var slopeFactor: Double  // Δ_T [V]
    public var peakPotential: Double  // V_peak [V]
    public var resetPotential: Double  // V_reset [V]
    public var refractoryPeriod: Double  // t_ref [s]
    public var adaptationTimeConstant: Double  // τ_w [s]
    public var subthresholdAdaptation: Double  // a [S]
    public var spikeAdaptation: Double  // b [A]
    public var biasCurrent: Double  // I_bias [A]

    public init(
        capacitance: Double, leakConductance: Double, restPotential: Double,
        thresholdPotential: Double, slopeFactor: Double, peakPotential: Double,
        resetPotential: Double, refractoryPeriod: Double, adaptationTimeConstant: Double,
        subthresholdAdaptation: Double, spikeAdaptation: Double, biasCurrent: Double
    ) {
        self.capacitance = capacitance
        self.leakConductance = leakConductance
        self.restPotential = restPotential
        self.thresholdPotential = thresholdPotential
        self.slopeFactor = slopeFactor
        self.peakPotential = peakPotential
        self.resetPotential = resetPotential
        self.refractoryPeriod = refractoryPeriod
        self.adaptationTimeConstant = adaptationTimeConstant
        self.subthresholdAdaptation = subthresholdAdaptation
        self.spikeAdaptation = spikeAdaptation
        self.biasCurrent = biasCurrent
    }

    /// Hidden and output neurons (docs/errorprop.md "Neuron model").
    public static let hidden = AdExParameters(
        capacitance: 200e-12, leakConductance: 10e-9, restPotential: -70e-3,
        thresholdPotential: -50e-3, slopeFactor: 2e-3, peakPotential: -40e-3,
        resetPotential: -65e-3, refractoryPeriod: 2e-3, adaptationTimeConstant: 100e-3,
        subthresholdAdaptation: 2e-9, spikeAdaptation: 40e-12, biasCurrent: 0)

    /// Error neurons (docs/errorprop.md "Neuron model"): no adaptation, 120 pA bias below the 180 pA rheobase, which
    /// makes the dead zone of docs/errorprop.md "Architecture and learning rule".
    public static let error = AdExParameters(
        capacitance: 200e-12, leakConductance: 10e-9, restPotential: -70e-3,
        thresholdPotential: -50e-3, slopeFactor: 2e-3, peakPotential: -40e-3,
        resetPotential: -65e-3, refractoryPeriod: 2e-3, adaptationTimeConstant: 100e-3,
        subthresholdAdaptation: 0, spikeAdaptation: 0, biasCurrent: 120e-12)

    /// `n_ref = round(t_ref/dt)` (docs/errorprop.md "Neuron model").
    public func refractorySteps(dt: Double) -> Int { Int((refractoryPeriod / dt).rounded()) }

    func validate() throws {
        let positive: [(String, Double)] = [
            ("capacitance", capacitance), ("leakConductance", leakConductance),
            ("slopeFactor", slopeFactor), ("adaptationTimeConstant", adaptationTimeConstant),
        ]
        for (name, value) in positive where !(value > 0) || !value.isFinite {
            throw ErrorPropError.invalidParameter(
                name: name, value: "\(value)", expected: "a positive finite SI value")
        }
        if !(peakPotential > resetPotential) {
            throw ErrorPropError.invalidParameter(
                name: "peakPotential", value: "\(peakPotential)",
                expected: "a value above resetPotential (\(resetPotential) V)")
        }
    }
}

/// Per-neuron constants of the forward-Euler step, precomputed once per network
/// instance; with device mismatch each neuron has its own values (docs/errorprop.md "Neuron model").
public struct AdExConstants: Sendable, Equatable {
    public var dtOverC: Double
    public var leakConductance: Double
    public var restPotential: Double
    public var thresholdPotential: Double
    public var slopeFactor: Double
    public var inverseSlope: Double
    public var peakPotential: Double
    public var resetPotential: Double
    public var dtOverTauW: Double
    public var subthresholdAdaptation: Double
    public var spikeAdaptation: Double
    public var biasCurrent: Double
    public var refractorySteps: Int32

    public init(_ p: AdExParameters, dt: Double) {
        dtOverC = dt / p.capacitance
        leakConductance = p.leakConductance
        restPotential = p.restPotential
        thresholdPotential = p.thresholdPotential
        slopeFactor = p.slopeFactor
        inverseSlope = 1 / p.slopeFactor
        peakPotential = p.peakPotential
        resetPotential = p.resetPotential
        dtOverTauW = dt / p.adaptationTimeConstant
        subthresholdAdaptation = p.subthresholdAdaptation
        spikeAdaptation = p.spikeAdaptation
        biasCurrent = p.biasCurrent
        refractorySteps = Int32(p.refractorySteps(dt: dt))
    }
}

/// One forward-Euler step of one neuron (docs/errorprop.md "Neuron model"), the single implementation that every
/// simulation path (network kernel, f–I probe, error-pair probe) calls, so the checks of
/// docs/errorprop.md "Validation against the spec" test the code that trains. `current` is I_syn at step n. Returns
/// true when the
/// neuron spikes (the spike then carries index n+1).
@inline(__always)
public func adExStep(
    v: inout Double, w: inout Double, refractory: inout Int32, current: Double,
    _ c: AdExConstants
) -> Bool {
    let vOld = v
    let wOld = w
    // w integrates in both branches and uses the old V_n (docs/errorprop.md "Neuron model").
    w = wOld + c.dtOverTauW * (c.subthresholdAdaptation * (vOld - c.restPotential) - wOld)
    if refractory > 0 {
        // V stays at V_reset while refractory and is not integrated.
        refractory -= 1
        return false
    }
    let arg = min((vOld - c.thresholdPotential) / c.slopeFactor, 30)  // overflow guard only
    let total =
        -c.leakConductance * (vOld - c.restPotential)
        + c.leakConductance * c.slopeFactor * Foundation.exp(arg)
        - wOld + current + c.biasCurrent
    let vNew = vOld + c.dtOverC * total
    if vNew >= c.peakPotential {
        v = c.resetPotential
        w += c.spikeAdaptation
        refractory = c.refractorySteps
        return true
    }
    v = vNew
    return false
}

/// Runs one neuron with a constant input current from V = E_L, w = 0 and returns the
/// indices of its spikes (the f–I probe of docs/errorprop.md "Validation against the spec").
public func constantCurrentSpikes(
    _ params: AdExParameters, current: Double, steps: Int, dt: Double = defaultTimeStep
) -> [Int] {
    let c = AdExConstants(params, dt: dt)
    var v = params.restPotential
    var w = 0.0
    var refractory: Int32 = 0
    var spikes: [Int] = []
    for n in 0..<steps where adExStep(v: &v, w: &w, refractory: &refractory, current: current, c) {
        spikes.append(n + 1)
    }
    return spikes
}

/// Steady firing rate of docs/errorprop.md "Validation against the spec": (spikes in window − 1) / (last − first spike
/// time).
/// Returns 0 with fewer than two spikes in the window.
public func steadyRate(spikes: [Int], windowSteps: Range<Int>, dt: Double = defaultTimeStep)
    -> Double
{
    let inWindow = spikes.filter { windowSteps.contains($0) }
    guard let first = inWindow.first, let last = inWindow.last, inWindow.count >= 2 else {
        return 0
    }
    return Double(inWindow.count - 1) / (Double(last - first) * dt)
}
