// swift-tools-version:6.0
import PackageDescription

/// The library targets are compiled optimised (-O keeps preconditions: shape checks stay on) even in debug builds
/// (tests would otherwise crawl) and, on x86-64 Linux, for x86-64-v3 (LLVM name "haswell": AVX2 + FMA, which every
/// x86 CPU since 2013 has) so that our own SIMD kernels use FMA.
///
/// SwiftPM refuses `unsafeFlags` in a package that another package depends on by version, so SwiftVTP checked
/// out as a dependency (under `.build/checkouts/`, or Xcode's `SourcePackages/checkouts/`: version, branch and
/// revision dependencies) builds without them: release builds are -O anyway and the matrix products run in
/// oneDNN with its own CPU dispatch; add `-Xswiftc -target-cpu -Xswiftc x86-64-v3` to that build for the FMA
/// kernels (README, "Using SwiftVTP as a library"). This repository and path dependencies keep the flags.
/// SWIFTVTP_PORTABLE=1 drops them anywhere. (`Context.gitInformation` is not set for dependency checkouts.)
let portable = Context.packageDirectory.contains("/checkouts/") || Context.environment["SWIFTVTP_PORTABLE"] == "1"
let optimisedFlags: [SwiftSetting] = portable ? [] : [.unsafeFlags(["-O", "-target-cpu", "haswell"], .when(platforms: [.linux]))]

let package = Package(
    name: "SwiftVTP",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vtp", targets: ["vtp"]),
        .library(name: "VTPTensor", targets: ["VTPTensor"]),
        .library(name: "VTPNN", targets: ["VTPNN"]),
        .library(name: "VTPModels", targets: ["VTPModels"]),
        .library(name: "VTPData", targets: ["VTPData"]),
        .library(name: "VTPEval", targets: ["VTPEval"]),
        .library(name: "VTPTraining", targets: ["VTPTraining"]),
        .library(name: "VTPGeneration", targets: ["VTPGeneration"]),
        .library(name: "VTPDistributed", targets: ["VTPDistributed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CLAPACK", path: "Sources/CLAPACK"),
        // Data-parallel training (issue 12): Open MPI, linked at build time (Debian libopenmpi-dev, scripts/setup.sh).
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]),
        .target(name: "VTPDistributed", dependencies: ["CMPI"], swiftSettings: optimisedFlags),
        .target(
            name: "CVTPData", path: "Sources/CVTPData",
            cSettings: portable ? [] : [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("z")]),
        /// ISA-specific C kernels (AVX-512, AVX-512-BF16) with function-level target attributes and run-time
        /// dispatch (no target-wide flags), and CPU feature detection.
        .target(name: "CVTPKernels", path: "Sources/CVTPKernels"),
        .target(name: "VTPTensor", dependencies: ["CDNNL", "CVTPKernels"], swiftSettings: optimisedFlags),
        .target(name: "VTPNN", dependencies: ["VTPTensor"], swiftSettings: optimisedFlags),
        .target(name: "VTPModels", dependencies: ["VTPNN"], swiftSettings: optimisedFlags),
        .target(
            name: "VTPData", dependencies: ["VTPTensor", "CVTPData"],
            resources: [.copy("Resources/bpe_simple_vocab_16e6.txt.gz"), .copy("Resources/html5_entities.json")],
            swiftSettings: optimisedFlags),
        .target(
            name: "VTPEval", dependencies: ["VTPModels", "VTPData", "CLAPACK"],
            resources: [.copy("Resources/imagenet_classnames.txt")], swiftSettings: optimisedFlags),
        .target(name: "VTPGeneration", dependencies: ["VTPModels", "VTPData", "VTPTensor", "VTPEval", "VTPTraining"], swiftSettings: optimisedFlags),
        .target(name: "VTPTraining", dependencies: ["VTPModels", "VTPData", "VTPEval", "VTPDistributed", "Yams"], swiftSettings: optimisedFlags),
        .target(name: "VTPStudy", dependencies: ["VTPTraining", "VTPGeneration", "VTPEval", "VTPModels", "VTPData", "VTPDistributed"], swiftSettings: optimisedFlags),
        .executableTarget(
            name: "vtp",
            dependencies: ["VTPModels", "VTPData", "VTPEval", "VTPTraining", "VTPGeneration", "VTPDistributed", "VTPStudy", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "vtp-bench", dependencies: ["VTPModels", "VTPData", "VTPGeneration", "CVTPKernels"], path: "bench/swift", swiftSettings: optimisedFlags),
        .target(name: "VTPTestSupport", dependencies: ["VTPTensor"], path: "Tests/VTPTestSupport"),
        .testTarget(name: "VTPTensorTests", dependencies: ["VTPTensor", "VTPTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VTPNNTests", dependencies: ["VTPNN"]),
        .testTarget(name: "VTPModelsTests", dependencies: ["VTPModels", "VTPData", "VTPTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VTPEvalTests", dependencies: ["VTPEval"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VTPTrainingTests", dependencies: ["VTPTraining", "VTPTestSupport", "VTPDistributed"]),
        .testTarget(name: "vtpTests", dependencies: ["vtp", "VTPTensor", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "VTPGenerationTests", dependencies: ["VTPGeneration", "VTPTraining", "VTPData", "VTPEval", "VTPTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VTPStudyTests", dependencies: ["VTPStudy", "VTPTraining", "VTPEval"]),
        .testTarget(name: "VTPDataTests", dependencies: ["VTPData"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
