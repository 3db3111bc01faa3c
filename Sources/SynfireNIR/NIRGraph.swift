// A NIR graph as plain data (docs/nir.md): named nodes with their parameters as HDF5
// datasets, identity edges between node names, nested graphs, and free-form metadata.
// NIRFile reads it from and writes it to HDF5; the importer and exporter work on it.

/// The node types Synfire reads and writes (NIR 1.0).
public enum NIRNodeType: String, CaseIterable, Sendable {
    case input = "Input"
    case output = "Output"
    case affine = "Affine"
    case linear = "Linear"
    case scale = "Scale"
    case lif = "LIF"
    case cubaLIF = "CubaLIF"
    case cubaLI = "CubaLI"
    case integrateAndFire = "IF"
    case li = "LI"
    case integrator = "I"
    case threshold = "Threshold"
    case delay = "Delay"
    case flatten = "Flatten"
    case conv1d = "Conv1d"
    case conv2d = "Conv2d"
    case sumPool2d = "SumPool2d"
    case avgPool2d = "AvgPool2d"
    case graph = "NIRGraph"

    /// Fields a file must hold for the node to mean anything; the rest have defaults.
    var requiredFields: [String] {
        switch self {
        case .input, .output: return []  // `shape`, or the older input_type/output_type groups
        case .affine: return ["weight", "bias"]
        case .linear: return ["weight"]
        case .scale: return ["scale"]
        case .lif: return ["tau", "r", "v_leak", "v_threshold"]
        case .cubaLIF: return ["tau_syn", "tau_mem", "r", "v_leak", "v_threshold"]
        case .cubaLI: return ["tau_syn", "tau_mem", "r", "v_leak"]
        case .integrateAndFire: return ["r", "v_threshold"]
        case .li: return ["tau", "r", "v_leak"]
        case .integrator: return ["r"]
        case .threshold: return ["threshold"]
        case .delay: return ["delay"]
        case .flatten: return []
        case .conv1d, .conv2d: return ["weight"]
        case .sumPool2d, .avgPool2d: return ["kernel_size", "stride"]
        case .graph: return []
        }
    }

    /// Fields NIR 1.0 defines beyond the required ones (anything else is reported as ignored).
    var optionalFields: [String] {
        switch self {
        case .input, .output: return ["shape", "input_type", "output_type"]
        case .lif, .cubaLIF, .integrateAndFire: return ["v_reset", "w_in", "input_type", "output_type"]
        case .cubaLI: return ["w_in", "input_type", "output_type"]
        case .flatten: return ["start_dim", "end_dim", "input_type", "output_type"]
        case .conv1d, .conv2d:
            return ["input_shape", "stride", "padding", "dilation", "groups", "bias", "input_type", "output_type"]
        case .sumPool2d, .avgPool2d: return ["padding", "input_type", "output_type"]
        case .graph: return ["nodes", "edges", "input_type", "output_type"]
        default: return ["input_type", "output_type"]
        }
    }

    public var isSpikingNeuron: Bool { [.lif, .cubaLIF, .integrateAndFire, .threshold].contains(self) }
    /// Neurons whose output is their voltage, not spikes: only a graph output may read them.
    public var isReadoutNeuron: Bool { [.li, .integrator, .cubaLI].contains(self) }
    public var isNeuron: Bool { isSpikingNeuron || isReadoutNeuron }
}

/// One node: its type, numeric or string parameters, shapes from older files'
/// input_type/output_type groups, metadata, and the nested graph of a NIRGraph node.
public struct NIRNode: Sendable, Equatable {
    public var type: NIRNodeType
    public var parameters: [String: HDF5Dataset]
    public var metadata: HDF5Group
    public var subgraph: NIRGraph?
    /// Shapes declared by `input_type` / `output_type` groups (older exports write them).
    public var declaredInputShape: [Int]?
    public var declaredOutputShape: [Int]?

    public init(
        type: NIRNodeType, parameters: [String: HDF5Dataset] = [:], metadata: HDF5Group = HDF5Group(),
        subgraph: NIRGraph? = nil
    ) {
        self.type = type
        self.parameters = parameters
        self.metadata = metadata
        self.subgraph = subgraph
    }
}

/// A directed edge between two node names (dotted names reach into subgraphs).
public struct NIREdge: Sendable, Equatable, Hashable {
    public var source: String
    public var target: String
    public init(_ source: String, _ target: String) {
        self.source = source
        self.target = target
    }
}

/// A graph: nodes by name, edges, metadata.
public struct NIRGraph: Sendable, Equatable {
    public var nodes: [String: NIRNode]
    public var edges: [NIREdge]
    public var metadata: HDF5Group

    public init(nodes: [String: NIRNode] = [:], edges: [NIREdge] = [], metadata: HDF5Group = HDF5Group()) {
        self.nodes = nodes
        self.edges = edges
        self.metadata = metadata
    }
}

/// A file's graph plus what reading it had to relax.
public struct NIRDocument: Sendable, Equatable {
    public var version: String?
    public var graph: NIRGraph
    /// What was accepted although NIR's own reader would refuse or drop it.
    public var relaxations: [String]

    public init(version: String?, graph: NIRGraph, relaxations: [String] = []) {
        self.version = version
        self.graph = graph
        self.relaxations = relaxations
    }
}

/// Errors of reading or mapping a NIR graph: each names the node and the field.
public enum NIRError: Error, CustomStringConvertible, Equatable, Sendable {
    case notNIR(path: String, reason: String)
    case missingField(node: String, field: String)
    case badField(node: String, field: String, reason: String)
    case unknownNodeType(node: String, type: String)
    case badEdge(node: String, reason: String)
    case unmappable(node: String, field: String, reason: String)
    case badInput(path: String, reason: String)
    case badSource(path: String, reason: String)

    public var description: String {
        switch self {
        case .notNIR(let path, let reason):
            return "\(path) is not a NIR file: \(reason); write it with nir.write (docs/nir.md)"
        case .missingField(let node, let field):
            return "node '\(node)': missing field '\(field)'; the file is incomplete, export it again"
        case .badField(let node, let field, let reason):
            return "node '\(node)', field '\(field)': \(reason)"
        case .unknownNodeType(let node, let type):
            return "node '\(node)': unknown node type '\(type)'; Synfire reads "
                + NIRNodeType.allCases.map(\.rawValue).joined(separator: ", ") + " (docs/nir.md, Node types)"
        case .badEdge(let node, let reason):
            return "edge at '\(node)': \(reason)"
        case .unmappable(let node, let field, let reason):
            return "node '\(node)', field '\(field)' cannot map onto the chip: \(reason) (docs/nir.md, Limits)"
        case .badInput(let path, let reason):
            return "\(path): \(reason)"
        case .badSource(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
