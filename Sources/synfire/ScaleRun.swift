import ArgumentParser
import Foundation
import NeuroChip
import SynfireIO

/// One size of `bench chip-scale`, measured in a child process so its peak memory is its own.
struct ScaleRun: Codable {
    var compartments: Int
    var synapses: Int
    var chips: Int
    var cores: Int
    var buildSeconds: Double
    var steps: Int
    var wallSeconds: Double
    var cpuSeconds: Double
    var synapticOps: Int
    var spikes: Int
    var maxRSSBytes: Int

    /// The child's part: build the generated network, run `steps` steps.
    static func measure(compartments: Int, fanIn: Int, steps: Int, threads: Int) throws -> ScaleRun {
        let start = NeuroChip.wallSeconds()
        let net = NetworkGenerator.blocks(compartments: compartments, fanIn: fanIn)
        let chip = try ChipSimulator(net, execution: ChipExecution(threads: threads))
        let built = NeuroChip.wallSeconds() - start
        chip.run(steps: 5)
        let before = chip.totals.chip
        let wall = NeuroChip.wallSeconds()
        let cpu = processCPUSeconds()
        chip.run(steps: steps)
        let after = chip.totals.chip
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return ScaleRun(
            compartments: compartments, synapses: NetworkGenerator.synapseCount(net), chips: chip.coreMap.chips,
            cores: chip.coreMap.usedCores.count, buildSeconds: built, steps: steps, wallSeconds: NeuroChip.wallSeconds() - wall,
            cpuSeconds: processCPUSeconds() - cpu, synapticOps: after.synapticOps - before.synapticOps,
            spikes: after.spikesGenerated - before.spikesGenerated, maxRSSBytes: usage.ru_maxrss * 1024)
    }

    static func child(size: Int, fanIn: Int, steps: Int, threads: Int) throws -> ScaleRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = [
            "bench", "chip-scale", "--child", "\(size)", "--fan-in", "\(fanIn)", "--steps", "\(steps)", "--threads",
            "\(threads)",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard process.terminationStatus == 0, let run = try? JSONDecoder().decode(ScaleRun.self, from: Data(line.utf8))
        else {
            throw ValidationError("the child run of \(size) compartments failed (exit \(process.terminationStatus))")
        }
        return run
    }

    struct Row {
        var stepsPerSecond: Double
        var nsPerCompartmentStep: Double
        var nsPerEvent: Double
        var bytesPerSynapse: Double

        func json(_ run: ScaleRun) -> [String: JSONValue] {
            [
                "compartments": .integer(run.compartments), "synapses": .integer(run.synapses),
                "chips": .integer(run.chips), "cores": .integer(run.cores), "build_seconds": .number(run.buildSeconds),
                "steps_per_s": .number(stepsPerSecond), "ns_per_compartment_step": .number(nsPerCompartmentStep),
                "ns_per_synaptic_event": .number(nsPerEvent), "bytes_per_synapse": .number(bytesPerSynapse),
                "peak_memory_bytes": .integer(run.maxRSSBytes),
                "spikes_per_step": .number(Double(run.spikes) / Double(max(run.steps, 1))),
                "cpu_seconds": .number(run.cpuSeconds), "wall_seconds": .number(run.wallSeconds),
            ]
        }
    }

    static func row(_ run: ScaleRun, baseline: ScaleRun) -> Row {
        let perStep = run.wallSeconds / Double(max(run.steps, 1))
        return Row(
            stepsPerSecond: 1 / perStep, nsPerCompartmentStep: perStep / Double(run.compartments) * 1e9,
            nsPerEvent: run.synapticOps > 0 ? run.wallSeconds / Double(run.synapticOps) * 1e9 : 0,
            bytesPerSynapse: Double(run.maxRSSBytes - baseline.maxRSSBytes) / Double(max(run.synapses, 1)))
    }

    /// Cost curves over the sizes (equal spacing: each size is 4x the last).
    static func plot(_ rows: [[String: JSONValue]], fanIn: Int) -> LearningCurvePlot {
        func values(_ key: String) -> [Double] {
            rows.map { row in if case .number(let v)? = row[key] { return v } else { return 0 } }
        }
        let labels = rows.map { row -> String in
            guard case .integer(let n)? = row["compartments"] else { return "" }
            return n >= 1_048_576 ? "\(n / 1_048_576)M" : n >= 1024 ? "\(n / 1024)k" : "\(n)"
        }
        return LearningCurvePlot(
            title: "NeuroChip: cost per step against network size",
            subtitle: "generated block network, fan-in \(fanIn); wall time of whole steps",
            series: [
                .init(name: "ns per compartment and step", values: values("ns_per_compartment_step")),
                .init(name: "ns per synaptic event", values: values("ns_per_synaptic_event")),
                .init(name: "bytes per synapse", values: values("bytes_per_synapse"), dashed: true),
            ],
            xLabel: "compartments", yLabel: "ns (solid), bytes (dashed)", valueScale: 1, xTickLabels: labels)
    }
}
