import Foundation
import Testing
@testable import VTPData
import VTPTensor

@Suite("Augment: DINOv2 multi-crop")
struct AugmentMultiCropTests {
    /// torchvision's global-crop-2 chain with pinned randomness, then ToTensor + Normalize.
    @Test func pinnedPipelineMatchesTorchvision() throws {
        let info = DataFixtures.augment["pipeline"] as! [String: Any]
        let p = info["params"] as! [String: Any]
        func d(_ k: String) -> Double { (p[k] as! NSNumber).doubleValue }
        func i(_ k: String) -> Int { (p[k] as! NSNumber).intValue }
        let src = DataFixtures.pattern(width: 64, height: 56, seed: 11)
        var img = RandomResizedCrop(size: i("size")).apply(src, box: CropBox(x: i("x"), y: i("y"), width: i("width"), height: i("height")))
        img = img.horizontallyFlipped()
        img = ColorJitter.apply(img, ColorJitter.Parameters(order: p["order"] as! [Int], brightness: d("brightness"),
                                                           contrast: d("contrast"), saturation: d("saturation"), hue: d("hue")))
        img = GaussianBlur.torchvision(img, kernelSize: 9, sigma: d("sigma"))
        img = ColorAdjust.solarize(img, threshold: 128)
        let expectedU8 = try DataFixtures.image(info["expected_u8"] as! String, width: i("size"), height: i("size"))
        let diff = byteDifference(img, expectedU8)
        #expect(diff.max <= 1 && diff.count <= 2, "\(diff)")
        let expected = try DataFixtures.floats(info["expected"] as! String)
        let got = Preprocess.normalizedCHW(img)
        #expect(got.count == expected.count)
        var exact = 0
        for k in 0..<got.count where got[k] == expected[k] { exact += 1 }
        #expect(exact >= got.count - 2 * diff.count)
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 0.02 })
    }

    static func smallConfig() -> MultiCropAugmentation.Config {
        var c = MultiCropAugmentation.Config()
        c.globalSize = 32
        c.localSize = 16
        c.localCropCount = 3
        return c
    }

    @Test func shapesDeterminismAndNormalisation() throws {
        let aug = try MultiCropAugmentation(config: Self.smallConfig())
        let img = DataFixtures.pattern(width: 64, height: 56, seed: 11)
        var r1 = RNG(seed: 77), r2 = RNG(seed: 77), r3 = RNG(seed: 78)
        let a = aug(img, rng: &r1), b = aug(img, rng: &r2), c = aug(img, rng: &r3)
        #expect(a.globalCrops.count == 2 && a.localCrops.count == 3)
        #expect(a.globalCrops.allSatisfy { $0.count == 3 * 32 * 32 })
        #expect(a.localCrops.allSatisfy { $0.count == 3 * 16 * 16 })
        #expect(a.globalCrops == b.globalCrops && a.localCrops == b.localCrops)
        #expect(a.globalCrops != c.globalCrops)
        // Values are ImageNet-normalised bytes: within [(0 - mean) / std, (1 - mean) / std].
        let lo = (0 - 0.485) / 0.229 - 1e-4, hi = (1 - 0.406) / 0.225 + 1e-4
        #expect(a.globalCrops.joined().allSatisfy { Double($0) >= lo && Double($0) <= hi })
        // The normalised crops are exactly normalizedCHW of the 8-bit crops.
        var r4 = RNG(seed: 77)
        let (g, l) = aug.crops(img, rng: &r4)
        #expect(g.map { Preprocess.normalizedCHW($0) } == a.globalCrops)
        #expect(l.map { Preprocess.normalizedCHW($0) } == a.localCrops)
    }

    @Test func configurationIsValidatedAndCodable() throws {
        var c = Self.smallConfig()
        c.globalSolarizeProbabilities = [0.2]
        #expect(throws: DatasetError.self) { try MultiCropAugmentation(config: c) }
        c = Self.smallConfig()
        c.localScale = [0.5, 0.1]
        #expect(throws: DatasetError.self) { try MultiCropAugmentation(config: c) }
        c = Self.smallConfig()
        c.blurKernelSize = 4
        #expect(throws: DatasetError.self) { try MultiCropAugmentation(config: c) }
        let json = try JSONEncoder().encode(MultiCropAugmentation.Config.dinov2AsReleased)
        let back = try JSONDecoder().decode(MultiCropAugmentation.Config.self, from: json)
        #expect(back == .dinov2AsReleased && back.globalBlurProbabilities == [0.0, 0.9])
        #expect(MultiCropAugmentation.Config.dinov2.globalBlurProbabilities == [1.0, 0.1])
        #expect(MultiCropAugmentation.Config.dinov2.globalScale == [0.32, 1.0] && MultiCropAugmentation.Config.dinov2.localCropCount == 8)
        // Three global crops when asked for.
        c = Self.smallConfig()
        c.globalBlurProbabilities = [1, 0, 0.5]
        c.globalSolarizeProbabilities = [0, 0, 0]
        var rng = RNG(seed: 1)
        #expect(try MultiCropAugmentation(config: c)(DataFixtures.pattern(width: 40, height: 40, seed: 1), rng: &rng).globalCrops.count == 3)
    }

    /// With geometry and colour switched off each crop is the image itself, so blur and solarisation
    /// show up as changes: their frequencies must match the configured probabilities.
    @Test func perCropProbabilities() throws {
        var c = MultiCropAugmentation.Config()
        c.globalSize = 24
        c.localSize = 24
        c.localCropCount = 2
        c.globalScale = [1, 1]
        c.localScale = [1, 1]
        c.ratio = [1, 1]
        c.flipProbability = 0
        c.colorJitterProbability = 0
        c.grayscaleProbability = 0
        c.globalBlurProbabilities = [1.0, 0.1]
        c.globalSolarizeProbabilities = [0.0, 0.2]
        c.localBlurProbability = 0.5
        c.blurSigma = [0.8, 2.0]  // tiny sigmas leave this image unchanged
        let aug = try MultiCropAugmentation(config: c)
        let img = DataFixtures.pattern(width: 24, height: 24, seed: 5)
        let solarized = ColorAdjust.solarize(img)
        var changed = [0, 0, 0, 0]
        var solar = 0
        var rng = RNG(seed: 99)
        let n = 600
        for _ in 0..<n {
            let (g, l) = aug.crops(img, rng: &rng)
            for (k, out) in (g + l).enumerated() where out != img { changed[k] += 1 }
            if g[1] == solarized { solar += 1 }
        }
        #expect(changed[0] == n)  // always blurred
        // Crop 2: blurred with p 0.1, solarised with p 0.2 (changed unless neither: 1 - 0.9·0.8 = 0.28).
        #expect(abs(Double(changed[1]) / Double(n) - 0.28) < 0.06)
        #expect(abs(Double(solar) / Double(n) - 0.2 * 0.9) < 0.05)
        #expect(abs(Double(changed[2]) / Double(n) - 0.5) < 0.07)
        #expect(abs(Double(changed[3]) / Double(n) - 0.5) < 0.07)
        // As released, global crop 1 is never blurred.
        var released = c
        released.globalBlurProbabilities = MultiCropAugmentation.Config.dinov2AsReleased.globalBlurProbabilities
        let aug2 = try MultiCropAugmentation(config: released)
        var unchanged = 0
        for _ in 0..<50 where aug2.crops(img, rng: &rng).global[0] == img { unchanged += 1 }
        #expect(unchanged == 50)
    }
}
