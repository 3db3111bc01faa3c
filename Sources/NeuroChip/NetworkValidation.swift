// Validation of a network description (docs/neurochip.md "Network descriptions"): every problem is collected
// with its location, and the simulator never starts on an invalid network.

/// All problems found in a network description, each naming where it is and how to fix it.
public struct NetworkValidationError: Error, CustomStringConvertible, Sendable, Equatable {
    public var problems: [String]

    public var description: String {
        "invalid network description (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  - " + $0 }.joined(separator: "\n")
    }
}

/// Limits of the model (docs/neurochip.md "Units", "Network descriptions").
public enum ChipLimits {
    public static let decayRange = 0...4096
    public static let biasMantissaRange = -4096...4095
    public static let biasExponentRange = 0...23
    public static let vthMantissaRange = 0...131_071
    /// Voltage saturation limits; v resets to 0, so 0 lies in every range.
    public static let vminRange = -CompartmentParameters.voltageLimit...0
    public static let vmaxRange = 0...CompartmentParameters.voltageLimit
    public static let refractoryRange = 1...63
    public static let exponentRange = -8...7
    public static let delayRange = 0...62
    public static let traceRange = 0...127
    public static let tagRange = -128...127
    /// Compartments on the whole chip: 128 cores of at most 1,024.
    public static let maximumCompartments = ChipGeometry.cores * ChipGeometry.maxCompartmentsPerCore
    /// Spike-generator channels (host side): bounded so their buffers stay small.
    public static let maximumGeneratorChannels = 1 << 20
    /// Synapses of one network, all connections together (~1 GiB of simulator state); a
    /// real chip holds far fewer, this bounds networks that skip the synaptic-memory check.
    public static let maximumSynapses = 1 << 28
    /// Time steps of one `run` call: catches a mistyped count (2^31 steps of even a tiny
    /// network take hours).
    public static let maximumSteps = Int(Int32.max)
    /// Values all probes together may record in one run (8 bytes each in memory, more as JSON).
    public static let maximumProbeValues = 1 << 27
}

enum NetworkValidator {
    /// Returns every problem of `network` (empty when valid), and the parsed rules per
    /// connection index.
    static func validate(_ network: NetworkDescription) -> (problems: [String], rules: [Int: RuleSet]) {
        var problems: [String] = []
        var rules: [Int: RuleSet] = [:]
        var populationSize: [String: Int] = [:]
        var generatorSize: [String: Int] = [:]
        var connectionNames: Set<String> = []

        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { problems.append(message()) }
        }

