import ArgumentParser
import SynfireIO

/// Root of the `synfire` command line. Each area registers its command group here;
/// the commands themselves live in one file per area (`DataCommands.swift`, ...).
@main
struct Synfire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synfire",
        abstract: "Train spiking neural networks with backpropagation on a simulated neuromorphic chip.",
        discussion: """
            Synfire simulates a Loihi-like chip bit-exactly, trains the nBP circuit on it, \
            estimates the energy and latency the real chip would spend, and offers two other \
            spiking learners (STE SNN, error-propagation SNN). Every result-producing command \
            takes --json and then prints one JSON object on its last stdout line. \
            Start with docs/getting-started.md; `synfire --version` names the commit this \
            binary was built from.
            """,
        version: SynfireVersion.description,
        subcommands: [
            DataCommand.self,
            BenchCommand.self,
            ChipCommand.self,
            RunsCommand.self,
            NPZCommand.self,
            EnergyCommand.self,
            NBPCommand.self,
            ErrorPropCommand.self,
            STECommand.self,
            NIRCommand.self,
        ]
    )
}

/// `synfire bench ...`: throughput figures as JSON, always from a release build.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput (build with -c release; prints JSON with --json).",
        subcommands: [
            STEBenchCommand.self,
            BenchDataCommand.self,
            BenchChipCommand.self,
            BenchChipScaleCommand.self,
            BenchNBPCommand.self,
            BenchEnergyCommand.self,
            BenchIOCommand.self,
            BenchErrorPropCommand.self,
            BenchNIRCommand.self,
        ]
    )
}
