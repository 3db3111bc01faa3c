import ArgumentParser
import EnergyModel
import Foundation
import NBP
import NeuroChip

/// `synfire energy ...`: energy, latency and EDP of chip runs (docs/energy.md).
struct EnergyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "energy",
        abstract: "Estimate what a chip run would cost on Loihi: energy, latency, EDP.",
        subcommands: [
            EnergyReportCommand.self, EnergyTableCommand.self, EnergyNBPEstimateCommand.self,
        ]
    )
}

struct EnergyReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Energy, latency and EDP per sample of a chip-engine run directory.",
        discussion: """
            Reads RUN_DIR/energy_counts.json (format: docs/energy.md), prints the table of \
            docs/energy.md ("Report"), and writes RUN_DIR/energy_report.json and \
            RUN_DIR/energy_chart.svg, .png and .pdf unless --no-write.
            """)

    @Argument(help: "Run directory holding energy_counts.json (or the counts file itself).")
    var runDirectory: String

    @OptionGroup var tableOption: CostTableOption

    @Option(help: "Published figures to compare with (default: the counts file's own).")
    var reference: EnergyReferenceChoice?

    @Option(help: "Where to write the full JSON report (default RUN_DIR/energy_report.json).")
    var reportFile: String?

    @Option(help: "Where to write the chart as .svg, .png and .pdf (default RUN_DIR/energy_chart.svg).")
    var chart: String?

    @Flag(help: "Write no files; only print.")
    var noWrite = false

    @Flag(
        help:
            "Also give energy (by category) and latency (by term) for every time step of the mean sample of each mode (with --json: train_per_step / infer_per_step, and perStep in the report file)."
    )
    var perStep = false

    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let table = try tableOption.resolve()
        let counts = try EnergyCounts.load(runDirectory: runDirectory)
        let report = EnergyReport(
            counts: counts, table: table, reference: EnergyReferenceChoice.resolve(reference, counts: counts),
            includePerStep: perStep)
        let directory = directoryOf(runDirectory)
        var written: [String: String] = [:]
        if !noWrite {
            let reportPath =
                reportFile ?? (directory as NSString).appendingPathComponent("energy_report.json")
            let chartPath =
                chart ?? (directory as NSString).appendingPathComponent("energy_chart.svg")
            try report.jsonData().write(to: URL(fileURLWithPath: reportPath), options: .atomic)
            let chartFiles = try EnergyChart.write(report, to: chartPath)
            written = [
                "report_file": reportPath, "chart_file": chartFiles[1], "chart_png_file": chartFiles[0],
                "chart_pdf_file": chartFiles[2],
            ]
            logLine("wrote \(reportPath), " + chartFiles.joined(separator: ", "))
        }
        if json.enabled {
            try printJSONResult(EnergyReportResult(report: report, files: written))
        } else {
            print(report.text)
            if perStep { print(report.perStepText) }
        }
    }

    private func directoryOf(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        return isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
    }
}

