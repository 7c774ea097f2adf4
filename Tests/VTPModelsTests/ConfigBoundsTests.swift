import Foundation
import Testing
@testable import VTPModels

/// Regression (baseline fuzzing campaign): sizes in a config.json or train YAML near 2^63 overflowed in
/// `validate()`, negative or huge depths trapped or hung, and models of 21 GB–281 TB reached the allocator.
/// Every such size is now refused by `validate()` with the field named, before anything is allocated.
@Suite struct ConfigBoundsTests {
    static func problems(_ edit: (inout VTPConfig) -> Void) -> [String] {
        var c = VTPConfig.preset("tiny")!
        edit(&c)
        do { try c.validate(); return [] } catch VTPError.invalidConfig(let p) { return p } catch { return ["\(error)"] }
    }

    @Test func hugeSizesAreRefusedByName() {
        let cases: [(String, (inout VTPConfig) -> Void)] = [
            ("vision_depth", { $0.visionDepth = Int.max }),
            ("vision_num_heads", { $0.visionNumHeads = 1 << 62 }),
            ("decoder_num_heads", { $0.decoderNumHeads = 1 << 62 }),
            ("vision_patch_size", { $0.visionPatchSize = 1 << 62 }),
            ("text_context_length", { $0.textContextLength = Int.max }),
            ("vision_mlp_ratio", { $0.visionMlpRatio = 1e300 }),
            // Fuzzing (config-json, 2026-12-03): a negative ratio reached the text tower as a negative Linear width.
            ("text_mlp_ratio", { $0.textMlpRatio = -6 }),
            ("vision_mlp_ratio", { $0.visionMlpRatio = 0 }),
            ("text_mlp_ratio", { $0.textMlpRatio = 0.001 }),
            // Fuzzing (config-json, second finding): a negative text depth trapped building the text tower's range.
            ("text_depth", { $0.textDepth = -2 }),
            ("vision_depth", { $0.visionDepth = -3 }),
            ("parameters", { ($0.visionEmbedDim, $0.visionDepth, $0.visionNumHeads) = (60_000, 1000, 1000) }),
        ]
        for (field, edit) in cases {
            let p = Self.problems(edit)
            #expect(p.contains { $0.contains(field) }, "\(field): \(p)")
        }
        #expect(Self.problems { _ in }.isEmpty)
    }

    /// The size estimate that guards allocation is close to the real count (within 15%) for the presets.
    @Test func estimateIsCloseToTheRealParameterCount() throws {
        for name in ["tiny", "small"] {
            let c = try #require(VTPConfig.preset(name))
            let real = Double(try VTPModel(config: c, seed: 0).parameterCount)
            #expect(abs(c.estimatedParameterCount - real) / real < 0.15, "\(name): estimate \(c.estimatedParameterCount), real \(real)")
        }
    }

    /// The domain classifier's count without building is exact, and a classifier larger than the machine
    /// (1024² images, 1024 channels, 65,536 features: ~2.8·10^13 parameters) is refused with its size.
    @Test func domainClassifierSizeIsCheckedBeforeAllocation() throws {
        var c = DomainClassifierConfig()
        for (side, channels, features) in [(28, [16, 32], 256), (32, [3, 5, 7], 11)] {
            (c.imageSize, c.channels, c.featureDimension) = (side, channels, features)
            #expect(Double(try DomainClassifier(config: c).parameterCount) == c.estimatedParameterCount, "\(channels)")
        }
        (c.imageSize, c.channels, c.featureDimension) = (1024, [1024], 65_536)
        do {
            try c.validate()
            Issue.record("a 2.8e13-parameter classifier passed validation")
        } catch VTPError.invalidConfig(let p) {
            #expect(p.joined().contains("parameters"), "\(p)")
        }
    }

    /// The inputs the config-json fuzzer crashed on (2026-12-03): `text_mlp_ratio` −6 passed validation and
    /// `VTPModel(config:)` trapped on a negative Linear width; `text_depth` −2 trapped on the text tower's block
    /// range. Now named errors, and no model is built.
    @Test(arguments: [("config-json-negative-text-mlp-ratio.json", "text_mlp_ratio (-6.0)"),
                      ("config-json-negative-text-depth.json", "text_depth must not be negative")])
    func fuzzFindingsAreErrors(file: String, problem: String) throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("fuzz-findings/\(file)")
        do {
            _ = try VTPConfig.load(from: url)
            Issue.record("the fuzz finding \(file) loaded")
        } catch VTPError.invalidConfig(let p) {
            #expect(p.contains { $0.contains(problem) }, "\(p)")
        }
    }
}
