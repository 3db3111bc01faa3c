// Spike messages and their counters (docs/energy.md "Counted quantities"): a fired source sends one message
// to every distinct core its synapses end on. Sources with the same sending core (or the
// host, for generators) and the same destination cores send the same messages, so they
// share a class; per step the simulator counts fired sources per class and adds each
// class's figures once, instead of one counter update per message. A destination on
// another chip is an inter-chip message: it leaves the mesh, so it has no hops and is
// counted apart (docs/energy.md).

struct MessageRouting {
    /// Class of every source (compartments, then generator channels).
    let classOf: [Int32]
    /// Per class: sending core (-1 = host), destination cores on the sender's chip (CSR),
    /// destination cores on other chips (CSR), hops and path bits of the on-chip messages.
    let classCore: [Int32]
    let localStart: [Int32]
    let localCores: [Int32]
    let remoteStart: [Int32]
    let remoteCores: [Int32]
    let hopsEastWest: [Int]
    let hopsNorthSouth: [Int]
    let paths: [UInt32]
    /// Classes from here on are the generators' (sent by the host): no compartment shares
    /// a class with them, and generator groups come after the populations.
    let firstHostClass: Int

    /// `groups[g]`: the source group's range in source space; `sends[g]`: its outgoing
    /// connections; `coreOf`: core of every compartment.
    init(
        groups: [Range<Int>], populations: Int, sends: [[ConnectionRuntime]], coreOf: [Int32], seed: UInt64
    ) {
        struct ClassKey: Hashable {
            var core: Int32
            var destinations: [Int32]
        }
        var index: [ClassKey: Int32] = [:]
        var classOf = [Int32](repeating: 0, count: groups.last?.upperBound ?? 0)
        var classCore: [Int32] = []
        var localStart: [Int32] = [0]
        var localCores: [Int32] = []
        var remoteStart: [Int32] = [0]
        var remoteCores: [Int32] = []
        var hopsEW: [Int] = []
        var hopsNS: [Int] = []
        var paths: [UInt32] = []
        var scratch: [Int32] = []
        var firstHostClass: Int?
        for (g, range) in groups.enumerated() {
            if g == populations { firstHostClass = classCore.count }
            let lookups = sends[g].map { $0.destinationCores(seed: seed) }
            for i in 0..<range.count {
                scratch.removeAll(keepingCapacity: true)
                for lookup in lookups { lookup(i, &scratch) }
                let destinations = Array(Set(scratch)).sorted()
                let sender: Int32 = g < populations ? coreOf[range.lowerBound + i] : -1
                let key = ClassKey(core: sender, destinations: destinations)
                if let known = index[key] {
                    classOf[range.lowerBound + i] = known
                    continue
                }
                let id = Int32(classCore.count)
                index[key] = id
                classOf[range.lowerBound + i] = id
                classCore.append(sender)
                let chip = sender >= 0 ? ChipGeometry.chip(ofCore: Int(sender)) : -1
                let local = destinations.filter { sender < 0 || ChipGeometry.chip(ofCore: Int($0)) == chip }
                localCores += local
                localStart.append(Int32(localCores.count))
                remoteCores += destinations.filter { sender >= 0 && ChipGeometry.chip(ofCore: Int($0)) != chip }
                remoteStart.append(Int32(remoteCores.count))
                let route =
                    sender >= 0 ? ChipGeometry.route(from: Int(sender), to: local.map { Int($0) }) : (0, 0, 0)
                hopsEW.append(route.0)
                hopsNS.append(route.1)
                paths.append(route.2)
            }
        }
        self.classOf = classOf
        self.classCore = classCore
        self.localStart = localStart
        self.localCores = localCores
        self.remoteStart = remoteStart
        self.remoteCores = remoteCores
        self.hopsEastWest = hopsEW
        self.hopsNorthSouth = hopsNS
        self.paths = paths
        self.firstHostClass = firstHostClass ?? classCore.count
    }

    var classCount: Int { classCore.count }

    /// Adds the messages of `spikes` to `counts`, on the cores `owns` accepts (all cores
    /// of a single process; under MPI the rank's own, so the ranks' counters add up).
    /// `hits` is zeroed scratch of `classCount` entries, left zeroed; `touched` is scratch.
    func count(
        spikes: UnsafeBufferPointer<Int32>, counts: UnsafeMutablePointer<CoreStepCounts>,
        hits: UnsafeMutablePointer<Int32>, touched: inout [Int32], owns: (Int) -> Bool
    ) {
        forEachClass(of: spikes, hits: hits, touched: &touched) { id, sent in
            let core = Int(classCore[id])
            let local = Int(localStart[id])..<Int(localStart[id + 1])
            let remote = Int(remoteStart[id])..<Int(remoteStart[id + 1])
            if core < 0 {
                for k in local where owns(Int(localCores[k])) { counts[Int(localCores[k])].hostMessagesIn += sent }
                return
            }
            if owns(core) { addSent(class: id, sent: sent, to: &counts[core]) }
            for k in local where owns(Int(localCores[k])) { counts[Int(localCores[k])].messagesIn += sent }
            for k in remote where owns(Int(remoteCores[k])) { counts[Int(remoteCores[k])].interChipMessagesIn += sent }
        }
    }