        if network.populations.isEmpty {
            problems.append("populations: the network has no population; add at least one")
        }
        for (index, p) in network.populations.enumerated() {
            let at = "populations[\(index)] '\(p.name)'"
            check(!p.name.isEmpty, "\(at): empty name; give every population a unique name")
            check(
                populationSize[p.name] == nil && generatorSize[p.name] == nil,
                "\(at): duplicate name; population and generator names must be unique")
            if populationSize[p.name] == nil && generatorSize[p.name] == nil {
                // Clamped, so that products and sums below cannot overflow on absurd sizes.
                populationSize[p.name] = min(max(p.size, 0), ChipLimits.maximumCompartments + 1)
            }
            check(
                (1...ChipLimits.maximumCompartments).contains(p.size),
                "\(at): size \(p.size); use 1...\(ChipLimits.maximumCompartments) (the chip's compartments)")
            check(ChipLimits.decayRange.contains(p.du), "\(at): du \(p.du) out of range; use 0...4096")
            check(ChipLimits.decayRange.contains(p.dv), "\(at): dv \(p.dv) out of range; use 0...4096")
            check(
                ChipLimits.biasMantissaRange.contains(p.biasMantissa),
                "\(at): biasMantissa \(p.biasMantissa) out of range; use -4096...4095 and raise biasExponent")
            check(
                ChipLimits.biasExponentRange.contains(p.biasExponent),
                "\(at): biasExponent \(p.biasExponent) out of range; use 0...23")
            if ChipLimits.biasMantissaRange.contains(p.biasMantissa),
                ChipLimits.biasExponentRange.contains(p.biasExponent)
            {
                let bias = p.biasMantissa << p.biasExponent
                check(
                    (-(1 << 23)...((1 << 23) - 1)).contains(bias),
                    "\(at): bias \(bias) does not fit 24 bits; lower biasMantissa or biasExponent")
            }
            check(
                ChipLimits.vthMantissaRange.contains(p.vthMantissa),
                "\(at): vthMantissa \(p.vthMantissa) out of range; use 0...131071")
            check(
                ChipLimits.refractoryRange.contains(p.refractory),
                "\(at): refractory \(p.refractory) out of range; use 1...63 (1 = no restriction)")
            if let vmin = p.vmin {
                check(
                    ChipLimits.vminRange.contains(vmin),
                    "\(at): vmin \(vmin) out of range; use -8388607...0 (omit it for -8388607)")
            }
            if let vmax = p.vmax {
                check(
                    ChipLimits.vmaxRange.contains(vmax),
                    "\(at): vmax \(vmax) out of range; use 0...8388607 (omit it for 8388607)")
            }
        }
        for (index, g) in network.generators.enumerated() {
            let at = "generators[\(index)] '\(g.name)'"
            check(!g.name.isEmpty, "\(at): empty name; give every generator a unique name")
            check(
                populationSize[g.name] == nil && generatorSize[g.name] == nil,
                "\(at): duplicate name; population and generator names must be unique")
            if populationSize[g.name] == nil && generatorSize[g.name] == nil {
                generatorSize[g.name] = min(max(g.size, 0), ChipLimits.maximumGeneratorChannels + 1)
            }
            check(
                (1...ChipLimits.maximumGeneratorChannels).contains(g.size),
                "\(at): size \(g.size); use 1...\(ChipLimits.maximumGeneratorChannels)")
            if let times = g.spikeTimes {
                check(
                    times.count == g.size,
                    "\(at): spikeTimes has \(times.count) channels but size is \(g.size); give one list of steps per channel"
                )
                for (channel, steps) in times.enumerated() where steps.contains(where: { $0 < 0 }) {
                    problems.append("\(at): spikeTimes[\(channel)] has a negative step; steps start at 0")
                }
            }
        }