/// The `--json` object of `synfire energy report`: the flat keys automated checks read,
/// then the whole docs/energy.md "Report" report under `report`.
struct EnergyReportResult: Encodable {
    let report: EnergyReport
    let files: [String: String]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func flat() -> [String: JSONValue] {
        var out: [String: JSONValue] = [
            "table": .string(report.preset),
            "cores_used": .integer(report.chip.coresUsed),
            "tiles_used": .integer(report.chip.tilesUsed),
            "run_energy_j": .number(report.run.energyPJ * 1e-12),
            "run_latency_s": .number(report.run.latencyNS * 1e-9),
            "run_edp_js": .number(report.run.edpJs),
        ]
        for (key, value) in files { out[key] = .string(value) }
        for (mode, prefix) in [(RunMode.training, "train"), (.inference, "infer")] {
            guard let s = report.summary(mode) else {
                for suffix in [
                    "energy_per_sample_j", "latency_per_sample_s", "edp_js", "samples",
                    "energy_by_category_j", "latency_by_term_s",
                ] { out["\(prefix)_\(suffix)"] = .null }
                continue
            }
            out["\(prefix)_energy_per_sample_j"] = .number(s.meanEnergyPJ * 1e-12)
            out["\(prefix)_latency_per_sample_s"] = .number(s.meanLatencyNS * 1e-9)
            out["\(prefix)_edp_js"] = .number(s.meanEdpJs)
            out["\(prefix)_samples"] = .integer(s.samples)
            out["\(prefix)_steps_per_sample"] = .integer(s.stepsPerSample)
            out["\(prefix)_energy_by_category_j"] = .object(
                Dictionary(
                    uniqueKeysWithValues: zip(
                        EnergyByCategory.names,
                        s.meanEnergyByCategoryPJ.values.map { JSONValue.number($0 * 1e-12) })))
            out["\(prefix)_latency_by_term_s"] = .object([
                "coreWork": .number(s.meanLatencyByTermNS.coreWork * 1e-9),
                "mesh": .number(s.meanLatencyByTermNS.mesh * 1e-9),
                "sync": .number(s.meanLatencyByTermNS.sync * 1e-9),
            ])
            if let steps = report.perStep?[mode.rawValue] {
                out["\(prefix)_per_step"] = .array(
                    steps.map { step in
                        .object([
                            "step": .integer(step.step),
                            "label": step.label.map(JSONValue.string) ?? .null,
                            "energy_j": .number(step.energyPJ * 1e-12),
                            "energy_by_category_j": .object(
                                Dictionary(
                                    uniqueKeysWithValues: zip(
                                        EnergyByCategory.names,
                                        step.energyByCategoryPJ.values.map { JSONValue.number($0 * 1e-12) }))),
                            "latency_s": .number(step.latencyNS * 1e-9),
                            "latency_by_term_s": .object([
                                "coreWork": .number(step.coreWorkNS * 1e-9), "mesh": .number(step.meshNS * 1e-9),
                                "sync": .number(step.syncNS * 1e-9),
                            ]),
                            "critical_core": step.criticalCore.map(JSONValue.integer) ?? .null,
                            "samples": .integer(step.samples),
                        ])
                    })
            }
            if let cmp = report.comparison.first(where: { $0.mode == mode }) {
                out["\(prefix)_paper_energy_ratio"] = .number(cmp.energyRatio)
                out["\(prefix)_paper_latency_ratio"] = .number(cmp.latencyRatio)
                out["\(prefix)_within_tolerance"] = .bool(cmp.withinTolerance)
            }
        }
        return out
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in flat() { try container.encode(value, forKey: Key(key)) }
        try container.encode(report, forKey: Key("report"))
    }
}

struct EnergyTableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Print a cost table (preset or validated JSON file) in the JSON format of docs/energy.md, \"Cost tables\".")

    @OptionGroup var tableOption: CostTableOption
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let table = try tableOption.resolve()
        if json.enabled {
            try printJSONResult(table)
            return
        }
        print("Cost table: \(table.name)  (learning count: \(table.learningCountMode.rawValue))")
        print(table.description)
        print("Entry                  Energy (pJ)   Time (ns)")
        let c = table.costs
        let rows: [(String, OperationCost)] = [
            ("compartmentActive", c.compartmentActive),
            ("compartmentInactive", c.compartmentInactive),
            ("synapticOp", c.synapticOp), ("plasticSynapseUpdate", c.plasticSynapseUpdate),
            ("learningEpoch", c.learningEpoch), ("spikeGenerated", c.spikeGenerated),
            ("messageOut", c.messageOut), ("messageIn", c.messageIn),
            ("messageBase", c.messageBase),
            ("hopEastWest", c.hopEastWest), ("hopNorthSouth", c.hopNorthSouth),
        ]
        for (name, cost) in rows {
            print(
                name.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + String(format: "%12.2f%12.2f", cost.energyPJ, cost.timeNS))
        }
        let points = table.sync.points.map { "\(Int($0[0])) tiles: \($0[1]) ns" }
        print("sync (\(table.sync.model.rawValue)): " + points.joined(separator: ", "))
        print(
            "static: \(table.staticPower.chipPowerMW) mW chip + \(table.staticPower.perUsedCorePowerMW) mW per used core"
        )
        let g = table.chip
        print(
            "chip: \(g.cores) cores, \(g.coresPerTile) per tile, \(g.meshWidthTiles)x\(g.meshHeightTiles) tiles, "
                + "\(g.maxCompartmentsPerCore) compartments and \(g.synapticMemoryBitsPerCore) bits per core"
        )
    }
}

