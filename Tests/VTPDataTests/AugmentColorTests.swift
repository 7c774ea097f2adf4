import Foundation
import Testing
@testable import VTPData
import VTPTensor

/// Cases of make_augment_fixtures.py: torchvision's functional ops on a PIL image.
struct AugmentCase: CustomStringConvertible {
    let op: String
    let params: [String: Any]
    let file: String
    let width: Int
    let height: Int

    var description: String { "\(op) \(params)" }

    static func all(_ op: String) -> [AugmentCase] {
        (DataFixtures.augment["cases"] as! [[String: Any]]).filter { $0["op"] as! String == op }.map {
            AugmentCase(op: $0["op"] as! String, params: $0["params"] as! [String: Any], file: $0["file"] as! String,
                        width: $0["width"] as! Int, height: $0["height"] as! Int)
        }
    }

    func double(_ key: String) -> Double { (params[key] as! NSNumber).doubleValue }
    func int(_ key: String) -> Int { (params[key] as! NSNumber).intValue }
    func expected() throws -> RGBImage { try DataFixtures.image(file, width: width, height: height) }

    static var source: RGBImage { DataFixtures.pattern(width: 48, height: 40, seed: 7) }
}

/// Number of bytes that differ and the largest difference.
func byteDifference(_ a: RGBImage, _ b: RGBImage) -> (count: Int, max: Int) {
    precondition(a.width == b.width && a.height == b.height)
    var count = 0, worst = 0
    for i in 0..<a.pixels.count where a.pixels[i] != b.pixels[i] {
        count += 1
        worst = max(worst, abs(Int(a.pixels[i]) - Int(b.pixels[i])))
    }
    return (count, worst)
}

@Suite("Augment: colour (Pillow-exact)")
struct AugmentColorTests {
    @Test(arguments: ["brightness", "contrast", "saturation", "hue"])
    func adjustmentsMatchTorchvisionExactly(op: String) throws {
        let cases = AugmentCase.all(op)
        #expect(cases.count >= 5)
        for c in cases {
            let f = c.double("factor")
            let out: RGBImage
            switch op {
            case "brightness": out = ColorAdjust.brightness(AugmentCase.source, f)
            case "contrast": out = ColorAdjust.contrast(AugmentCase.source, f)
            case "saturation": out = ColorAdjust.saturation(AugmentCase.source, f)
            default: out = ColorAdjust.hue(AugmentCase.source, f)
            }
            let diff = byteDifference(out, try c.expected())
            #expect(diff.count == 0, "\(c): \(diff.count) bytes differ (max \(diff.max))")
        }
    }

    @Test func grayscaleAndSolarize() throws {
        let gray = AugmentCase.all("grayscale")[0]
        #expect(ColorAdjust.grayscale(AugmentCase.source) == (try gray.expected()))
        for c in AugmentCase.all("solarize") {
            #expect(ColorAdjust.solarize(AugmentCase.source, threshold: c.int("threshold")) == (try c.expected()), "\(c)")
        }
    }

    @Test func colorJitterWithFixedParameters() throws {
        for c in AugmentCase.all("jitter") {
            let p = ColorJitter.Parameters(order: c.params["order"] as! [Int], brightness: c.double("brightness"),
                                           contrast: c.double("contrast"), saturation: c.double("saturation"),
                                           hue: c.double("hue"))
            let out = ColorJitter.apply(AugmentCase.source, p)
            let diff = byteDifference(out, try c.expected())
            #expect(diff.count == 0, "\(c): \(diff.count) bytes differ")
        }
    }

    /// Every 24-bit colour, compared with Pillow through two order-sensitive sums.
    @Test func wholeColourCube() throws {
        let cube = DataFixtures.colourCube()
        for digest in DataFixtures.augment["cube_digests"] as! [[String: Any]] {
            let f = (digest["factor"] as! NSNumber).doubleValue
            let out: RGBImage
            switch digest["op"] as! String {
            case "hue": out = ColorAdjust.hue(cube, f)
            case "saturation": out = ColorAdjust.saturation(cube, f)
            case "contrast": out = ColorAdjust.contrast(cube, f)
            default: out = ColorAdjust.brightness(cube, f)
            }
            let (sum, weighted) = DataFixtures.sumHash(out.pixels)
            #expect(sum == (digest["sum"] as! NSNumber).uint64Value, "\(digest)")
            #expect(weighted == (digest["weighted"] as! NSNumber).uint64Value, "\(digest)")
        }
    }

    @Test func hsvRoundTripKeepsMostColours() {
        // Pillow's 8-bit HSV is lossy, but greys and primaries survive exactly.
        for v in [0, 1, 128, 255] as [UInt8] {
            let (h, s, vv) = ColorAdjust.rgbToHSV(v, v, v)
            #expect(h == 0 && s == 0 && vv == v)
            #expect(ColorAdjust.hsvToRGB(h, s, vv) == (v, v, v))
        }
        #expect(ColorAdjust.rgbToHSV(255, 0, 0) == (0, 255, 255))
        #expect(ColorAdjust.hsvToRGB(0, 255, 255) == (255, 0, 0))
        #expect(ColorAdjust.hue(AugmentCase.source, 0) == AugmentCase.all("hue").first { $0.double("factor") == 0 }.map { try! $0.expected() })
    }

    @Test func jitterParameterDistribution() {
        let jitter = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1)
        #expect(jitter.brightness == 0.6...1.4 && jitter.saturation == 0.8...1.2 && jitter.hue == -0.1...0.1)
        #expect(ColorJitter(brightness: 1.5).brightness == 0...2.5)
        #expect(ColorJitter().brightness == nil && ColorJitter().hue == nil)
        var rng = RNG(seed: 9)
        var firsts = [Int](repeating: 0, count: 4)
        var hues: [Double] = []
        for _ in 0..<4000 {
            let p = jitter.parameters(rng: &rng)
            #expect(p.order.sorted() == [0, 1, 2, 3])
            firsts[p.order[0]] += 1
            #expect(jitter.brightness!.contains(p.brightness!) && jitter.contrast!.contains(p.contrast!))
            #expect(jitter.saturation!.contains(p.saturation!))
            hues.append(p.hue!)
        }
        #expect(firsts.allSatisfy { abs($0 - 1000) < 150 })
        let mean = hues.reduce(0, +) / Double(hues.count)
        #expect(abs(mean) < 0.005)
        #expect(hues.min()! < -0.095 && hues.max()! > 0.095)
        // Off adjustments draw nothing and change nothing.
        var r2 = RNG(seed: 1)
        let off = ColorJitter().parameters(rng: &r2)
        #expect(off.brightness == nil && off.hue == nil)
        #expect(ColorJitter.apply(AugmentCase.source, off) == AugmentCase.source)
    }

    @Test func randomGrayscaleAndSolarizeProbabilities() {
        var rng = RNG(seed: 2)
        let img = AugmentCase.source
        let gray = RandomGrayscale(probability: 0.2)
        let sol = RandomSolarize(threshold: 128, probability: 0.3)
        var g = 0, s = 0
        for _ in 0..<2000 {
            if gray(img, rng: &rng) != img { g += 1 }
            if sol(img, rng: &rng) != img { s += 1 }
        }
        #expect(abs(g - 400) < 70)
        #expect(abs(s - 600) < 80)
    }
}
