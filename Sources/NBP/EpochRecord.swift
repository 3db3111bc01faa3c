import SynfireIO

extension NBPEpochRecord {
    var record: [String: RecordValue] {
        [
            "epoch": .int(epoch), "train_exact": .double(trainExact), "test_exact": .double(test.exact),
            "test_argmax": .double(test.argmax), "test_argmax_input": .double(test.argmaxInput),
            "test_samples": .int(test.samples), "update_exponent": .int(updateExponent), "seconds": .double(seconds),
        ]
    }

    /// Reads one metrics.jsonl record; numbers out of their range (an epoch of 1e308, an
    /// accuracy above 1) are errors, never converted unchecked.
    init(record: [String: RecordValue]) throws {
        func double(_ key: String, in range: ClosedRange<Double> = -1e15...1e15) throws -> Double {
            guard let value = record[key]?.doubleValue else {
                throw NBPError.malformedFile(path: "metrics.jsonl", reason: "missing \(key)")
            }
            guard range.contains(value) else {
                throw NBPError.malformedFile(path: "metrics.jsonl", reason: "\(key) \(value) is outside \(range)")
            }
            return value
        }
        func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int {
            let value = try double(key, in: Double(range.lowerBound)...Double(range.upperBound))
            guard let exact = Int(exactly: value) else {
                throw NBPError.malformedFile(path: "metrics.jsonl", reason: "\(key) \(value) is not an integer")
            }
            return exact
        }
        self.init(
            epoch: try integer("epoch", in: 1...NBPTrainOptions.maximumEpochs),
            trainExact: try double("train_exact", in: 0...1),
            test: NBPAccuracy(
                samples: try integer("test_samples", in: 0...Int(Int32.max)), exact: try double("test_exact", in: 0...1),
                argmax: try double("test_argmax", in: 0...1), argmaxInput: try double("test_argmax_input", in: 0...1)),
            updateExponent: try integer("update_exponent", in: 0...64), seconds: try double("seconds"))
    }
}

extension NBPAccuracy {
    init(samples: Int, exact: Double, argmax: Double, argmaxInput: Double) {
        self.samples = samples
        self.exact = exact
        self.argmax = argmax
        self.argmaxInput = argmaxInput
    }
}
