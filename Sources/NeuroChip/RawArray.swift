// Fixed-size storage with a stable address for the simulator's state and synapse arrays.
// The step's threads write such arrays at disjoint indices through `base` (one partition's
// compartments, one shard's synapses), which a Swift array held in a class property does
// not allow: every write through the property is an exclusive access of the whole array.

/// `count` trivial values at a fixed address, freed with the owner.
final class RawArray<Element: BitwiseCopyable> {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(repeating value: Element, count: Int) {
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: count)
        self.count = count
    }

    convenience init(_ values: [Element]) {
        self.init(count: values.count) { out in
            for k in values.indices { out[k] = values[k] }
        }
    }

    /// Storage of `count` values written by `fill` (every element must be set).
    init(count: Int, fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        base = .allocate(capacity: max(count, 1))
        self.count = count
        fill(UnsafeMutableBufferPointer(start: base, count: count))
    }

    deinit { base.deallocate() }

    var isEmpty: Bool { count == 0 }
    var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }
    /// A copy as a Swift array (reports and tests).
    var array: [Element] { Array(buffer) }
    /// The base address, or nil when empty (kernels that take optional copies).
    var baseIfAny: UnsafeMutablePointer<Element>? { count == 0 ? nil : base }

    subscript(index: Int) -> Element {
        @inline(__always) get { base[index] }
        @inline(__always) set { base[index] = newValue }
    }
}
