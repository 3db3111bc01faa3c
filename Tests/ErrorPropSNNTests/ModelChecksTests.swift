import Foundation
import Testing

@testable import ErrorPropSNN

/// The random generator is part of the model, so that any implementation draws the same
/// numbers (docs/errorprop.md, "What is in the module"); these values come from an
/// independent implementation of the same definition (SplitMix64 seeding, xoshiro256**).
@Test func randomStreamMatchesReferenceValues() {
    var a = ErrorPropRandom(master: 20_210_412, stream: .template, index: 0)
    #expect(a.next() == 0x668a_acf9_2927_ca1f)
    #expect(a.next() == 0xb7e0_599a_90e1_95eb)
    #expect(a.next() == 0x09dd_0622_f24b_7aa0)
    var b = ErrorPropRandom(master: 1, stream: .jitterTest, index: 7)
    #expect(b.next() == 0x5f1c_6791_2688_7334)
    #expect(b.next() == 0x04f9_c3f2_5be4_8efa)
}

@Test func uniformAndShuffleFollowTheirFormulas() {
    var r = ErrorPropRandom(master: 5, stream: .checks, index: 0)
    var copy = r
    let u = r.uniform()
    #expect(u == Double(copy.next() >> 11) * 0x1.0p-53)
    for _ in 0..<1000 {
        let k = r.uniformInt(7)
        #expect((0..<7).contains(k))
    }
    let p = r.permutation(16)
    #expect(p.sorted() == Array(0..<16))
}

// MARK: f–I curve of the AdEx neuron (docs/errorprop.md, "Validation against the model")

struct FICase: Sendable, CustomStringConvertible {
    var current: Double
    var continuous: Double
    var discrete: Double
    var firstSpikeMs: Double
    var description: String { "\(current * 1e12) pA" }
}

@Test(arguments: [
    FICase(current: 250e-12, continuous: 25.164, discrete: 25.063, firstSpikeMs: 42.4),
    FICase(current: 300e-12, continuous: 36.098, discrete: 35.842, firstSpikeMs: 29.5),
    FICase(current: 500e-12, continuous: 72.273, discrete: 71.429, firstSpikeMs: 14.1),
    FICase(current: 800e-12, continuous: 114.951, discrete: 113.636, firstSpikeMs: 8.1),
])
func fICurveWithoutAdaptationMatchesReferenceTable(_ c: FICase) {
    var p = AdExParameters.hidden
    p.subthresholdAdaptation = 0
    p.spikeAdaptation = 0
    let spikes = constantCurrentSpikes(p, current: c.current, steps: 20_000)
    let rate = steadyRate(spikes: spikes, windowSteps: 2000..<10_000)
    #expect(abs(rate / c.discrete - 1) < 0.01, "rate \(rate) Hz vs discrete \(c.discrete) Hz")
    #expect(abs(rate / c.continuous - 1) < 0.02, "rate \(rate) Hz vs continuous \(c.continuous) Hz")
    let first = try! #require(spikes.first)
    #expect(abs(Double(first) * 0.1 - c.firstSpikeMs) <= 0.1 + 1e-9, "first spike \(first) steps")
}

@Test(arguments: [
    (250e-12, 7.97, 44.5, 73.1), (300e-12, 15.15, 30.1, 37.8), (500e-12, 39.06, 14.1, 15.4),
    (800e-12, 70.42, 8.1, 9.2),
])
func fICurveWithAdaptationMatchesReferenceTable(
    current: Double, steady: Double, firstMs: Double, firstISIMs: Double
) {
    let spikes = constantCurrentSpikes(.hidden, current: current, steps: 20_000)
    let rate = steadyRate(spikes: spikes, windowSteps: 10_000..<20_000)
    #expect(abs(rate / steady - 1) < 0.01, "steady rate \(rate) Hz vs \(steady) Hz at \(current) A")
    #expect(spikes.count >= 2)
    #expect(abs(Double(spikes[0]) * 0.1 - firstMs) <= 0.1 + 1e-9)
    #expect(abs(Double(spikes[1] - spikes[0]) * 0.1 - firstISIMs) <= 0.1 + 1e-9)
}

@Test func neuronIsSilentBelowRheobase() {
    var noAdaptation = AdExParameters.hidden
    noAdaptation.subthresholdAdaptation = 0
    noAdaptation.spikeAdaptation = 0
    #expect(constantCurrentSpikes(.hidden, current: 170e-12, steps: 20_000).isEmpty)
    #expect(constantCurrentSpikes(noAdaptation, current: 170e-12, steps: 20_000).isEmpty)
}

