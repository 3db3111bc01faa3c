import Testing

@testable import NBP

@Suite("nBP fast path against the golden vectors (docs/nbp.md, section Correctness)")
struct FastPathGoldenTests {
    @Test("golden: chip variant reproduces every intermediate and W1, W2, M after every sample")
    func goldenChipVariant() throws {
        let golden = try NBPGolden.load()
        let engine = try NBPFastEngine(weights: golden.initialWeights(), variant: .chip)
        #expect(golden.chip.count == golden.inputs.count)
        for (index, expected) in golden.chip.enumerated() {
            _ = engine.train(input: golden.inputs[index], label: golden.labels[index])
            let trace = engine.trace()
            expectForwardPass(trace, equals: expected, sample: index)
            #expect(trace.ePlus == expected.ePlus, "sample \(index): e+")
            #expect(trace.gPlus == expected.gPlus, "sample \(index): g+")
            #expect(trace.eMinus == expected.eMinus, "sample \(index): e-")
            #expect(trace.gMinus == expected.gMinus, "sample \(index): g-")
            let weights = engine.weights
            #expect(weights.w1 == expected.W1_after.flatMap { $0 }, "sample \(index): W1")
            #expect(weights.w2 == expected.W2_after.flatMap { $0 }, "sample \(index): W2")
            #expect(weights.m == expected.M_after.flatMap { $0 }, "sample \(index): M")
        }
    }

    @Test("golden: reference variant reproduces every intermediate and W1, W2 after every sample")
    func goldenReferenceVariant() throws {
        let golden = try NBPGolden.load()
        let engine = try NBPFastEngine(weights: golden.initialWeights(), variant: .reference)
        #expect(golden.reference.count == golden.inputs.count)
        for (index, expected) in golden.reference.enumerated() {
            _ = engine.train(input: golden.inputs[index], label: golden.labels[index])
            let trace = engine.trace()
            expectForwardPass(trace, equals: expected, sample: index)
            #expect(trace.ePlus == expected.e, "sample \(index): e")
            #expect(trace.hiddenError == expected.d1, "sample \(index): d1")
            let weights = engine.weights
            #expect(weights.w1 == expected.W1_after.flatMap { $0 }, "sample \(index): W1")
            #expect(weights.w2 == expected.W2_after.flatMap { $0 }, "sample \(index): W2")
        }
    }

    @Test("golden vectors exercise every branch of the circuit's arithmetic (dp, dm, g+, g-, hp, op)")
    func goldenCoverage() throws {
        let golden = try NBPGolden.load()
        let engine = try NBPFastEngine(weights: golden.initialWeights(), variant: .chip)
        var seen: Set<String> = []
        for (index, input) in golden.inputs.enumerated() {
            _ = engine.train(input: input, label: golden.labels[index])
            let trace = engine.trace()
            if trace.dp.contains(1) { seen.insert("dp") }
            if trace.dm.contains(1) { seen.insert("dm") }
            if trace.gPlus.contains(1) { seen.insert("g+") }
            if trace.gMinus.contains(1) { seen.insert("g-") }
            if trace.hp.contains(1) { seen.insert("hp") }
            if trace.op.contains(1) { seen.insert("op") }
        }
        #expect(seen == ["dp", "dm", "g+", "g-", "hp", "op"])
    }
}
