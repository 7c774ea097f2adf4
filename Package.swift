// swift-tools-version:6.0
import PackageDescription

/// Kernels are compiled optimised (-O keeps preconditions: shape checks stay on) even in debug builds (tests would otherwise crawl) and for x86-64-v3 (LLVM name "haswell")
/// (AVX2 + FMA), which every x86 CPU since 2013 has.
let kernelFlags: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]
let optimisedFlags: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]

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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .target(
            name: "CVTPData", path: "Sources/CVTPData",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("z")]),
        /// ISA-specific C kernels (AVX-512, AVX-512-BF16) with function-level target attributes and run-time
        /// dispatch (no target-wide flags), and CPU feature detection.
        .target(name: "CVTPKernels", path: "Sources/CVTPKernels"),
        .target(name: "VTPTensor", dependencies: ["CDNNL", "CVTPKernels"], swiftSettings: kernelFlags),
        .target(name: "VTPNN", dependencies: ["VTPTensor"], swiftSettings: optimisedFlags),
        .target(name: "VTPModels", dependencies: ["VTPNN"], swiftSettings: optimisedFlags),
        .target(
            name: "VTPData", dependencies: ["VTPTensor", "CVTPData"],
            resources: [.copy("Resources/bpe_simple_vocab_16e6.txt.gz"), .copy("Resources/html5_entities.json")],
            swiftSettings: optimisedFlags),
        .target(name: "VTPEval", dependencies: ["VTPModels", "VTPData"], swiftSettings: optimisedFlags),
        .target(name: "VTPTraining", dependencies: ["VTPModels", "VTPData", "VTPEval", "Yams"], swiftSettings: optimisedFlags),
        .executableTarget(
            name: "vtp",
            dependencies: ["VTPModels", "VTPData", "VTPEval", "VTPTraining", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "vtp-bench", dependencies: ["VTPModels", "CVTPKernels"], path: "bench/swift", swiftSettings: optimisedFlags),
        .target(name: "VTPTestSupport", dependencies: ["VTPTensor"], path: "Tests/VTPTestSupport"),
        .testTarget(name: "VTPTensorTests", dependencies: ["VTPTensor", "VTPTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VTPNNTests", dependencies: ["VTPNN"]),
        .testTarget(name: "VTPModelsTests", dependencies: ["VTPModels", "VTPData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VTPEvalTests", dependencies: ["VTPEval"]),
        .testTarget(name: "VTPTrainingTests", dependencies: ["VTPTraining", "VTPTestSupport"]),
        .testTarget(name: "VTPDataTests", dependencies: ["VTPData"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
