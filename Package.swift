// swift-tools-version: 6.1
import Foundation
import PackageDescription

// Release builds of the hot loops are measured with exclusivity checks off; debug builds
// keep every check on.
// SYNFIRE_TARGET_CPU=haswell (or another LLVM CPU name) opts a release build's Swift code
// into that CPU's vector units (AVX2 on x86-64), but the binary then needs that CPU. Off by
// default so a build runs on any x86-64 machine. NeuroChip's hot kernels (C target
// CNeuroChipKernels) carry an AVX2 variant either way and pick it at run time.

let targetCPUFlags: [String] =
    ProcessInfo.processInfo.environment["SYNFIRE_TARGET_CPU"].map { ["-target-cpu", $0] } ?? []
let hotLoopFlags: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"] + targetCPUFlags, .when(configuration: .release))
]

let package = Package(
    name: "Synfire",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "synfire", targets: ["synfire"]),
        .library(name: "SynfireData", targets: ["SynfireData"]),
        .library(name: "SynfireIO", targets: ["SynfireIO"]),
        .library(name: "NeuroChip", targets: ["NeuroChip"]),
        .library(name: "EnergyModel", targets: ["EnergyModel"]),
        .library(name: "NBP", targets: ["NBP"]),
        .library(name: "STESNN", targets: ["STESNN"]),
        .library(name: "ErrorPropSNN", targets: ["ErrorPropSNN"]),
    ],
    // `swift build --traits MPI` adds Open MPI ranks to `synfire chip run` and `bench chip`
    // (docs/neurochip.md, "Threads and ranks"); the default build needs no MPI.
    traits: [
        .trait(name: "MPI", description: "Partition chip simulations over mpirun ranks (needs libopenmpi-dev).")
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // System libraries from Debian: zlib1g-dev, libopenblas-dev.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Only with the MPI trait: Debian libopenmpi-dev (pkg-config ompi-c).
        .systemLibrary(name: "COpenMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        .target(
            name: "SynfireData", dependencies: ["CZlib"], resources: [.copy("Resources/embedded")],
            swiftSettings: hotLoopFlags),
        .target(name: "SynfireIO", dependencies: ["CZlib"], swiftSettings: hotLoopFlags),
        // Delivery kernels in C: an AVX2 variant chosen at run time beside a portable one.
        .target(name: "CNeuroChipKernels", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        .target(name: "NeuroChip", dependencies: ["CNeuroChipKernels", "SynfireIO"], swiftSettings: hotLoopFlags),
        // The nBP fast path's row kernels, with the same run-time AVX2 choice.
        .target(
            name: "CNBPKernels", dependencies: ["CNeuroChipKernels"],
            cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        .target(name: "EnergyModel", dependencies: ["NeuroChip", "SynfireIO"], swiftSettings: hotLoopFlags),
        .target(
            name: "NBP",
            dependencies: ["NeuroChip", "SynfireData", "SynfireIO", "EnergyModel", "CNBPKernels"],
            swiftSettings: hotLoopFlags),
        .target(
            name: "STESNN", dependencies: ["COpenBLAS", "SynfireData", "SynfireIO"],
            swiftSettings: hotLoopFlags),
        .target(name: "ErrorPropSNN", dependencies: ["SynfireIO"], swiftSettings: hotLoopFlags),
        .executableTarget(
            name: "synfire",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "SynfireData", "SynfireIO", "NeuroChip", "EnergyModel", "NBP", "STESNN",
                "ErrorPropSNN", .target(name: "COpenMPI", condition: .when(traits: ["MPI"])),
            ],
            swiftSettings: hotLoopFlags),

        .testTarget(
            name: "SynfireDataTests", dependencies: ["SynfireData"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SynfireIOTests", dependencies: ["SynfireIO"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "NeuroChipTests", dependencies: ["NeuroChip", "CNeuroChipKernels", "SynfireIO"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "EnergyModelTests", dependencies: ["EnergyModel", "NeuroChip", "SynfireIO"]),
        .testTarget(
            name: "NBPTests",
            dependencies: ["NBP", "NeuroChip", "SynfireData", "SynfireIO", "EnergyModel", "CNBPKernels"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "STESNNTests", dependencies: ["STESNN", "SynfireData"]),
        .testTarget(name: "ErrorPropSNNTests", dependencies: ["ErrorPropSNN"]),
        // Runs the built `synfire` binary: exit codes, messages, --json output.
        .testTarget(name: "SynfireCLITests", dependencies: ["synfire", "NeuroChip", "SynfireIO"]),
    ]
)
