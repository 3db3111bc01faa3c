/// Everything a user of STESNN can get wrong, with a message that names the problem and
/// the fix (STYLE.md: errors say what went wrong and what to do).
public enum STEError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownArchitecture(String)
    case unknownMode(String)
    case invalidTimeSteps(Int)
    case unsupportedCombination(architecture: String, mode: String)
    case shapeMismatch(what: String, expected: Int, actual: Int)
    case invalidParameter(name: String, value: String, expected: String)
    case emptyDataset(String)
    case missingParameters(String)

    public var description: String {
        switch self {
        case .unknownArchitecture(let name):
            return "unknown architecture '\(name)' — use one of: "
                + NetworkArchitecture.allCases.map(\.rawValue).joined(separator: ", ")
        case .unknownMode(let name):
            return "unknown integration mode '\(name)' — use 'di' (rate-coded, membrane cleared "
                + "every step) or 'ci' (continuous integration with BPTT)"
        case .invalidTimeSteps(let value):
            return "time steps must be a positive integer, got \(value) — pass --timesteps 1 or more "
                + "(the paper uses 16)"
        case .unsupportedCombination(let architecture, let mode):
            return "architecture '\(architecture)' is not defined for mode '\(mode)' — CI mode uses "
                + "the 1156-1024-1024-11 MLP (docs/ste.md, section \"CI mode\"): pass --arch mlp --mode ci"
        case .shapeMismatch(let what, let expected, let actual):
            return "shape mismatch in \(what): expected \(expected) values, got \(actual) — "
                + "check that the input matches the network's input size and the batch/time layout"
        case .invalidParameter(let name, let value, let expected):
            return "invalid \(name) '\(value)' — expected \(expected)"
        case .emptyDataset(let what):
            return "the \(what) is empty — pass a larger --limit or check the data directory"
        case .missingParameters(let what):
            return "cannot load network parameters: \(what) — pass a weights file written by "
                + "'synfire ste train'"
        }
    }
}