        let compartments = populationSize.values.reduce(0, +)
        check(
            compartments <= ChipLimits.maximumCompartments,
            "populations: \(compartments) compartments in all, more than the chip's \(ChipLimits.maximumCompartments); use fewer or smaller populations"
        )
        let channels = generatorSize.values.reduce(0, +)
        check(
            channels <= ChipLimits.maximumGeneratorChannels,
            "generators: \(channels) channels in all; use at most \(ChipLimits.maximumGeneratorChannels)")
        var synapses = 0
        for (index, c) in network.connections.enumerated() {
            let at = "connections[\(index)] '\(c.name)' (\(c.source) -> \(c.target))"
            check(!c.name.isEmpty, "\(at): empty name; give every connection a unique name")
            check(!connectionNames.contains(c.name), "\(at): duplicate connection name; names must be unique")
            connectionNames.insert(c.name)
            let sourceSize = populationSize[c.source] ?? generatorSize[c.source]
            let targetSize = populationSize[c.target]
            check(sourceSize != nil, "\(at): unknown source '\(c.source)'; name a population or spike generator")
            if targetSize == nil {
                problems.append(
                    generatorSize[c.target] != nil
                        ? "\(at): target '\(c.target)' is a spike generator; targets must be populations"
                        : "\(at): unknown target '\(c.target)'; name a population")
            }
            check(
                ChipLimits.exponentRange.contains(c.exponent),
                "\(at): exponent \(c.exponent) out of range; use -8...7")
            check(ChipLimits.delayRange.contains(c.delay), "\(at): delay \(c.delay) out of range; use 0...62")

            // Synapse count for this pattern.
            var synapseCount: Int?
            if let ns = sourceSize, let nt = targetSize {
                switch c.pattern {
                case .oneToOne:
                    check(ns == nt, "\(at): one-to-one needs equal sizes, got \(ns) and \(nt)")
                    synapseCount = nt
                case .oneToAll:
                    synapseCount = nt
                case .allToAll:
                    synapseCount = ns * nt
                case .sparse:
                    if let pre = c.pre, let post = c.post {
                        check(
                            pre.count == post.count,
                            "\(at): pre has \(pre.count) entries but post has \(post.count); give one pair per synapse")
                        if let bad = pre.firstIndex(where: { $0 < 0 || $0 >= ns }) {
                            problems.append("\(at): pre[\(bad)] = \(pre[bad]) outside source size \(ns)")
                        }
                        if let bad = post.firstIndex(where: { $0 < 0 || $0 >= nt }) {
                            problems.append("\(at): post[\(bad)] = \(post[bad]) outside target size \(nt)")
                        }
                        synapseCount = pre.count
                    } else {
                        problems.append("\(at): sparse connection needs `pre` and `post` index lists")
                    }
                }
            }
            synapses = min(synapses + (synapseCount ?? 0), Int.max / 2)
            if c.pattern != .sparse && (c.pre != nil || c.post != nil) {
                problems.append("\(at): `pre`/`post` lists are only for sparse connections; remove them")
            }
            // Weights.
            let range = c.signMode.weightRange
            func checkWeight(_ w: Int, _ location: String) {
                if !range.contains(w) {
                    problems.append(
                        "\(at): \(location) = \(w) outside \(c.signMode.rawValue) range \(range.lowerBound)...\(range.upperBound)"
                    )
                } else if c.signMode == .mixed && w % 2 != 0 {
                    problems.append(
                        "\(at): \(location) = \(w) is odd; mixed sign mode drops the lowest bit, use an even value")
                }
            }
            switch (c.weight, c.weights) {
            case (nil, nil):
                problems.append("\(at): no weights; give `weight` (uniform) or `weights`")
            case (.some, .some):
                problems.append("\(at): both `weight` and `weights`; give only one")
            case (.some(let w), nil):
                checkWeight(w, "weight")
            case (nil, .some(let ws)):
                if let n = synapseCount, ws.count != n {
                    let layout = c.pattern == .allToAll ? " (post x pre, row-major)" : ""
                    problems.append("\(at): \(ws.count) weights but the pattern has \(n) synapses\(layout)")
                }
                var reported = 0
                for (k, w) in ws.enumerated() where !range.contains(w) || (c.signMode == .mixed && w % 2 != 0) {
                    if reported < 5 { checkWeight(w, "weights[\(k)]") }
                    reported += 1
                }
                if reported > 5 { problems.append("\(at): \(reported - 5) more weights out of range or odd") }
            }
            if let delays = c.delays {
                if c.pattern != .sparse {
                    problems.append("\(at): per-synapse `delays` are only supported on sparse connections; use `delay`")
                } else if let n = synapseCount, delays.count != n {
                    problems.append("\(at): \(delays.count) delays but \(n) synapses")
                }
                if let bad = delays.firstIndex(where: { !ChipLimits.delayRange.contains($0) }) {
                    problems.append("\(at): delays[\(bad)] = \(delays[bad]) out of range; use 0...62")
                }
            }
            // Learning.
            if let learning = c.learning {
                if c.plastic == false {
                    problems.append(
                        "\(at): a learning rule on a non-plastic connection; set plastic to true or remove the rule")
                }
                if c.pattern != .allToAll {
                    problems.append(
                        "\(at): learning rules are supported on all-to-all connections only; use all-to-all (zero weights are allowed)"
                    )
                }
                do {
                    let set = try LearningRuleParser.parseSet(learning.rule)
                    rules[index] = set
                    if set.dw == nil {
                        problems.append("\(at): the learning rule has no `dw = ...` part")
                    }
                } catch {
                    problems.append("\(at): \(error)")
                }
                check(learning.epoch >= 1, "\(at): learning epoch \(learning.epoch); use tEpoch >= 1")
                if let reward = learning.reward, populationSize[reward] == nil && generatorSize[reward] == nil {
                    problems.append("\(at): unknown reward source '\(reward)'; name a population or spike generator")
                }
                let traces: [(String, TraceParameters)] = [
                    ("x1", learning.x1), ("x2", learning.x2), ("y1", learning.y1), ("y2", learning.y2),
                    ("y3", learning.y3), ("r1", learning.r1),
                ]
                for (name, trace) in traces {
                    check(
                        ChipLimits.traceRange.contains(trace.impulse),
                        "\(at): trace \(name) impulse \(trace.impulse) out of range; use 0...127")
                    check(
                        trace.tau >= 0 && trace.tau <= 4096,
                        "\(at): trace \(name) tau \(trace.tau) out of range; use 0...4096 (0 = no decay)")
                }
                if let set = rules[index], set.variables.contains(.r0) || set.variables.contains(.r1),
                    learning.reward == nil
                {
                    problems.append("\(at): the rule reads r0/r1 but no reward source is set; give `reward`")
                }
            } else if c.plastic == true {
                problems.append(
                    "\(at): plastic connection without a learning rule; add `learning` or set plastic to false")
            }
        }

