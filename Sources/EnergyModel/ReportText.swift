import Foundation

/// Number formatting for reports: locale-independent so output is reproducible.
public enum UnitFormat {
    /// Thousands separators, `decimals` digits after the point.
    public static func grouped(_ value: Double, decimals: Int = 0) -> String {
        guard value.isFinite else { return "\(value)" }
        let text = String(format: "%.\(decimals)f", abs(value))
        let parts = text.split(separator: ".", maxSplits: 1)
        var digits = Array(parts[0])
        var i = digits.count - 3
        while i > 0 {
            digits.insert(",", at: i)
            i -= 3
        }
        let sign = value < 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "-" : ""
        return sign + String(digits) + (parts.count > 1 ? "." + parts[1] : "")
    }

    public static func plain(_ value: Double) -> String {
        String(format: "%.3g", value)
    }

    /// Two decimals near 1, three significant digits for far-off ratios.
    public static func ratio(_ value: Double) -> String {
        value >= 0.1 && value < 100 ? String(format: "%.2f", value) : String(format: "%.3g", value)
    }

    public static func scientific(_ value: Double) -> String {
        String(format: "%.3e", value)
    }

    /// pJ in the most readable unit.
    public static func energy(_ pJ: Double) -> String {
        scaled(pJ, units: [(1e12, "J"), (1e9, "mJ"), (1e6, "µJ"), (1e3, "nJ"), (1, "pJ")])
    }

    /// ns in the most readable unit.
    public static func time(_ ns: Double) -> String {
        scaled(ns, units: [(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1, "ns")])
    }

    static func scaled(_ value: Double, units: [(Double, String)]) -> String {
        for (factor, name) in units where abs(value) >= factor {
            return String(format: "%.4g %@", value / factor, name)
        }
        return String(format: "%.4g %@", value, units.last!.1)
    }
}

extension EnergyReport {
    /// The plain-text table of docs/energy.md "Report", one block per mode.
    public var text: String {
        var lines: [String] = []
        for mode in RunMode.allCases {
            guard let s = summary(mode) else { continue }
            let e = s.energyByCategoryPJ
            let c = s.counts
            lines.append(
                "Energy model: \(preset)   cores used: \(s.coresUsed)   tiles used: "
                    + "\(s.tilesUsed)   steps: \(UnitFormat.grouped(Double(s.steps)))   "
                    + "samples: \(UnitFormat.grouped(Double(s.samples))) (\(mode.rawValue))"
                    + (s.partialSamples > 0 ? " + \(s.partialSamples) partial" : ""))
            lines.append(
                pad("Category", 12) + lpad("Count", 18) + lpad("Energy (nJ)", 20) + lpad("Share", 9)
            )
            let total = e.total
            let u = c.plasticSynapseUpdates(costTable.learningCountMode)
            let rows: [(String, String, Double)] = [
                (
                    "neuron",
                    UnitFormat.grouped(Double(c.activeCompartments + c.inactiveCompartments)),
                    e.neuron
                ),
                ("synaptic", UnitFormat.grouped(Double(c.synapticOps)), e.synaptic),
                ("learning", UnitFormat.grouped(Double(u)), e.learning),
                (
                    "spikeIO",
                    UnitFormat.grouped(Double(c.spikesGenerated + c.messagesOut + c.messagesIn)),
                    e.spikeIO
                ),
                ("mesh", UnitFormat.grouped(Double(c.messagesOut)) + " msgs", e.mesh),
                ("sync", UnitFormat.grouped(Double(s.steps)) + " steps", e.sync),
                ("static", "-", e.static),
            ]
            for (name, count, value) in rows {
                let share = total > 0 ? String(format: "%.1f%%", 100 * value / total) : "-"
                lines.append(
                    pad(name, 12) + lpad(count, 18)
                        + lpad(UnitFormat.grouped(value / 1e3, decimals: 3), 20)
                        + lpad(share, 9))
            }
            lines.append(
                pad("TOTAL", 12) + lpad("", 18)
                    + lpad(UnitFormat.grouped(total / 1e3, decimals: 3), 20))
            let t = s.latencyByTermNS
            lines.append(
                "Latency (µs): coreWork \(UnitFormat.grouped(t.coreWork / 1e3, decimals: 3))  mesh "
                    + "\(UnitFormat.grouped(t.mesh / 1e3, decimals: 3))  sync "
                    + "\(UnitFormat.grouped(t.sync / 1e3, decimals: 3))  total "
                    + "\(UnitFormat.grouped(t.total / 1e3, decimals: 3))  (latency basis: \(s.latencyBasis))"
            )
            lines.append(
                "Per sample (\(mode.rawValue)): energy mean \(UnitFormat.energy(s.meanEnergyPJ))"
                    + (s.minEnergyPJ.map { min in
                        " [min \(UnitFormat.energy(min)), max \(UnitFormat.energy(s.maxEnergyPJ ?? min))]"
                    } ?? "") + "; latency mean \(UnitFormat.time(s.meanLatencyNS)); EDP "
                    + "\(UnitFormat.scientific(s.meanEdpJs)) J·s; throughput "
                    + "\(UnitFormat.plain(s.throughputSamplesPerS)) samples/s")
            lines.append(
                "Counts (\(mode.rawValue)): cores \(s.coresUsed), compartments "
                    + "\(UnitFormat.grouped(Double(s.compartments))), plastic synapses "
                    + "\(UnitFormat.grouped(Double(s.plasticSynapses))), synaptic ops "
                    + "\(UnitFormat.grouped(Double(c.synapticOps))), plastic updates swept "
                    + "\(UnitFormat.grouped(Double(c.plasticSynapsesSwept))) / processed "
                    + "\(UnitFormat.grouped(Double(c.plasticSynapseUpdatesProcessed))), steps per "
                    + "sample \(s.stepsPerSample), learning sweeps per sample "
                    + UnitFormat.plain(s.learningSweepsPerSample))
            if let cmp = comparison.first(where: { $0.mode == mode }) {
                lines.append(
                    "Reference \(cmp.reference) (\(mode.rawValue)): "
                        + "\(UnitFormat.energy(cmp.paperEnergyPJ)), \(UnitFormat.time(cmp.paperLatencyNS)) "
                        + "-> ratio energy \(UnitFormat.ratio(cmp.energyRatio)), latency "
                        + "\(UnitFormat.ratio(cmp.latencyRatio))  [\(cmp.verdict)]")
                for gap in cmp.gapTerms {
                    let size =
                        gap.estimatePJ.map { UnitFormat.energy($0) }
                        ?? gap.estimateNS.map { UnitFormat.time($0) } ?? "-"
                    lines.append("  gap \(gap.name) (\(size)): \(gap.note)")
                }
            }
            lines.append("")
        }
        for note in notes { lines.append("Note: " + note) }
        return lines.joined(separator: "\n")
    }

