import SynfireIO

extension NBPEpochRecord {
    var record: [String: RecordValue] {
        [
            "epoch": .int(epoch), "train_exact": .double(trainExact), "test_exact": .double(test.exact),
            "test_argmax": .double(test.argmax), "test_argmax_input": .double(test.argmaxInput),
            "test_samples": .int(test.samples), "update_exponent": .int(updateExponent), "seconds": .double(seconds),
        ]
    }

    init(record: [String: RecordValue]) throws {
        func double(_ key: String) throws -> Double {
            guard let value = record[key]?.doubleValue else {
                throw NBPError.malformedFile(path: "metrics.jsonl", reason: "missing \(key)")
            }
            return value
        }
        let samples = Int(try double("test_samples"))
        self.init(
            epoch: Int(try double("epoch")), trainExact: try double("train_exact"),
            test: NBPAccuracy(
                samples: samples, exact: try double("test_exact"), argmax: try double("test_argmax"),
                argmaxInput: try double("test_argmax_input")),
            updateExponent: Int(try double("update_exponent")), seconds: try double("seconds"))
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