struct EnergyNBPEstimateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nbp-estimate",
        abstract: "First-principles energy/latency of nBP per sample (docs/energy.md, \"Comparison with the nBP paper\").",
        discussion: """
            Uses the circuit's facts (12 training / 4 inference steps, all plastic synapses swept \
            every training step) with default on-fractions; the chip run's own counts replace \
            these estimates in `synfire energy report`.
            """)

    @OptionGroup var tableOption: CostTableOption

    @Option(help: "Input layer size.") var inputs = 400
    @Option(help: "Hidden layer size.") var hidden = 400
    @Option(help: "Output layer size.") var outputs = 10
    @Option(help: "Fraction of input pixels on.") var inputOnFraction = 0.19
    @Option(help: "Fraction of hidden units on.") var hiddenOnFraction = 0.5
    @Option(
        help: "Cores sharing the learning sweep (default: greedy packing; the authors used ~80).")
    var learningCores: Int?
    @OptionGroup var json: JSONOutputOption

    /// Bounds every number before the estimate sizes anything by it (docs/robustness.md).
    func validate() throws {
        let limit = NBPSizes.maximum
        for (name, value, maximum) in [
            ("--inputs", inputs, limit.input), ("--hidden", hidden, limit.hidden), ("--outputs", outputs, limit.output),
        ] where !(1...maximum).contains(value) {
            throw ValidationError("\(name) \(value) is outside 1...\(maximum) (the nBP layer limits)")
        }
        for (name, value) in [("--input-on-fraction", inputOnFraction), ("--hidden-on-fraction", hiddenOnFraction)]
        where !(0.0...1.0).contains(value) {
            throw ValidationError("\(name) \(value) is not a fraction; give a number in 0...1")
        }
        if let learningCores, !(1...1024).contains(learningCores) {
            throw ValidationError("--learning-cores \(learningCores) is outside 1...1024")
        }
    }

    func run() async throws {
        let table = try tableOption.resolve()
        var results: [String: JSONValue] = ["table": .string(table.name)]
        for (mode, prefix) in [(RunMode.training, "train"), (.inference, "infer")] {
            let input = NBPFirstPrinciples.defaultInput(
                mode: mode, inputs: inputs, hidden: hidden, outputs: outputs,
                inputOnFraction: inputOnFraction, hiddenOnFraction: hiddenOnFraction,
                learningCores: mode == .training ? learningCores : nil, chip: table.chip)
            let e = NBPFirstPrinciples.estimate(input, table: table)
            results["\(prefix)_energy_per_sample_j"] = .number(e.energyPerSamplePJ * 1e-12)
            results["\(prefix)_latency_per_sample_s"] = .number(e.latencyPerSampleNS * 1e-9)
            results["\(prefix)_edp_js"] = .number(e.edpJs)
            results["\(prefix)_paper_energy_ratio"] = .number(e.comparison.energyRatio)
            results["\(prefix)_paper_latency_ratio"] = .number(e.comparison.latencyRatio)
            results["\(prefix)_learning_cores"] = .integer(input.learningCores)
            results["\(prefix)_cores_used"] = .integer(input.coresUsed)
            results["\(prefix)_energy_by_category_j"] = .object(
                Dictionary(
                    uniqueKeysWithValues: zip(
                        EnergyByCategory.names,
                        e.energyByCategoryPJ.values.map { JSONValue.number($0 * 1e-12) })))
            if !json.enabled {
                print(
                    "\(mode.rawValue): \(UnitFormat.energy(e.energyPerSamplePJ)) and "
                        + "\(UnitFormat.time(e.latencyPerSampleNS)) per sample "
                        + "(paper \(UnitFormat.energy(e.comparison.paperEnergyPJ)), "
                        + "\(UnitFormat.time(e.comparison.paperLatencyNS)); ratio energy "
                        + UnitFormat.ratio(e.comparison.energyRatio) + ", latency "
                        + UnitFormat.ratio(e.comparison.latencyRatio)
                        + ") [\(e.comparison.verdict)]; "
                        + "cores \(input.coresUsed), learning cores \(input.learningCores)")
                let parts = zip(EnergyByCategory.names, e.energyByCategoryPJ.values)
                    .filter { $0.1 > 0 }.map { "\($0.0) \(UnitFormat.energy($0.1))" }
                print("  " + parts.joined(separator: ", "))
            }
        }
        if json.enabled { try printJSONResult(JSONValue.object(results)) }
    }
}

