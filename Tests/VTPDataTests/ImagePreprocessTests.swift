import Foundation
import Testing
@testable import VTPData

@Suite("Image preprocessing (official VTP pipelines)")
struct ImagePreprocessTests {
    static let smallBlob: [UInt8] = try! ImageFixtures.bytes(ImageFixtures.manifest.preprocess.blob)

    static func cases(_ kind: String) -> [ImageManifest.PreprocessCase] {
        ImageFixtures.manifest.preprocess.cases.filter { $0.kind == kind }
    }

    private func checkLegacy(_ out: RGBImage, _ c: ImageManifest.PreprocessCase, label: String) {
        #expect(ImageFixtures.fnv1a64(out.pixels) == c.legacy_fnv1a64, "\(label) with Pillow 12 pass order")
    }

    private func check(_ out: RGBImage, _ c: ImageManifest.PreprocessCase, expectedSide: Int, label: String) {
        #expect(out.width == expectedSide && out.height == expectedSide, "\(label): size \(out.width)x\(out.height)")
        if let offset = c.offset, let length = c.length {
            let expected = Array(Self.smallBlob[offset..<(offset + length)])
            #expect(Bool(out.pixels == expected), "\(label): \(ImageFixtures.firstDifference(out.pixels, expected, width: out.width))")
        }
        #expect(ImageFixtures.fnv1a64(out.pixels) == c.fnv1a64, "\(label): hash")
    }

    @Test(arguments: cases("adm"))
    func admCenterCropMatchesOfficial(_ c: ImageManifest.PreprocessCase) {
        let src = ImageFixtures.pattern(width: c.src_width, height: c.src_height, seed: c.seed)
        let out = Preprocess.centerCropADM(src, size: c.size!)
        check(out, c, expectedSide: c.size!, label: "ADM \(c.src_width)x\(c.src_height) -> \(c.size!)")
        checkLegacy(Preprocess.centerCropADM(src, size: c.size!, passOrder: .pillow12), c, label: "ADM")
    }

    @Test(arguments: cases("squash"))
    func squashResizeMatchesTorchvision(_ c: ImageManifest.PreprocessCase) {
        let src = ImageFixtures.pattern(width: c.src_width, height: c.src_height, seed: c.seed)
        let out = Preprocess.squashResize(src, size: c.size!)
        check(out, c, expectedSide: c.size!, label: "squash \(c.src_width)x\(c.src_height) -> \(c.size!)")
        checkLegacy(Preprocess.squashResize(src, size: c.size!, passOrder: .pillow12), c, label: "squash")
    }

    @Test(arguments: cases("linear_probe"))
    func resizeShorterCenterCropMatchesTorchvision(_ c: ImageManifest.PreprocessCase) {
        let src = ImageFixtures.pattern(width: c.src_width, height: c.src_height, seed: c.seed)
        let out = Preprocess.resizeShorterCenterCrop(src, resize: c.resize!, crop: c.crop!)
        check(out, c, expectedSide: c.crop!, label: "probe \(c.src_width)x\(c.src_height) -> \(c.resize!)/\(c.crop!)")
        checkLegacy(Preprocess.resizeShorterCenterCrop(src, resize: c.resize!, crop: c.crop!, passOrder: .pillow12),
                    c, label: "probe")
        let tensor = Preprocess.Pipeline.linearProbe(resize: c.resize!, crop: c.crop!).tensor(src)
        #expect(tensor.height == c.crop! && tensor.width == c.crop!)
        #expect(ImageFixtures.fnv1a64(floats: tensor.values) == c.normalized_fnv1a64, "normalized tensor hash")
    }

    /// ADM rounding uses Python's round (half to even): 22x16 -> size 12 scales by 0.75, 22 * 0.75 = 16.5 -> 16.
    @Test func admUsesBankersRounding() {
        let src = ImageFixtures.pattern(width: 22, height: 16, seed: 9)
        let viaHelper = Preprocess.centerCropADM(src, size: 12)
        let manual = try! src.resized(width: 16, height: 12, filter: .bicubic).cropped(x: 2, y: 0, width: 12, height: 12)
        #expect(viaHelper == manual)
    }

