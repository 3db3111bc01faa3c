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
        .library(name: "SynfireArrays", targets: ["SynfireArrays"]),
        .library(name: "SynfireIO", targets: ["SynfireIO"]),
        .library(name: "NeuroChip", targets: ["NeuroChip"]),
        .library(name: "EnergyModel", targets: ["EnergyModel"]),
        .library(name: "NBP", targets: ["NBP"]),
        .library(name: "STESNN", targets: ["STESNN"]),
        .library(name: "ErrorPropSNN", targets: ["ErrorPropSNN"]),
        .library(name: "SynfireNIR", targets: ["SynfireNIR"]),
    ],
    // `swift build --traits MPI` adds Open MPI ranks to `synfire chip run` and `bench chip`
    // (docs/neurochip.md, "Threads and ranks"); the default build needs no MPI.
    traits: [
        .trait(name: "MPI", description: "Partition chip simulations over mpirun ranks (needs libopenmpi-dev).")
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 of datasets (only the `Crypto` product: on Linux it builds BoringSSL).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System libraries from Debian: zlib1g-dev, libopenblas-dev, libcairo2-dev.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Only with the MPI trait: Debian libopenmpi-dev (pkg-config ompi-c).
        .systemLibrary(name: "COpenMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // HDF5 (libhdf5-dev; Debian's serial build answers to pkg-config `hdf5`), for NIR files.
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // Plots: libcairo2-dev renders PNG, SVG and PDF; text in DejaVu Sans (fonts-dejavu-core).
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),

        // The git commit the binary is built from, written by BuildInfoPlugin at build time.
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .target(name: "SynfireBuildInfo", plugins: ["BuildInfoPlugin"]),
        // SplitMix64, the one generator every other random stream is built on.
        .target(name: "SynfireRandom", swiftSettings: hotLoopFlags),
        .target(
            name: "SynfireData",
            dependencies: ["CZlib", "SynfireRandom", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources/embedded")],
            swiftSettings: hotLoopFlags),
        // TensorBoard event files: TFRecord framing and the Event protobuf (generated code
        // committed; event.proto says how it was made).
        .target(
            name: "SynfireTensorBoard",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["event.proto"]),
        // Arrays on disk: .npy/.npz (zip through zlib) and atomic file writes; no plotting, so
        // the simulator can save its outputs without linking Cairo.
        .target(name: "SynfireArrays", dependencies: ["CZlib"], swiftSettings: hotLoopFlags),
        .target(
            name: "SynfireIO", dependencies: ["SynfireArrays", "CCairo", "SynfireTensorBoard", "SynfireBuildInfo"],
            swiftSettings: hotLoopFlags),
        // Delivery kernels in C: an AVX2 variant chosen at run time beside a portable one.
        .target(name: "CNeuroChipKernels", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        .target(
            name: "NeuroChip", dependencies: ["CNeuroChipKernels", "SynfireRandom", "SynfireArrays"],
            swiftSettings: hotLoopFlags),
        // The nBP fast path's row kernels, with the same run-time AVX2 choice.
        .target(
            name: "CNBPKernels", dependencies: ["CNeuroChipKernels"],
            cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        .target(name: "EnergyModel", dependencies: ["NeuroChip", "SynfireIO"], swiftSettings: hotLoopFlags),
        .target(
            name: "NBP",
            dependencies: [
                "NeuroChip", "SynfireData", "SynfireArrays", "SynfireIO", "EnergyModel", "CNBPKernels", "SynfireRandom",
            ],
            swiftSettings: hotLoopFlags),
        .target(
            name: "STESNN", dependencies: ["COpenBLAS", "SynfireData", "SynfireArrays", "SynfireIO"],
            swiftSettings: hotLoopFlags),
        .target(
            name: "ErrorPropSNN", dependencies: ["SynfireArrays", "SynfireIO", "SynfireRandom"], swiftSettings: hotLoopFlags),
        // NIR (Neuromorphic Intermediate Representation) import, run and export.
        .target(
            name: "SynfireNIR",
            dependencies: [
                "CHDF5", "NeuroChip", "EnergyModel", "SynfireArrays", "SynfireIO", "SynfireData", "NBP", "STESNN",
                "SynfireRandom",
            ],
            swiftSettings: hotLoopFlags),
        .executableTarget(
            name: "synfire",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "SynfireData", "SynfireArrays", "SynfireIO", "NeuroChip", "EnergyModel", "NBP", "STESNN",
                "ErrorPropSNN", "SynfireNIR", .target(name: "COpenMPI", condition: .when(traits: ["MPI"])),
            ],
            swiftSettings: hotLoopFlags),

        .testTarget(
            name: "SynfireDataTests", dependencies: ["SynfireData"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SynfireIOTests", dependencies: ["SynfireArrays", "SynfireIO", "SynfireTensorBoard"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SynfireTensorBoardTests", dependencies: ["SynfireTensorBoard"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "NeuroChipTests", dependencies: ["NeuroChip", "CNeuroChipKernels", "SynfireArrays", "SynfireIO"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "EnergyModelTests", dependencies: ["EnergyModel", "NeuroChip", "SynfireIO"]),
        .testTarget(
            name: "NBPTests",
            dependencies: [
                "NBP", "NeuroChip", "SynfireData", "SynfireArrays", "SynfireIO", "EnergyModel", "CNBPKernels",
                "SynfireTensorBoard",
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "STESNNTests", dependencies: ["STESNN", "SynfireData", "SynfireRandom"]),
        .testTarget(name: "ErrorPropSNNTests", dependencies: ["ErrorPropSNN"]),
        .testTarget(
            name: "SynfireNIRTests",
            dependencies: ["SynfireNIR", "NeuroChip", "NBP", "STESNN", "SynfireData", "SynfireArrays", "SynfireIO"],
            resources: [.copy("Fixtures")]),
        // Runs the built `synfire` binary: exit codes, messages, --json output.
        .testTarget(name: "SynfireCLITests", dependencies: ["synfire", "NeuroChip", "SynfireArrays", "SynfireIO"]),

        // The byte readers as fuzz entry points; the tests replay Fuzz/corpus through them.
        .target(name: "SynfireFuzzTargets", dependencies: ["SynfireData", "SynfireArrays", "SynfireIO", "NeuroChip"]),
        .testTarget(name: "SynfireFuzzTargetsTests", dependencies: ["SynfireFuzzTargets"]),
    ]
)

// The libFuzzer harness exists only for `scripts/fuzz` (SYNFIRE_FUZZ=1): it has no main of
// its own, libFuzzer's is linked in by -sanitize=fuzzer.
if ProcessInfo.processInfo.environment["SYNFIRE_FUZZ"] != nil {
    package.products.append(.executable(name: "synfire-fuzz", targets: ["synfire-fuzz"]))
    package.targets.append(
        .executableTarget(
            name: "synfire-fuzz", dependencies: ["SynfireFuzzTargets"], path: "Fuzz/Sources/synfire-fuzz",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
