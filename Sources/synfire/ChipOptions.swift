import ArgumentParser
import Foundation
import NeuroChip

extension ProbeFormat: ExpressibleByArgument {}

/// `--threads N` of the commands that run the chip simulator.
struct ThreadsOption: ParsableArguments {
    @Option(
        help:
            "Threads of the chip simulator (default: this machine's cores, shared by the MPI ranks on it). Results are the same for any count."
    )
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError(
                "--threads \(threads): give at least 1 thread (the default is this machine's cores)")
        }
    }

    /// The thread count: the option, else this machine's cores over the ranks running here.
    func resolved(ranks: Int = 1) -> Int {
        threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / max(ranks, 1))
    }
}
