import ArgumentParser
import EnergyModel
import ErrorPropSNN
import NBP
import STESNN
import SynfireData

// The library enums the CLI takes as typed options. The libraries do not import
// ArgumentParser; their conformances live here, and `--help` lists every value.

extension DatasetName: ExpressibleByArgument {}
extension DatasetSplit: ExpressibleByArgument {}
extension NBPEngineKind: ExpressibleByArgument {}
extension NBPVariant: ExpressibleByArgument {}
extension NBPPreset: ExpressibleByArgument {}
extension NBPLearningGate: ExpressibleByArgument {}
extension NBPMeasure: ExpressibleByArgument {}
extension InputWiring: ExpressibleByArgument {}
extension HiddenGate: ExpressibleByArgument {}
extension FeedbackPathway: ExpressibleByArgument {}

// Architecture and mode names are accepted in any case ("MLP", "DI").
extension NetworkArchitecture: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}
extension IntegrationMode: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension ExpressibleByArgument where Self: CaseIterable {
    /// "a, b or c": the allowed values, for help texts and errors.
    static var choices: String {
        let values = allValueStrings
        guard values.count > 1 else { return values.joined() }
        return values.dropLast().joined(separator: ", ") + " or " + values.last!
    }

    /// A parser for `option` whose error names the option and every allowed value
    /// ("--preset must be paper, margin, ... , not 'fast'"), for `@Option(transform:)`.
    static func parser(for option: String) -> @Sendable (String) throws -> Self {
        { text in
            guard let value = Self(argument: text) else {
                throw ValidationError("\(option) must be \(choices), not '\(text)'")
            }
            return value
        }
    }
}

/// `--json`: the result as one JSON object on the last stdout line (the CLI's convention).
struct JSONOutputOption: ParsableArguments {
    @Flag(name: .customLong("json"), help: "Print the result as one JSON object on the last stdout line.")
    var enabled = false
}

/// `--data-dir`: where the datasets are.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default: $SYNFIRE_DATA, else ./data).")
    var path: String?
}

/// `--out RUN_DIR` and `--resume`: the run directory a trainer creates, or continues from its
/// last checkpoint.
struct RunOutputOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Run directory (created; must not hold a run unless --resume): config, metrics, weights, checkpoints, plots.",
            valueName: "RUN_DIR"))
    var out: String

    @Flag(help: "Continue the run in --out from its last checkpoint (same settings; --epochs may grow).")
    var resume = false
}

/// `--out` of a training command that always starts a new run (no `--resume`).
struct NewRunDirectoryOption: ParsableArguments {
    @Option(help: ArgumentHelp("Run directory to create (must not already hold a run).", valueName: "RUN_DIR"))
    var out: String
}

/// `--out` of a command that draws one figure in three formats.
struct PlotOutputOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Output path without extension (writes PATH.png, PATH.svg and PATH.pdf).", valueName: "PATH"))
    var out: String
}

/// `--table`: a cost table preset or a JSON file.
struct CostTableOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Cost table: davies2018, sanafe, sanafe-sparse (or loihi-davies2018, ...), or a JSON file.",
            valueName: "davies2018|sanafe|FILE.json"))
    var table: String = "davies2018"

    func resolve() throws -> CostTable { try CostTable.resolve(table) }
}

/// Published figures an energy report compares with (`--reference`).
enum EnergyReferenceChoice: String, CaseIterable, ExpressibleByArgument {
    case nbp, none

    /// The figures `choice` names, or (no choice) the ones the counts file was recorded for.
    static func resolve(_ choice: EnergyReferenceChoice?, counts: EnergyCounts) -> (any EnergyReference)? {
        guard let name = choice?.rawValue ?? counts.reference else { return nil }
        return NBPEnergyReference.matches(name) ? NBPEnergyReference() : nil
    }
}