    /// torchvision's centre crop rounds (341 - 224) / 2 = 58.5 to 58.
    @Test func centerCropOffsetsRoundHalfToEven() throws {
        let img = ImageFixtures.pattern(width: 341, height: 256, seed: 2)
        let out = Preprocess.centerCrop(img, width: 224, height: 224)
        #expect(out == (try img.cropped(x: 58, y: 16, width: 224, height: 224)))
        let odd = ImageFixtures.pattern(width: 227, height: 229, seed: 2)  // 1.5 -> 2, 2.5 -> 2
        #expect(Preprocess.centerCrop(odd, width: 224, height: 224) == (try odd.cropped(x: 2, y: 2, width: 224, height: 224)))
    }

    @Test func shorterSideSizes() {
        let img = RGBImage(width: 500, height: 375)
        let out = Preprocess.resizeShorterSide(img, to: 256)
        #expect(out.width == 341 && out.height == 256)  // int(256 * 500 / 375) = int(341.33)
        let tall = Preprocess.resizeShorterSide(RGBImage(width: 300, height: 401), to: 256)
        #expect(tall.width == 256 && tall.height == 342)  // int(342.18)
        let same = ImageFixtures.pattern(width: 256, height: 300, seed: 1)
        #expect(Preprocess.resizeShorterSide(same, to: 256) == same)
    }

    @Test func normalizeMatchesTorchFloat32() throws {
        let m = ImageFixtures.manifest.normalize
        let src = RGBImage(width: m.width, height: m.height, pixels: try ImageFixtures.bytes(m.src))
        let expected = try ImageFixtures.floats(m.expected)
        let out = Preprocess.normalizedCHW(src)
        #expect(out.count == 3 * m.width * m.height)
        let mismatches = zip(out, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(mismatches) of \(out.count) values differ from numpy float32")
        // Spot value: channel 0 of 255 is (1 - 0.485) / 0.229.
        let white = Preprocess.normalizedCHW(RGBImage(width: 1, height: 1, fill: (255, 0, 128)))
        #expect(white[0] == (Float(1) - Float(0.485)) / Float(0.229))
        #expect(white[1] == (Float(0) - Float(0.456)) / Float(0.224))
    }

    @Test func denormalizeMatchesOfficialScript() throws {
        let m = ImageFixtures.manifest.normalize
        let input = try ImageFixtures.floats(m.denorm_input)
        let trunc = try Preprocess.imageFromNormalizedCHW(input, width: m.width, height: m.height)
        let expectedTrunc = try ImageFixtures.bytes(m.denorm_trunc)
        #expect(Bool(trunc.pixels == expectedTrunc), "\(ImageFixtures.firstDifference(trunc.pixels, expectedTrunc, width: m.width))")
        let round = try Preprocess.imageFromNormalizedCHW(input, width: m.width, height: m.height, quantization: .roundToNearest)
        let expectedRound = try ImageFixtures.bytes(m.denorm_round)
        #expect(Bool(round.pixels == expectedRound), "\(ImageFixtures.firstDifference(round.pixels, expectedRound, width: m.width))")
        #expect(trunc != round)  // the fixture contains values where the two differ
    }

    /// normalize -> denormalize recovers every byte value with rounding (truncation can lose 1).
    @Test func normalizeDenormalizeRoundTrip() throws {
        var px = [UInt8]()
        for v in 0...255 { px += [UInt8(v), UInt8(255 - v), UInt8((v * 7) % 256)] }
        let img = RGBImage(width: 16, height: 16, pixels: px)
        let x = Preprocess.normalizedCHW(img)
        #expect(try Preprocess.imageFromNormalizedCHW(x, width: 16, height: 16, quantization: .roundToNearest) == img)
        let truncated = try Preprocess.imageFromNormalizedCHW(x, width: 16, height: 16)
        #expect(zip(truncated.pixels, img.pixels).allSatisfy { $0 == $1 || $0 + 1 == $1 })
        #expect(throws: ImageError.self) { try Preprocess.imageFromNormalizedCHW(x, width: 15, height: 16) }
    }

    @Test func pipelinesCompose() {
        let src = ImageFixtures.pattern(width: 90, height: 60, seed: 4)
        let zs = Preprocess.Pipeline.zeroShot(size: 32).tensor(src)
        #expect(zs.values == Preprocess.normalizedCHW(src.resized(width: 32, height: 32, filter: .bilinear)))
        let rec = Preprocess.Pipeline.reconstruction(size: 24).prepare(src)
        #expect(rec == Preprocess.centerCropADM(src, size: 24))
        #expect(rec.width == 24 && rec.height == 24)
    }
}
