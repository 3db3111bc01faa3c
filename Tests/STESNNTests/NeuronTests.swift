import Testing

@testable import STESNN

/// The worked single-neuron example (docs/ste.md, "Checks"), forward and backward, CI and DI.
@Suite struct WorkedExampleTests {
    let currents: [Float] = [0.6, 0.7, 0.9, -0.3, 1.5]
    let upstream: [Float] = [0.2, -0.4, 0.1, 0.3, -0.2]

    @Test func ciForwardMatchesTable() {
        let neuron = IFNeuron(threshold: 1, carry: 1)
        var v: Float = 0
        var us: [Float] = []
        var ss: [Float] = []
        var vs: [Float] = []
        for a in currents {
            let r = neuron.step(membrane: v, current: a, rule: .strict)
            us.append(r.preSpike)
            ss.append(r.spike)
            vs.append(r.membrane)
            v = r.membrane
        }
        let expectedU: [Float] = [0.6, 1.3, 1.2, -0.1, 1.4]
        let expectedV: [Float] = [0.6, 0.3, 0.2, -0.1, 0.4]
        for t in 0..<5 {
            #expect(abs(us[t] - expectedU[t]) < 1e-6)
            #expect(abs(vs[t] - expectedV[t]) < 1e-6)
        }
        #expect(ss == [0, 1, 1, 0, 1])
        #expect(ss.reduce(0, +) == 3)
        #expect(us.map(neuron.surrogateDerivative) == [0.5, 0.5, 0.5, 0, 0.5])
        // The population kernel agrees with the pure step function.
        let run = neuron.run(currents: currents, timeSteps: 5, rule: .strict)
        #expect(run.spikes == ss)
        for t in 0..<5 { #expect(abs(run.preSpike[t] - us[t]) < 1e-6) }
    }

    @Test func ciBackwardKeepsResetPath() {
        let neuron = IFNeuron(threshold: 1, carry: 1)
        let run = neuron.run(currents: currents, timeSteps: 5, rule: .strict)
        let grad = neuron.gradient(preSpike: run.preSpike, gradSpikes: upstream, timeSteps: 5)
        let expected: [Float] = [0.0, -0.2, 0.0, -0.1, -0.1]
        let detached: [Float] = [-0.15, -0.25, -0.05, -0.1, -0.1]
        for t in 0..<5 { #expect(abs(grad[t] - expected[t]) < 1e-6, "t=\(t): \(grad[t])") }
        // A detached reset would give `detached`; make sure we are not there.
        #expect(zip(grad, detached).contains { abs($0 - $1) > 1e-3 })
    }

    @Test func diForwardAndBackward() {
        let neuron = IFNeuron(threshold: 1, carry: 0)
        let run = neuron.run(currents: currents, timeSteps: 5, rule: .strict)
        #expect(run.spikes == [0, 0, 0, 0, 1])
        for t in 0..<5 { #expect(abs(run.preSpike[t] - currents[t]) < 1e-6) }
        #expect(run.preSpike.map(neuron.surrogateDerivative) == [0.5, 0.5, 0.5, 0, 0.5])
        let grad = neuron.gradient(preSpike: run.preSpike, gradSpikes: upstream, timeSteps: 5)
        let expected: [Float] = [0.1, -0.2, 0.05, 0, -0.1]
        for t in 0..<5 { #expect(abs(grad[t] - expected[t]) < 1e-6) }
    }
}

/// The STE factor at and around the edges of its window (docs/ste.md, "Straight-through
/// estimator"), and reset by subtraction with a large, a small and a fixed-point current
/// (docs/ste.md, "Neuron model").
@Suite struct NeuronEdgeTests {
    @Test(
        arguments: zip(
            [Float(-0.5), 0, 1e-7, 1, 1.999, 2, 3], [Float(0), 0, 0.5, 0.5, 0.5, 0, 0]))
    func steEdges(u: Float, factor: Float) {
        #expect(IFNeuron(carry: 1).surrogateDerivative(u) == factor)
    }

    @Test func resetBySubtractionLargeCurrent() {
        let run = IFNeuron(carry: 1).run(currents: [2.5, 2.5, 2.5, 2.5], timeSteps: 4, rule: .inclusive)
        #expect(run.preSpike == [2.5, 4.0, 5.5, 7.0])
        #expect(run.spikes == [1, 1, 1, 1])
        #expect(zip(run.preSpike, run.spikes).map { $0 - $1 } == [1.5, 3.0, 4.5, 6.0])
    }

    @Test func resetBySubtractionSmallCurrent() {
        let neuron = IFNeuron(carry: 1)
        let run = neuron.run(currents: Array(repeating: 0.3, count: 7), timeSteps: 7, rule: .inclusive)
        let expectedU: [Float] = [0.3, 0.6, 0.9, 1.2, 0.5, 0.8, 1.1]
        for t in 0..<7 { #expect(abs(run.preSpike[t] - expectedU[t]) < 1e-6) }
        #expect(run.spikes == [0, 0, 0, 1, 0, 0, 1])
        #expect(abs(run.preSpike[6] - run.spikes[6] - 0.1) < 1e-6)
    }

    @Test func fixedPointIntegerMembrane() {
        // fracBits = 4: current 0.25 = 4 units, threshold 16 units, `≥` rule.
        let q = FixedPointFormat(fractionalBits: 4)
        let current = q.quantise(0.25)
        #expect(current == 4)
        var v: Int32 = 0
        var spikeTimes: [Int] = []
        for t in 0..<12 {
            let r = q.step(membrane: v, current: current)
            if r.spike {
                spikeTimes.append(t)
                #expect(r.membrane == 0)
            }
            v = r.membrane
        }
        #expect(spikeTimes == [3, 7, 11])
    }
}
