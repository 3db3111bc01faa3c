/// Problems a user of the error-propagation SNN can cause, each with the fix.
public enum ErrorPropError: Error, CustomStringConvertible, Equatable {
    case invalidParameter(name: String, value: String, expected: String)
    case templateDrawFailed(slot: Int)
    case runDirectoryUnusable(path: String, reason: String)
    case modelFileUnreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let expected):
            return "invalid \(name) = \(value): expected \(expected); change it and run again"
        case .templateDrawFailed(let slot):
            return "could not place the volleys of slot \(slot) with the minimum gap: "
                + "reduce volleysPerSlot or minimumGapSteps, or widen the volley window"
        case .runDirectoryUnusable(let path, let reason):
            return "cannot use run directory \(path): \(reason); pass a writable --out directory"
        case .modelFileUnreadable(let path, let reason):
            return "cannot read trained model \(path): \(reason); "
                + "run `synfire errorprop train --out DIR` first and pass that DIR"
        }
    }
}
