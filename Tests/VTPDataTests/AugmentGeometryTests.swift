import Foundation
import Testing
@testable import VTPData
import VTPTensor

@Suite("Augment: blur and geometry")
struct AugmentGeometryTests {
    @Test func pilGaussianBlurIsBitExact() throws {
        let cases = AugmentCase.all("pil_blur")
        #expect(cases.count == 6)
        for c in cases {
            let out = GaussianBlur.pil(AugmentCase.source, radius: c.double("radius"))
            let diff = byteDifference(out, try c.expected())
            #expect(diff.count == 0, "\(c): \(diff.count) bytes differ (max \(diff.max))")
        }
        #expect(GaussianBlur.pil(AugmentCase.source, radius: 0) == AugmentCase.source)
    }

    @Test func torchvisionGaussianBlurMatchesUpToFloatTies() throws {
        let cases = AugmentCase.all("tv_blur")
        #expect(cases.count == 6)
        for c in cases {
            let out = GaussianBlur.torchvision(AugmentCase.source, kernelSize: c.int("kernel"), sigma: c.double("sigma"))
            let diff = byteDifference(out, try c.expected())
            // torch sums in float32 in its own order; only values within ~1e-5 of a .5 can round differently.
            #expect(diff.max <= 1, "\(c)")
            #expect(diff.count <= 3, "\(c): \(diff.count) bytes differ")
        }
    }

    @Test func gaussianKernelMatchesTorchvision() {
        let k = GaussianBlur.kernel1D(size: 9, sigma: 1.0)
        #expect(k.count == 9)
        #expect(abs(k.reduce(0, +) - 1) < 1e-6)
        #expect(k[4] > k[3] && k[3] == k[5] && k[0] == k[8])
        // torch: _get_gaussian_kernel1d(9, 1.0)[4] = 0.39894348
        #expect(abs(k[4] - 0.398_943_48) < 1e-6)
        // Small images: reflect padding wraps repeatedly instead of failing.
        let tiny = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 255, 255, 255])
        let blurred = GaussianBlur.torchvision(tiny, kernelSize: 9, sigma: 2)
        #expect(blurred.width == 2 && blurred.pixels[0] > 0 && blurred.pixels[3] < 255)
    }

    @Test func pillowBoxRadius() {
        // _gaussian_blur_radius(0.1, 3) and (2.0, 3) in float32.
        #expect(GaussianBlur.boxRadius(forGaussianRadius: 0.1) == 0.001_672_240_9)
        #expect(GaussianBlur.boxRadius(forGaussianRadius: 2.0) == 1.375)
    }

    @Test func randomBlurProbabilityAndSigmaRange() {
        var rng = RNG(seed: 4)
        let blur = RandomGaussianBlur(probability: 0.3, sigma: 0.1...2.0)
        var applied = 0
        var sigmas: [Double] = []
        for _ in 0..<3000 {
            if let s = blur.sampleSigma(rng: &rng) {
                applied += 1
                sigmas.append(s)
            }
        }
        #expect(abs(applied - 900) < 90)
        #expect(sigmas.allSatisfy { $0 >= 0.1 && $0 <= 2.0 })
        #expect(abs(sigmas.reduce(0, +) / Double(sigmas.count) - 1.05) < 0.05)
        var r1 = RNG(seed: 1)
        #expect(RandomGaussianBlur(probability: 0)(AugmentCase.source, rng: &r1) == AugmentCase.source)
        #expect(RandomGaussianBlur(probability: 1, kind: .pil)(AugmentCase.source, rng: &r1) != AugmentCase.source)
    }

    @Test func resizedCropWithFixedBoxMatchesTorchvision() throws {
        for c in AugmentCase.all("resized_crop") {
            let crop = RandomResizedCrop(size: c.int("size"))
            let box = CropBox(x: c.int("x"), y: c.int("y"), width: c.int("width"), height: c.int("height"))
            let out = crop.apply(AugmentCase.source, box: box)
            #expect(out == (try c.expected()), "\(c)")
        }
    }

    @Test func cropFallbackMatchesTorchvision() {
        for f in DataFixtures.augment["crop_fallback"] as! [[String: Any]] {
            let w = f["width"] as! Int, h = f["height"] as! Int
            var rng = RNG(seed: 0)
            // scale > 1 makes every try fail, as in the fixture.
            let box = RandomResizedCrop.parameters(imageWidth: w, imageHeight: h, scale: 2.0...3.0,
                                                   ratio: (3.0 / 4)...(4.0 / 3), rng: &rng)
            #expect(box == CropBox(x: f["x"] as! Int, y: f["y"] as! Int, width: f["crop_width"] as! Int,
                                   height: f["crop_height"] as! Int), "\(f)")
        }
    }

    @Test func randomResizedCropDistribution() {
        var rng = RNG(seed: 12)
        let (w, h) = (200, 150)
        var fractions: [Double] = []
        var logRatios: [Double] = []
        for _ in 0..<3000 {
            let b = RandomResizedCrop.parameters(imageWidth: w, imageHeight: h, scale: 0.32...1.0,
                                                 ratio: (3.0 / 4)...(4.0 / 3), rng: &rng)
            #expect(b.x >= 0 && b.y >= 0 && b.x + b.width <= w && b.y + b.height <= h && b.width > 0 && b.height > 0)
            fractions.append(Double(b.width * b.height) / Double(w * h))
            logRatios.append(log(Double(b.width) / Double(b.height)))
        }
        // Rounding to whole pixels moves areas and ratios by a little.
        #expect(fractions.allSatisfy { $0 >= 0.31 && $0 <= 1.0 })
        #expect(logRatios.allSatisfy { abs($0) <= log(4.0 / 3) + 0.02 })
        // Accepted draws are uniform in area, minus those that do not fit (large areas at extreme ratios).
        let small = fractions.filter { $0 < 0.5 }.count
        #expect(small > 800 && small < 1300)
        // Local crops: scale (0.05, 0.32).
        for _ in 0..<500 {
            let b = RandomResizedCrop.parameters(imageWidth: w, imageHeight: h, scale: 0.05...0.32,
                                                 ratio: (3.0 / 4)...(4.0 / 3), rng: &rng)
            let f = Double(b.width * b.height) / Double(w * h)
            #expect(f > 0.04 && f < 0.34)
        }
        let crop = RandomResizedCrop(size: 24, scale: 0.32...1.0)
        #expect(crop(AugmentCase.source, rng: &rng).width == 24)
    }

    @Test func horizontalFlipProbability() {
        var rng = RNG(seed: 3)
        let flip = RandomHorizontalFlip(probability: 0.5)
        let img = AugmentCase.source
        let flipped = img.horizontallyFlipped()
        var n = 0
        for _ in 0..<2000 {
            let out = flip(img, rng: &rng)
            #expect(out == img || out == flipped)
            if out == flipped { n += 1 }
        }
        #expect(abs(n - 1000) < 110)
    }
}
