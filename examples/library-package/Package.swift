// swift-tools-version:6.0
// A package that uses SwiftVTP as a library: reconstructs images through a VTP tokenizer and prints PSNR.
// Built by the test script (scripts/test.sh) so that depending on SwiftVTP keeps working.
import PackageDescription

let package = Package(
    name: "ReconstructExample",
    platforms: [.macOS(.v13)],
    dependencies: [
        // In your own package: .package(url: "https://<host>/<owner>/SwiftVTP.git", from: "<version>") or a branch.
        .package(name: "SwiftVTP", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "reconstruct", dependencies: [
            .product(name: "VTPEval", package: "SwiftVTP"),
            .product(name: "VTPModels", package: "SwiftVTP"),
        ]),
    ]
)
