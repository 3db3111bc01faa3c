import Foundation

/// Spike counts of one output-error pair driven by given teacher and output trains
/// (the probe of docs/errorprop.md "Validation against the spec"). Uses the same neuron step and port arithmetic
/// as the network: `E⁺` gets teacher → exc and output → inh, `E⁻` the mirror image.
public func errorPairCounts(
    teacherSteps: [Int], outputSteps: [Int], steps: Int, neuron: AdExParameters = .error,
    port: PortParameters = .error, dt: Double = defaultTimeStep
) -> (plus: Int, minus: Int) {
    let c = AdExConstants(neuron, dt: dt)
    let decay = port.decay(dt: dt)
    var v = [neuron.restPotential, neuron.restPotential]
    var w = [0.0, 0.0]
    var refr: [Int32] = [0, 0]
    var exc = [0.0, 0.0]
    var inh = [0.0, 0.0]
    var teacherCount = [Int](repeating: 0, count: steps)
    var outputCount = [Int](repeating: 0, count: steps)
    for s in teacherSteps where (0..<steps).contains(s) { teacherCount[s] += 1 }
    for s in outputSteps where (0..<steps).contains(s) { outputCount[s] += 1 }
    var counts = [0, 0]
    for n in 0..<steps {
        for _ in 0..<teacherCount[n] {
            exc[0] += port.amplitude
            inh[1] += port.amplitude
        }
        for _ in 0..<outputCount[n] {
            inh[0] += port.amplitude
            exc[1] += port.amplitude
        }
        for e in 0..<2
        where adExStep(v: &v[e], w: &w[e], refractory: &refr[e], current: exc[e] - inh[e], c) {
            counts[e] += 1
        }
        for e in 0..<2 {
            exc[e] *= decay
            inh[e] *= decay
        }
    }
    return (counts[0], counts[1])
}