@Test func refractoryPeriodHoldsResetForTwentySteps() {
    // Refractory period (docs/errorprop.md, "Neuron model"): a spike at index s skips the
    // membrane updates of steps s … s+19.
    var p = AdExParameters.hidden
    p.subthresholdAdaptation = 0
    p.spikeAdaptation = 0
    let c = AdExConstants(p, dt: defaultTimeStep)
    var v = p.restPotential
    var w = 0.0
    var refr: Int32 = 0
    var spikeStep = -1
    for n in 0..<2000 where adExStep(v: &v, w: &w, refractory: &refr, current: 5e-9, c) {
        spikeStep = n + 1
        break
    }
    #expect(spikeStep > 0)
    #expect(v == p.resetPotential)
    for _ in 0..<20 {
        #expect(!adExStep(v: &v, w: &w, refractory: &refr, current: 5e-9, c))
        #expect(v == p.resetPotential)
    }
    _ = adExStep(v: &v, w: &w, refractory: &refr, current: 5e-9, c)
    #expect(v > p.resetPotential)
}

// MARK: DPI synapse responses (docs/errorprop.md, "Synapse model")

@Test(arguments: [5e-3, 20e-3])
func synapseStepResponseMatchesExactExponential(tau: Double) {
    var port = DPIPort(PortParameters(timeConstant: tau, amplitude: 1e-9))
    var values: [Double] = []
    for _ in 0..<Int((10 * tau / 1e-4).rounded()) {
        values.append(port.current)
        port.decay(drive: 100e-12)
    }
    for k in [1.0, 2.0, 4.0] {
        let step = Int((k * tau / 1e-4).rounded())
        let expected = 100e-12 * (1 - Foundation.exp(-k))
        #expect(abs(values[step] / expected - 1) < 1e-9, "τ=\(tau) step \(step)")
    }
    if tau == 5e-3 {
        #expect(abs(values[50] - 63.2121e-12) < 0.01 * 63.2121e-12)
        #expect(abs(values[100] - 86.4665e-12) < 0.01 * 86.4665e-12)
        #expect(abs(values[200] - 98.1684e-12) < 0.01 * 98.1684e-12)
    } else {
        #expect(abs(values[200] - 63.2121e-12) < 0.01 * 63.2121e-12)
    }
}

@Test func synapseImpulseResponseAndSuperposition() {
    var port = DPIPort(.feedForward)
    var twice = DPIPort(.feedForward)
    port.deliver(weight: 0.5)
    twice.deliver(weight: 0.5)
    var trace: [Double] = []
    var traceTwice: [Double] = []
    for n in 0..<200 {
        if n == 30 { twice.deliver(weight: 0.5) }
        trace.append(port.current)
        traceTwice.append(twice.current)
        port.decay()
        twice.decay()
    }
    #expect(abs(trace[0] - 500e-12) < 1e-21)
    #expect(abs(trace[50] / 183.940e-12 - 1) < 1e-5)
    #expect(abs(trace[100] / 67.668e-12 - 1) < 1e-4)
    // Superposition: the second spike adds its own impulse response.
    for n in 30..<200 {
        let expected = trace[n] + trace[n - 30]
        #expect(abs(traceTwice[n] - expected) <= 1e-12 * expected)
    }
}

// MARK: Error neurons (docs/errorprop.md, "Architecture and learning rule")

@Test func errorNeuronsStaySilentWhenOutputEqualsTarget() {
    let regular = regularTrain(rate: 40, firstStep: 125, steps: 10_000)
    let matched = errorPairCounts(teacherSteps: regular, outputSteps: regular, steps: 10_000)
    #expect(matched.plus == 0 && matched.minus == 0)
    var rng = ErrorPropRandom(master: ErrorPropRandom.defaultMasterSeed, stream: .checks, index: 0)
    let poisson = (0..<10_000).filter { _ in rng.uniform() < 40 * 1e-4 }
    #expect(poisson.count > 25)  // about 40 spikes in 1 s
    let matchedPoisson = errorPairCounts(teacherSteps: poisson, outputSteps: poisson, steps: 10_000)
    #expect(matchedPoisson.plus == 0 && matchedPoisson.minus == 0)
}

@Test func errorNeuronsSignalOneSidedErrors() {
    let teacher = regularTrain(rate: 40, firstStep: 125, steps: 10_000)
    #expect(teacher.first == 125 && teacher[1] - teacher[0] == 250)
    let tooLow = errorPairCounts(teacherSteps: teacher, outputSteps: [], steps: 10_000)
    #expect(abs(tooLow.plus - 73) <= 1 && tooLow.minus == 0, "\(tooLow)")
    let tooHigh = errorPairCounts(teacherSteps: [], outputSteps: teacher, steps: 10_000)
    #expect(abs(tooHigh.minus - 73) <= 1 && tooHigh.plus == 0, "\(tooHigh)")
}

@Test func errorNeuronsGradeTheMismatch() {
    let teacher = regularTrain(rate: 40, firstStep: 125, steps: 10_000)
    var last = -1
    for (rate, period, expected) in [(37.0, 270, 3), (34.0, 294, 12), (30.0, 333, 20)] {
        let output = regularTrain(rate: rate, firstStep: 125, steps: 10_000)
        #expect(output[1] - output[0] == period)
        let counts = errorPairCounts(teacherSteps: teacher, outputSteps: output, steps: 10_000)
        #expect(abs(counts.plus - expected) <= 1, "output \(rate) Hz: E+ \(counts.plus)")
        #expect(counts.minus == 0)
        #expect(counts.plus > last)
        last = counts.plus
    }
}
