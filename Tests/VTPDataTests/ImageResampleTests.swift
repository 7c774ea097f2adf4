import Foundation
import Testing
@testable import VTPData

@Suite("Image resampling (bit-exact vs Pillow)")
struct ImageResampleTests {
    static let source: RGBImage = {
        let m = ImageFixtures.manifest.source
        let raw = try! ImageFixtures.bytes(m.raw)
        return RGBImage(width: m.width, height: m.height, pixels: raw)
    }()

    static let blob: [UInt8] = try! ImageFixtures.bytes(ImageFixtures.manifest.resize.blob)

    @Test(arguments: ImageFixtures.manifest.resize.cases.filter { $0.box == nil })
    func resizeMatchesPillow(_ c: ImageManifest.ResizeCase) {
        let filter = ResampleFilter(fixtureName: c.filter)
        let out = Self.source.resized(width: c.width, height: c.height, filter: filter)
        let expected = Array(Self.blob[c.offset..<(c.offset + c.length)])
        #expect(out.width == c.width && out.height == c.height)
        #expect(Bool(out.pixels == expected),
                "\(c.filter) 31x23 -> \(c.width)x\(c.height): \(ImageFixtures.firstDifference(out.pixels, expected, width: c.width))")
    }

    /// Pillow <= 12 ran the horizontal pass first; the fixture hashes come from chaining two one-axis
    /// Pillow resizes (checked against a real Pillow 12.3 by `make_image_fixtures.py --check-legacy`).
    @Test(arguments: ImageFixtures.manifest.resize.cases.filter { $0.box == nil })
    func resizeMatchesPillow12PassOrder(_ c: ImageManifest.ResizeCase) {
        let out = Self.source.resized(width: c.width, height: c.height, filter: ResampleFilter(fixtureName: c.filter),
                                      passOrder: .pillow12)
        #expect(ImageFixtures.fnv1a64(out.pixels) == c.legacy_fnv1a64, "\(c.filter) 31x23 -> \(c.width)x\(c.height)")
    }

    /// The fixture set must contain sizes where the two orders really differ, or the tests above prove nothing.
    @Test func fixturesExerciseBothPassOrders() {
        let sensitive = ImageFixtures.manifest.resize.cases.filter { $0.order_matters == true }
        #expect(sensitive.count >= 3)
        for c in sensitive {
            let f = ResampleFilter(fixtureName: c.filter)
            #expect(Self.source.resized(width: c.width, height: c.height, filter: f, passOrder: .pillow12)
                    != Self.source.resized(width: c.width, height: c.height, filter: f, passOrder: .pillow13))
        }
    }

    @Test func passOrderRule() {
        let p = ResamplePassOrder.pillow13
        #expect(p.verticalFirst(inWidth: 31, inHeight: 23, outWidth: 45, outHeight: 13))   // width grows, height shrinks
        #expect(!p.verticalFirst(inWidth: 31, inHeight: 23, outWidth: 15, outHeight: 11))  // 12 > 2 * 16 is false
        #expect(p.verticalFirst(inWidth: 375, inHeight: 500, outWidth: 256, outHeight: 256)) // 244 > 238
        #expect(!p.verticalFirst(inWidth: 500, inHeight: 375, outWidth: 256, outHeight: 256))
        #expect(!p.verticalFirst(inWidth: 31, inHeight: 23, outWidth: 62, outHeight: 24))  // height grows
        #expect(!ResamplePassOrder.pillow12.verticalFirst(inWidth: 31, inHeight: 23, outWidth: 45, outHeight: 13))
    }

    @Test(arguments: ImageFixtures.manifest.resize.cases.filter { $0.box != nil })
    func resizeWithBoxMatchesPillow(_ c: ImageManifest.ResizeCase) {
        let b = c.box!
        let box = ResampleBox(x0: b[0], y0: b[1], x1: b[2], y1: b[3])
        let out = Self.source.resized(width: c.width, height: c.height, filter: ResampleFilter(fixtureName: c.filter), box: box)
        let expected = Array(Self.blob[c.offset..<(c.offset + c.length)])
        #expect(Bool(out.pixels == expected),
                "\(c.filter) box \(b) -> \(c.width)x\(c.height): \(ImageFixtures.firstDifference(out.pixels, expected, width: c.width))")
    }

    @Test(arguments: ImageFixtures.manifest.resize_hashed)
    func largeResizeMatchesPillowHash(_ c: ImageManifest.HashedResize) {
        let src = ImageFixtures.pattern(width: c.src_width, height: c.src_height, seed: c.seed)
        let out = src.resized(width: c.width, height: c.height, filter: ResampleFilter(fixtureName: c.filter))
        #expect(ImageFixtures.fnv1a64(out.pixels) == c.fnv1a64,
                "\(c.filter) \(c.src_width)x\(c.src_height) -> \(c.width)x\(c.height)")
        let legacy = src.resized(width: c.width, height: c.height, filter: ResampleFilter(fixtureName: c.filter),
                                 passOrder: .pillow12)
        #expect(ImageFixtures.fnv1a64(legacy.pixels) == c.legacy_fnv1a64,
                "Pillow 12 order: \(c.filter) \(c.src_width)x\(c.src_height) -> \(c.width)x\(c.height)")
    }

    @Test(arguments: ImageFixtures.manifest.float_resize.cases)
    func floatResizeMatchesPillowModeF(_ c: ImageManifest.ResizeCase) throws {
        let m = ImageFixtures.manifest.float_resize
        let src = try ImageFixtures.floats(m.source)
        let blob = try ImageFixtures.bytes(m.blob)
        let expected = ImageFixtures.floats(fromLittleEndian: blob[c.offset..<(c.offset + c.length)])
        let out = Resampler.resizePlanar(src, channels: 1, width: m.width, height: m.height,
                                         outWidth: c.width, outHeight: c.height, filter: ResampleFilter(fixtureName: c.filter))
        #expect(out.count == expected.count)
        let mismatches = zip(out, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(c.filter) F 19x13 -> \(c.width)x\(c.height): \(mismatches) values differ")
    }

    @Test func planarChannelsAreIndependent() throws {
        let m = ImageFixtures.manifest.float_resize
        let plane = try ImageFixtures.floats(m.source)
        let shifted = plane.map { $0 * 2 + 1 }
        let both = Resampler.resizePlanar(plane + shifted, channels: 2, width: m.width, height: m.height,
                                          outWidth: 8, outHeight: 21, filter: .bicubic)
        let first = Resampler.resizePlanar(plane, channels: 1, width: m.width, height: m.height,
                                           outWidth: 8, outHeight: 21, filter: .bicubic)
        let second = Resampler.resizePlanar(shifted, channels: 1, width: m.width, height: m.height,
                                            outWidth: 8, outHeight: 21, filter: .bicubic)
        #expect(both == first + second)
    }

    @Test func sameSizeIsIdentity() {
        for f in ResampleFilter.allCases {
            #expect(Self.source.resized(width: 31, height: 23, filter: f) == Self.source)
        }
    }

    /// A constant image stays constant under every filter (weights are normalised), up or down.
    @Test func constantImageStaysConstant() {
        let flat = RGBImage(width: 17, height: 9, fill: (200, 7, 129))
        for f in ResampleFilter.allCases {
            for (w, h) in [(5, 4), (40, 33), (17, 2)] {
                let out = flat.resized(width: w, height: h, filter: f)
                #expect(out == RGBImage(width: w, height: h, fill: (200, 7, 129)), "\(f) -> \(w)x\(h)")
            }
        }
    }

    /// Downscaling by 2 with BOX averages pairs per pass, each pass rounded half up to 8 bits.
    @Test func boxHalvingAveragesBlocks() {
        var px = [UInt8](repeating: 0, count: 4 * 2 * 3)
        let values: [UInt8] = [10, 20, 30, 41, 50, 60, 70, 80]
        for i in 0..<8 { px[i * 3] = values[i] }
        let img = RGBImage(width: 4, height: 2, pixels: px)
        let out = img.resized(width: 2, height: 1, filter: .box)
        // Left block: rows (10+20)/2 = 15, (50+60)/2 = 55, then (15+55)/2 = 35.
        // Right block: rows (30+41)/2 = 35.5 -> 36, (70+80)/2 = 75, then (36+75)/2 = 55.5 -> 56 (not 55.25 -> 55:
        // the intermediate is rounded, as in Pillow).
        #expect(out.pixels[0] == 35)
        #expect(out.pixels[3] == 56)
    }

    @Test func kernelWeightsSumToOne() {
        for f in ResampleFilter.allCases where f != .nearest {
            for (inSize, outSize) in [(100, 7), (7, 100), (33, 32)] {
                let k = ResampleKernel(inSize: inSize, in0: 0, in1: Float(inSize), outSize: outSize, filter: f)
                for i in 0..<outSize {
                    let s = (0..<k.count[i]).reduce(0.0) { $0 + k.weights[i * k.stride + $1] }
                    #expect(abs(s - 1) < 1e-12, "\(f) \(inSize)->\(outSize) sample \(i)")
                }
            }
        }
    }
}
