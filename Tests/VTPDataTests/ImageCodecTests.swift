import Foundation
import Testing
@testable import VTPData

@Suite("Image codecs (PNG/JPEG vs Pillow)")
struct ImageCodecTests {
    static func tempDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-image-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func pngFixtureDecodesToRawPixels() throws {
        let m = ImageFixtures.manifest.source
        let img = try RGBImage.load(ImageFixtures.url(m.png))
        #expect(img.width == m.width && img.height == m.height)
        #expect(img.pixels == (try ImageFixtures.bytes(m.raw)))
    }

    @Test func pngRoundTripIsExact() throws {
        for (w, h, seed) in [(1, 1, 1), (31, 23, 2), (200, 3, 3), (3, 150, 4)] {
            let img = ImageFixtures.pattern(width: w, height: h, seed: seed)
            let bytes = try img.encode(.png)
            #expect(ImageContainer.sniff(bytes) == .png)
            #expect(try RGBImage.decode(bytes) == img)
        }
    }

    @Test(arguments: ImageFixtures.manifest.png_modes)
    func pngColourTypesMatchPillowConvertRGB(_ c: ImageManifest.DecodeCase) throws {
        let img = try RGBImage.load(ImageFixtures.url(c.file))
        let expected = try ImageFixtures.bytes(c.expected)
        #expect(img.width == c.width && img.height == c.height)
        #expect(Bool(img.pixels == expected),
                "\(c.file) (Pillow mode \(c.pil_mode)): \(ImageFixtures.firstDifference(img.pixels, expected, width: c.width))")
    }

    @Test(arguments: ImageFixtures.manifest.jpeg_decode)
    func jpegDecodeMatchesPillowExactly(_ c: ImageManifest.DecodeCase) throws {
        let img = try RGBImage.load(ImageFixtures.url(c.file))
        let expected = try ImageFixtures.bytes(c.expected)
        #expect(img.width == c.width && img.height == c.height)
        #expect(Bool(img.pixels == expected),
                "\(c.file) (Pillow mode \(c.pil_mode)): \(ImageFixtures.firstDifference(img.pixels, expected, width: c.width))")
    }

    /// Our encoder uses Pillow's settings (4:2:0, standard tables scaled by quality, JFIF), so decoding
    /// our bytes and Pillow's bytes gives the same pixels.
    @Test(arguments: ImageFixtures.manifest.jpeg_encode)
    func jpegEncodeMatchesPillowEncoder(_ c: ImageManifest.EncodeCase) throws {
        let raw = try ImageFixtures.bytes(c.source_jpeg_raw)
        let source = RGBImage(width: 45, height: 31, pixels: raw)
        let ours = try source.encode(.jpeg(quality: c.quality))
        let pillow = try ImageFixtures.bytes(c.file)
        #expect(ImageContainer.sniff(ours) == .jpeg)
        #expect(try RGBImage.decode(ours) == RGBImage.decode(pillow), "quality \(c.quality)")
        // Byte-identical too (system libjpeg-turbo 2.1 vs Pillow's bundled 3.x: same tables, same Huffman
        // coding). If a different JPEG library is ever linked this may legitimately break; the pixel
        // check above is the contract.
        #expect(ours == pillow, "quality \(c.quality): \(ours.count) bytes vs Pillow's \(pillow.count)")
    }

    @Test func jpegRoundTripIsClose() throws {
        // Smooth gradients: what JPEG is good at.
        var px = [UInt8]()
        for y in 0..<48 {
            for x in 0..<64 {
                px += [UInt8(x * 4), UInt8(y * 5), UInt8((x + y) * 2)]
            }
        }
        let smooth = RGBImage(width: 64, height: 48, pixels: px)
        var previous = 0.0
        for q in [50, 75, 95] {
            let back = try RGBImage.decode(smooth.encode(.jpeg(quality: q)))
            #expect(back.width == 64 && back.height == 48)
            let mse = zip(back.pixels, smooth.pixels).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
                / Double(smooth.pixels.count)
            let psnr = 10 * log10(255 * 255 / max(mse, 1e-9))
            #expect(psnr > 35, "quality \(q): PSNR \(psnr)")
            #expect(psnr > previous, "quality \(q) should beat the lower quality")
            previous = psnr
        }
    }

    @Test func jpegQualityOutOfRangeThrows() {
        let img = RGBImage(width: 4, height: 4)
        #expect(throws: ImageError.self) { try img.encode(.jpeg(quality: 0)) }
        #expect(throws: ImageError.self) { try img.encode(.jpeg(quality: 101)) }
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 3).encode(.png) }
    }

    @Test func writeAndLoadByExtension() throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = ImageFixtures.pattern(width: 20, height: 10, seed: 9)
        let png = dir.appendingPathComponent("a.PNG")
        try img.write(to: png)
        #expect(try RGBImage.load(png) == img)
        let jpg = dir.appendingPathComponent("b.jpg")
        try img.write(to: jpg)
        let jpgBytes = try [UInt8](Data(contentsOf: jpg))
        #expect(ImageContainer.sniff(jpgBytes) == .jpeg)
        #expect(jpgBytes == (try img.encode(.jpeg(quality: ImageFormat.defaultJPEGQuality))))
        // Explicit format wins over the extension; the content decides how it is read back.
        let odd = dir.appendingPathComponent("c.jpg")
        try img.write(to: odd, format: .png)
        #expect(try RGBImage.load(odd) == img)
        // Overwrite in place; no temporary files are left behind.
        try RGBImage(width: 2, height: 2, fill: (1, 2, 3)).write(to: png)
        #expect(try RGBImage.load(png) == RGBImage(width: 2, height: 2, fill: (1, 2, 3)))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func writeErrorsNameTheFile() throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = RGBImage(width: 2, height: 2)
        let noExt = dir.appendingPathComponent("image.bmp")
        do {
            try img.write(to: noExt)
            Issue.record("expected an error for .bmp")
        } catch let e as ImageError {
            #expect(e.description.contains("image.bmp"))
        }
        let missingDir = dir.appendingPathComponent("nope/x.png")
        do {
            try img.write(to: missingDir)
            Issue.record("expected an error for a missing directory")
        } catch let e as ImageError {
            guard case .writeFailed = e else { Issue.record("wrong error \(e)"); return }
            #expect(e.description.contains("nope/x.png"))
        }
    }

    @Test func dimensionsFromHeaderOnly() throws {
        #expect(try RGBImage.dimensions(of: ImageFixtures.bytes("src_31x23.png")) == (31, 23))
        #expect(try RGBImage.dimensions(of: ImageFixtures.bytes("rgb_q90_420.jpg")) == (45, 31))
        #expect(try RGBImage.dimensions(of: ImageFixtures.bytes("huge_dims.png")) == (100_000, 100_000))
    }

    @Test func formatFromExtension() {
        #expect(ImageFormat.fromPathExtension("png") == .png)
        #expect(ImageFormat.fromPathExtension("JPEG") == .jpeg(quality: 75))
        #expect(ImageFormat.fromPathExtension("jpg") == .jpeg(quality: 75))
        #expect(ImageFormat.fromPathExtension("gif") == nil)
    }

    @Test func cropAndFlip() throws {
        let img = ImageFixtures.pattern(width: 9, height: 6, seed: 3)
        let crop = try img.cropped(x: 2, y: 1, width: 4, height: 3)
        #expect(crop.width == 4 && crop.height == 3)
        for y in 0..<3 {
            for x in 0..<4 { #expect(crop.pixel(x: x, y: y) == img.pixel(x: x + 2, y: y + 1)) }
        }
        #expect(throws: ImageError.self) { try img.cropped(x: 6, y: 0, width: 4, height: 1) }
        #expect(throws: ImageError.self) { try img.cropped(x: -1, y: 0, width: 1, height: 1) }
        let flipped = img.horizontallyFlipped()
        #expect(flipped.pixel(x: 0, y: 2) == img.pixel(x: 8, y: 2))
        #expect(flipped.horizontallyFlipped() == img)
        let padded = img.padded(left: 1, top: 2, right: 3, bottom: 0)
        #expect(padded.width == 13 && padded.height == 8)
        #expect(padded.pixel(x: 0, y: 0) == (0, 0, 0) && padded.pixel(x: 1, y: 2) == img.pixel(x: 0, y: 0))
    }
}