    /// The per-step table (`--per-step`): one row per step of the mean sample of each
    /// mode, energy split by category (nJ), latency split by term (µs), critical core.
    /// Empty when the report was built without `includePerStep`.
    public var perStepText: String {
        guard let perStep else { return "" }
        var lines: [String] = []
        for mode in RunMode.allCases {
            guard let steps = perStep[mode.rawValue], !steps.isEmpty else { continue }
            let samples = summary(mode)?.samples ?? 0
            lines.append(
                "Per time step, mean \(mode.rawValue) sample (\(preset), \(UnitFormat.grouped(Double(samples))) samples)"
            )
            lines.append(
                pad("Step", 5) + pad("What happens", 50) + lpad("Energy nJ", 11)
                    + EnergyByCategory.names.map { lpad($0, 10) }.joined() + lpad("Latency µs", 12)
                    + lpad("coreWork", 10) + lpad("mesh", 8) + lpad("sync", 8) + lpad("critical", 9))
            var energy = EnergyByCategory()
            var latency = 0.0
            for step in steps {
                let e = step.energyByCategoryPJ
                energy = energy + e
                latency += step.latencyNS
                lines.append(
                    pad(String(step.step), 5) + pad(String((step.label ?? "-").prefix(49)), 50)
                        + lpad(UnitFormat.grouped(step.energyPJ / 1e3, decimals: 3), 11)
                        + e.values.map { lpad(UnitFormat.grouped($0 / 1e3, decimals: 3), 10) }.joined()
                        + lpad(UnitFormat.grouped(step.latencyNS / 1e3, decimals: 3), 12)
                        + lpad(UnitFormat.grouped(step.coreWorkNS / 1e3, decimals: 3), 10)
                        + lpad(UnitFormat.grouped(step.meshNS / 1e3, decimals: 3), 8)
                        + lpad(UnitFormat.grouped(step.syncNS / 1e3, decimals: 3), 8)
                        + lpad(step.criticalCore.map(String.init) ?? "-", 9))
            }
            lines.append(
                pad("SUM", 5) + pad("(= the per-sample mean above)", 50)
                    + lpad(UnitFormat.grouped(energy.total / 1e3, decimals: 3), 11)
                    + energy.values.map { lpad(UnitFormat.grouped($0 / 1e3, decimals: 3), 10) }.joined()
                    + lpad(UnitFormat.grouped(latency / 1e3, decimals: 3), 12))
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    private func lpad(_ s: String, _ width: Int) -> String {
        s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
    }
}
