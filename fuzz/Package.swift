// swift-tools-version:6.0
import PackageDescription

/// libFuzzer harnesses for SwiftVTP's parsers, kept out of the main package so that its normal build and tests
/// never see them. One executable holds every target (`VTP_FUZZ_TARGET` picks one; `scripts/fuzz.sh` sets it);
/// it is built by `scripts/fuzz.sh` with `--sanitize=fuzzer --sanitize=address` into `.build-fuzz`, which
/// instruments the library targets (Swift and C) it depends on as well.
let package = Package(
    name: "SwiftVTPFuzz",
    dependencies: [.package(name: "SwiftVTP", path: "..")],
    targets: [
        .executableTarget(
            name: "vtp-fuzz",
            dependencies: [
                .product(name: "VTPTensor", package: "SwiftVTP"),
                .product(name: "VTPModels", package: "SwiftVTP"),
                .product(name: "VTPData", package: "SwiftVTP"),
                .product(name: "VTPTraining", package: "SwiftVTP"),
            ],
            // libFuzzer supplies `main`; the sources only export `LLVMFuzzerTestOneInput`.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v5]
)
