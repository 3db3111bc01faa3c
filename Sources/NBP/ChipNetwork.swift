import NeuroChip

extension NBPCircuit.Kind {
    /// Mantissa, exponent and sign mode that give exactly `weight * 64` current units
    /// (current = mantissa * 2^(6 + exponent), docs/neurochip.md). Fixed weights use the
    /// single-sign modes so odd mantissas such as 145 (9280 = 145 * 2^6) are representable.
    var chipEncoding: (mantissa: Int, exponent: Int, signMode: SignMode)? {
        chipWeight.map { ($0.mantissa, $0.exponent, $0.mantissa < 0 ? .inhibitory : .excitatory) }
    }
}

extension NBPCircuit {
    /// The learning rule text for update probability 2^-k (docs/nbp.md, "Learning-rate
    /// schedule"): k = 0 is the paper's rule; for k > 0 the rule's value ±2^(1-k) is rounded
    /// stochastically by the learning engine to ±2 with probability 2^-k.
    public static func learningRule(exponent k: Int) -> String {
        if k == 0 { return "dw = 4*x0*y0*r1 - 2*x0*y0" }
        return "dw = 2^\(2 - k)*x0*y0*r1 - 2^\(1 - k)*x0*y0"
    }

    /// The circuit as a NeuroChip network description. `matrices` gives
    /// the initial weights of every plastic connection by matrix name (post x pre).
    /// `plastic: false` drops the learning rule (the inference circuit).
    public func networkDescription(
        matrices: [String: [Int]], plastic: Bool, updateExponent: Int = 0, seed: UInt64 = 0
    ) throws(NBPError) -> NetworkDescription {
        var network = NetworkDescription(seed: seed)
        network.populations = populations.map { population in
            PopulationSpec(
                name: population.name, size: population.size, du: 4096, dv: 4096,
                // bias * 64 = (bias / 2) * 2^7 (weight units -> current units).
                biasMantissa: population.bias == 0 ? 0 : population.bias / 2,
                biasExponent: population.bias == 0 ? 0 : 7,
                vthMantissa: threshold, refractory: population.refractory)
        }
        network.generators = generators.map { generator in
            // in_g fires once, at `startStep` (docs/nbp.md, "Timing"); every other generator is driven per sample.
            SpikeGeneratorSpec(
                name: generator.name, size: generator.size,
                spikeTimes: generator.name == "in_g" ? [[startStep]] : nil)
        }
        let sizeOf = Dictionary(
            uniqueKeysWithValues: populations.map { ($0.name, $0.size) } + generators.map { ($0.name, $0.size) })
        let rule = NBPCircuit.learningRule(exponent: updateExponent)
        var specs: [ConnectionSpec] = []
        for connection in connections {
            let pattern: ConnectionPattern
            switch connection.kind.pattern {
            case .oneToOne: pattern = .oneToOne
            case .oneToAll: pattern = .oneToAll
            case .allToAll: pattern = .allToAll
            }
            if let weight = connection.weight {
                // Parametrised fixed weight (the training margin): weight = mantissa * 2^exponent
                // with an 8-bit single-sign mantissa.
                var exponent = 0
                while exponent < 7 && (abs(weight) >> exponent > 255 || (weight >> exponent) << exponent != weight) {
                    exponent += 1
                }
                specs.append(
                    ConnectionSpec(
                        name: connection.name, source: connection.source, target: connection.target,
                        pattern: pattern, weight: weight >> exponent, exponent: exponent,
                        delay: connection.axonDelay, signMode: weight < 0 ? .inhibitory : .excitatory))
            } else if let encoding = connection.kind.chipEncoding {
                specs.append(
                    ConnectionSpec(
                        name: connection.name, source: connection.source, target: connection.target,
                        pattern: pattern, weight: encoding.mantissa, exponent: encoding.exponent,
                        delay: connection.axonDelay, signMode: encoding.signMode))
            } else {
                let matrix = connection.matrix ?? ""
                let expected = (sizeOf[connection.source] ?? 0) * (sizeOf[connection.target] ?? 0)
                guard let weights = matrices[matrix] else {
                    throw .chipMismatch("no initial weights for plastic matrix \(matrix)")
                }
                if weights.count != expected {
                    throw .weightShapeMismatch(matrix: matrix, expected: expected, got: weights.count)
                }
                specs.append(
                    ConnectionSpec(
                        name: connection.name, source: connection.source, target: connection.target,
                        pattern: .allToAll, weights: weights, exponent: 0, delay: 0, signMode: .mixed,
                        plastic: plastic,
                        learning: plastic ? LearningSpec(rule: rule, epoch: 1, reward: "reward") : nil))
            }
        }
        network.connections = specs
        return network
    }

    /// The eight matrices' initial values from the trained weights (docs/nbp.md, "What is trained": copies equal W1 / W2,
    /// W2Tp = W2^T, M separate).
    public static func chipMatrices(_ weights: NBPWeights) -> [String: [Int]] {
        let matrices = NBPChipMatrices(weights: weights)
        return [
            "W1": matrices.w1.map(Int.init), "W1c1": matrices.w1c1.map(Int.init),
            "W1c2": matrices.w1c2.map(Int.init), "W2": matrices.w2.map(Int.init),
            "W2c1": matrices.w2c1.map(Int.init), "W2c2": matrices.w2c2.map(Int.init),
            "W2Tp": matrices.w2Tp.map(Int.init), "M": matrices.m.map(Int.init),
        ]
    }

    /// Every plastic matrix's initial value for a network of any depth (docs/nbp.md, "Deeper
    /// networks"): W_l and its copies W_lc1, W_lc2, the transposed copy W_lTp (l >= 2) and
    /// M_l, post x pre. One hidden layer gives `chipMatrices(_: NBPWeights)`'s eight.
    public static func chipMatrices(_ weights: NBPDeepWeights) -> [String: [Int]] {
        let sizes = weights.sizes
        var matrices: [String: [Int]] = [:]
        for l in 1...sizes.weightLayers {
            let w = weights.w[l - 1].map(Int.init)
            for name in ["W\(l)", "W\(l)c1", "W\(l)c2"] { matrices[name] = w }
            guard l >= 2 else { continue }
            let (posts, pres) = (sizes.units[l], sizes.units[l - 1])
            var transposed = [Int](repeating: 0, count: w.count)
            for j in 0..<posts {
                for i in 0..<pres { transposed[i * posts + j] = w[j * pres + i] }
            }
            matrices["W\(l)Tp"] = transposed
            matrices[NBPDeepWeights.mName(l, of: sizes)] = weights.m[l - 2].map(Int.init)
        }
        return matrices
    }
}