    /// The messages one partition's compartment spikes send, counted by that partition's
    /// thread: the sending side on the sending cores (the partition's own), the receiving
    /// side into `incoming` per receiving core, which that core's partition adds to its
    /// counts later in the step (PartitionWork.incoming), so no thread writes another's
    /// counters. A class belongs to one sending core, so partitions touch disjoint `hits`.
    func countSent(
        spikes: UnsafeBufferPointer<Int32>, counts: UnsafeMutablePointer<CoreStepCounts>,
        incoming: UnsafeMutablePointer<IncomingMessages>, hits: UnsafeMutablePointer<Int32>, touched: inout [Int32]
    ) {
        forEachClass(of: spikes, hits: hits, touched: &touched) { id, sent in
            let core = Int(classCore[id])
            addSent(class: id, sent: sent, to: &counts[core])
            for k in Int(localStart[id])..<Int(localStart[id + 1]) { incoming[Int(localCores[k])].onChip += sent }
            for k in Int(remoteStart[id])..<Int(remoteStart[id + 1]) {
                incoming[Int(remoteCores[k])].interChip += sent
            }
        }
    }

    /// Whether class `id` sends from or to one of `cores` (a process that owns none of them
    /// has nothing to count for its spikes).
    func touches(class id: Int, _ cores: Range<Int>) -> Bool {
        (classCore[id] >= 0 && cores.contains(Int(classCore[id])))
            || (Int(localStart[id])..<Int(localStart[id + 1])).contains { cores.contains(Int(localCores[$0])) }
            || (Int(remoteStart[id])..<Int(remoteStart[id + 1])).contains { cores.contains(Int(remoteCores[$0])) }
    }

    /// The generator groups (group indices from `populations` on) with a channel that sends
    /// to one of `cores`.
    func hostGroups(_ groups: [Range<Int>], populations: Int, reaching cores: Range<Int>) -> [Int] {
        (populations..<groups.count).filter { g in groups[g].contains { touches(class: Int(classOf[$0]), cores) } }
    }

    /// The host messages of generator `spikes` that end on `cores` (one partition's), counted
    /// by that partition's thread. `hits` has one zeroed entry per generator class (class
    /// `firstHostClass` first) and is left zeroed.
    func countHostMessages(
        spikes: UnsafeBufferPointer<Int32>, counts: UnsafeMutablePointer<CoreStepCounts>, cores: Range<Int>,
        hits: UnsafeMutablePointer<Int32>, touched: inout [Int32]
    ) {
        forEachClass(of: spikes, hits: hits - firstHostClass, touched: &touched) { id, sent in
            for k in Int(localStart[id])..<Int(localStart[id + 1]) where cores.contains(Int(localCores[k])) {
                counts[Int(localCores[k])].hostMessagesIn += sent
            }
        }
    }

    /// Counts the fired sources of each class in `hits`, then calls `body(class, fired)`
    /// once per class that fired and zeroes its hits again.
    @inline(__always)
    private func forEachClass(
        of spikes: UnsafeBufferPointer<Int32>, hits: UnsafeMutablePointer<Int32>, touched: inout [Int32],
        _ body: (Int, Int) -> Void
    ) {
        classOf.withUnsafeBufferPointer { classOf in
            for source in spikes {
                let id = Int(classOf[Int(source)])
                if hits[id] == 0 { touched.append(Int32(id)) }
                hits[id] &+= 1
            }
        }
        for id32 in touched {
            let id = Int(id32)
            let sent = Int(hits[id])
            hits[id] = 0
            body(id, sent)
        }
        touched.removeAll(keepingCapacity: true)
    }

    /// The sending core's figures for `sent` fired sources of class `id`.
    @inline(__always)
    private func addSent(class id: Int, sent: Int, to counts: inout CoreStepCounts) {
        counts.messagesOut += sent * Int(localStart[id + 1] - localStart[id])
        counts.hopsEastWest += sent * hopsEastWest[id]
        counts.hopsNorthSouth += sent * hopsNorthSouth[id]
        counts.messagePathsSeen |= paths[id]
        counts.interChipMessagesOut += sent * Int(remoteStart[id + 1] - remoteStart[id])
    }
}

/// Messages that one partition's spikes sent to one core in a step (on-chip and from
/// other chips), waiting to be added to that core's counts by its own partition.
struct IncomingMessages {
    var onChip = 0
    var interChip = 0
}