        check(
            synapses <= ChipLimits.maximumSynapses,
            "connections: \(synapses) synapses in all, more than the simulator's limit of \(ChipLimits.maximumSynapses); use sparser or smaller connections"
        )
        for (index, probe) in network.probes.enumerated() {
            let at = "probes[\(index)] '\(probe.name)'"
            check(probe.interval >= 1, "\(at): interval \(probe.interval); use >= 1")
            switch probe.kind {
            case .spikes, .u, .v:
                if populationSize[probe.target] == nil {
                    if probe.kind == .spikes && generatorSize[probe.target] != nil { break }
                    problems.append("\(at): unknown population '\(probe.target)'")
                }
            case .weights:
                check(connectionNames.contains(probe.target), "\(at): unknown connection '\(probe.target)'")
            }
        }

        if let cap = network.mapping.maxCompartmentsPerCore,
            !(1...ChipGeometry.maxCompartmentsPerCore).contains(cap)
        {
            problems.append("mapping: maxCompartmentsPerCore \(cap) out of range; use 1...1024")
        }
        if let placement = network.mapping.placement {
            for (name, runs) in placement.sorted(by: { $0.key < $1.key }) {
                guard let size = populationSize[name] else {
                    problems.append("mapping.placement: unknown population '\(name)'")
                    continue
                }
                let total = runs.reduce(0) { min($0 + max($1.count, 0), Int.max / 2) }
                check(
                    total == size,
                    "mapping.placement['\(name)']: places \(total) compartments but the population has \(size)")
                for run in runs where !(0..<ChipGeometry.cores).contains(run.core) || run.count < 0 {
                    problems.append(
                        "mapping.placement['\(name)']: core \(run.core) count \(run.count) invalid; cores are 0...127")
                }
            }
        }
        return (problems, rules)
    }
}

/// A run that the limits of docs/robustness.md refuse before it starts.
public struct ChipRunLimitError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public var description: String { message }
}

extension NetworkDescription {
    /// The most values the probes can record in `steps` steps: a u, v or spikes probe one
    /// per compartment per sample, a weights probe one per synapse.
    public func probeValueCount(steps: Int) -> Int {
        var sizes: [String: Int] = [:]
        for p in populations { sizes[p.name] = p.size }
        for g in generators where sizes[g.name] == nil { sizes[g.name] = g.size }
        var total = 0
        for probe in probes {
            let samples = max(steps, 0) / max(probe.interval, 1) + 1
            var perSample = sizes[probe.target] ?? 0
            if probe.kind == .weights, let c = connections.first(where: { $0.name == probe.target }) {
                let ns = sizes[c.source] ?? 0
                let nt = sizes[c.target] ?? 0
                switch c.pattern {
                case .oneToOne, .oneToAll: perSample = nt
                case .allToAll: perSample = ns.multipliedReportingOverflow(by: nt).overflow ? Int.max : ns * nt
                case .sparse: perSample = c.pre?.count ?? 0
                }
            }
            let (values, overflow) = samples.multipliedReportingOverflow(by: perSample)
            total = overflow ? Int.max : min(total + values, Int.max / 2)
        }
        return total
    }

    /// Refuses, before anything runs, a step count beyond `ChipLimits.maximumSteps` or one
    /// whose probes would record more than `ChipLimits.maximumProbeValues` values.
    public func checkRun(steps: Int) throws(ChipRunLimitError) {
        guard steps >= 1 else {
            throw ChipRunLimitError(message: "--steps \(steps) is not positive; give the number of time steps to run")
        }
        guard steps <= ChipLimits.maximumSteps else {
            throw ChipRunLimitError(
                message: "--steps \(steps) is more than \(ChipLimits.maximumSteps), the most one run takes "
                    + "(docs/robustness.md); run fewer steps")
        }
        let values = probeValueCount(steps: steps)
        guard values <= ChipLimits.maximumProbeValues else {
            let mebibytes = values / (1 << 20) * 8
            throw ChipRunLimitError(
                message: "--steps \(steps) would make the probes record \(values) values (~\(mebibytes) MiB), more "
                    + "than the limit of \(ChipLimits.maximumProbeValues) (docs/robustness.md); run fewer steps, "
                    + "raise the probes' `interval`, or probe fewer populations")
        }
    }
}
