import Foundation

/// One synaptic port class of docs/errorprop.md "Synapse model": a DPI synapse in its linear regime,
/// `τ dI/dt = −I + g·I_in`, whose spike increment is `γ·w·J`. All synapses onto one
/// port of a neuron share one summed current because the filter is linear.
public struct PortParameters: Codable, Sendable, Equatable {
    public var timeConstant: Double  // τ_syn [s]
    public var amplitude: Double  // J_port [A]
    public var gain: Double  // g = I_g / I_τ

    public init(timeConstant: Double, amplitude: Double, gain: Double = 1) {
        self.timeConstant = timeConstant
        self.amplitude = amplitude
        self.gain = gain
    }

    /// `ff`: input→hidden and hidden→output (plastic), excitatory.
    public static let feedForward = PortParameters(timeConstant: 5e-3, amplitude: 1e-9)
    /// `err_exc` / `err_inh`: onto error neurons.
    public static let error = PortParameters(timeConstant: 20e-3, amplitude: 500e-12)
    /// `lat`: fixed output mutual inhibition.
    public static let lateral = PortParameters(timeConstant: 5e-3, amplitude: 500e-12)

    /// Exact per-step decay factor `exp(−dt/τ)` (docs/errorprop.md "Neuron model" step 5).
    public func decay(dt: Double) -> Double { Foundation.exp(-dt / timeConstant) }
}

/// A single port current integrated exactly, for the checks of docs/errorprop.md "Validation against the spec" and for
/// anything
/// that wants to drive a port continuously (tests only, per docs/errorprop.md "Neuron model" step 5).
public struct DPIPort: Sendable {
    public private(set) var current: Double = 0
    public let parameters: PortParameters
    private let decayFactor: Double

    public init(_ parameters: PortParameters, dt: Double = defaultTimeStep) {
        self.parameters = parameters
        self.decayFactor = parameters.decay(dt: dt)
    }

    /// Delivery (docs/errorprop.md "Neuron model" step 1): a spike through a synapse of weight `weight` and gain
    /// factor `gamma`.
    public mutating func deliver(weight: Double, gamma: Double = 1) {
        current += gamma * weight * parameters.amplitude
    }

    /// Decay (docs/errorprop.md "Neuron model" step 5), with an optional continuous drive `I_in`.
    public mutating func decay(drive: Double = 0) {
        if drive == 0 {
            current *= decayFactor
        } else {
            current = current * decayFactor + parameters.gain * drive * (1 - decayFactor)
        }
    }
}