/// `synfire bench energy`: cost of recording counters during a run and of building a
/// report, with the nBP training shape (90 used cores, 12 steps per sample).
struct BenchEnergyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "energy",
        abstract: "Throughput of EnergyCountsRecorder and EnergyReport (release build).")

    @Option(help: "Steps to record.") var steps = 1_200_000
    @Option(help: "Used cores.") var cores = 90
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let allocation = CoreAllocation(
            populations: [
                PopulationPlacement(
                    name: "p", cores: (0..<cores).map { CoreShare(core: $0, count: 10) })
            ],
            cores: (0..<cores).map { CoreLoad(core: $0, compartments: 10, plasticSynapses: 100) })
        var recorder = EnergyCountsRecorder(
            placement: allocation, stepsPerSample: [.training: 12], keepSampleTotals: true)
        var chipStep = Array(repeating: CoreStepCounts(), count: 128)
        for core in 0..<cores {
            chipStep[core] = CoreStepCounts(
                activeCompartments: 3, inactiveCompartments: 7, synapticOps: 40,
                plasticSynapsesSwept: 100, learningEpochs: 1)
        }
        let clock = ContinuousClock()
        let recordTime = clock.measure {
            for _ in 0..<steps { recorder.record(chipStep: chipStep, mode: .training) }
        }
        var report: EnergyReport? = nil
        let counts = recorder.counts(description: "bench")
        let reportTime = clock.measure {
            report = EnergyReport(counts: counts, table: .davies2018)
        }
        let recordSeconds =
            Double(recordTime.components.seconds)
            + Double(recordTime.components.attoseconds) * 1e-18
        let reportSeconds =
            Double(reportTime.components.seconds)
            + Double(reportTime.components.attoseconds) * 1e-18
        let result: [String: JSONValue] = [
            "steps": .integer(steps), "cores": .integer(cores),
            "record_steps_per_s": .number(Double(steps) / recordSeconds),
            "record_ns_per_core_step": .number(recordSeconds * 1e9 / Double(steps * cores)),
            "report_seconds": .number(reportSeconds),
            "samples": .integer(report?.summary(.training)?.samples ?? 0),
        ]
        if json.enabled {
            try printJSONResult(JSONValue.object(result))
        } else {
            print(
                "recorder: \(UnitFormat.plain(Double(steps) / recordSeconds)) steps/s "
                    + "(\(UnitFormat.plain(recordSeconds * 1e9 / Double(steps * cores))) ns per "
                    + "core-step); report of \(steps / 12) samples: "
                    + "\(UnitFormat.plain(reportSeconds)) s")
        }
    }
}
