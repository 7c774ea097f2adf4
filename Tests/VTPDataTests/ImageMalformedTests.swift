import Foundation
import Testing
@testable import VTPData

/// Hostile and broken inputs must throw a descriptive ImageError, never crash or hang.
@Suite("Image malformed inputs")
struct ImageMalformedTests {
    private func decodeError(_ bytes: [UInt8], limits: ImageDecodeLimits = .default) -> ImageError? {
        do {
            _ = try RGBImage.decode(bytes, limits: limits)
            return nil
        } catch let e as ImageError {
            return e
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test func truncatedPNGThrows() throws {
        let good = try ImageFixtures.bytes("src_31x23.png")
        for cut in [8, 20, 33, 50, good.count / 2, good.count - 13] {
            let e = decodeError(Array(good.prefix(cut)))
            guard case .corrupt(_, let format, let reason)? = e else {
                Issue.record("PNG cut at \(cut) of \(good.count): expected .corrupt, got \(String(describing: e))")
                continue
            }
            #expect(format == "PNG")
            #expect(!reason.isEmpty)
        }
        // Cut inside the signature: not recognisable as PNG any more.
        #expect(decodeError(Array(good.prefix(5))) != nil)
    }

    @Test func truncatedJPEGThrows() throws {
        for name in ["rgb_q90_420.jpg", "rgb_progressive.jpg", "gray_q90.jpg"] {
            let good = try ImageFixtures.bytes(name)
            for cut in [3, 40, good.count / 3, good.count / 2, good.count - 40] {
                let e = decodeError(Array(good.prefix(cut)))
                guard case .corrupt(_, let format, let reason)? = e else {
                    Issue.record("\(name) cut at \(cut): expected .corrupt, got \(String(describing: e))")
                    continue
                }
                #expect(format == "JPEG")
                #expect(!reason.isEmpty)
            }
        }
    }

    @Test func randomBytesThrowUnsupportedFormat() {
        var rng = SeededGenerator(seed: 1)
        for n in [1, 2, 7, 100, 5000] {
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if bytes.first == 0x89 || bytes.first == 0xFF { bytes[0] = 0x00 }
            guard case .unsupportedFormat? = decodeError(bytes) else {
                Issue.record("random \(n) bytes: expected .unsupportedFormat")
                continue
            }
        }
    }

    /// Valid magic followed by garbage.
    @Test func garbageAfterMagicThrows() {
        var rng = SeededGenerator(seed: 2)
        let noise = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + noise
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF] + noise
        #expect(decodeError(png) != nil)
        #expect(decodeError(jpeg) != nil)
    }

    @Test func emptyInputThrows() throws {
        #expect(decodeError([]) == .emptyInput(source: "in-memory data"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.png")
        #expect(FileManager.default.createFile(atPath: empty.path, contents: Data()))
        do {
            _ = try RGBImage.load(empty)
            Issue.record("expected an error")
        } catch let e as ImageError {
            #expect(e == .emptyInput(source: "file '\(empty.path)'"))
            #expect(e.description.contains("empty.png") && e.description.contains("empty"))
        }
        // A directory is not a file.
        do {
            _ = try RGBImage.load(dir)
            Issue.record("expected an error")
        } catch let e as ImageError {
            guard case .readFailed = e else { Issue.record("wrong error \(e)"); return }
        }
    }

    @Test func missingFileThrows() {
        let url = URL(fileURLWithPath: "/nonexistent-dir-vtp/missing.jpg")
        do {
            _ = try RGBImage.load(url)
            Issue.record("expected an error")
        } catch let e as ImageError {
            #expect(e == .fileNotFound(path: "/nonexistent-dir-vtp/missing.jpg"))
            #expect(e.description.contains("missing.jpg"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func unsupportedFormatNamesIt() throws {
        let url = ImageFixtures.url(ImageFixtures.manifest.malformed.gif)
        do {
            _ = try RGBImage.load(url)
            Issue.record("expected an error")
        } catch let e as ImageError {
            guard case .unsupportedFormat(let source, let detail) = e else { Issue.record("wrong error \(e)"); return }
            #expect(detail == "GIF")
            #expect(source.contains("tiny.gif"))
            #expect(e.description.contains("GIF") && e.description.contains("PNG and JPEG"))
        }
        #expect(decodeError(Array("BM\u{0}\u{0}\u{0}\u{0}".utf8)) == .unsupportedFormat(source: "in-memory data", detail: "BMP"))
    }

    @Test func pngWithBadCRCThrows() throws {
        let e = decodeError(try ImageFixtures.bytes(ImageFixtures.manifest.malformed.bad_crc_png))
        guard case .corrupt(_, "PNG", let reason)? = e else {
            Issue.record("expected .corrupt, got \(String(describing: e))")
            return
        }
        #expect(reason.lowercased().contains("crc"))
    }

    @Test func hugeDimensionsAreRejectedBeforeAllocation() throws {
        let m = ImageFixtures.manifest.malformed
        let png = decodeError(try ImageFixtures.bytes(m.huge_png))
        guard case .tooLarge(_, 100_000, 100_000, _)? = png else {
            Issue.record("PNG: expected .tooLarge 100000x100000, got \(String(describing: png))")
            return
        }
        let jpeg = decodeError(try ImageFixtures.bytes(m.huge_jpeg))
        guard case .tooLarge(_, 60_000, 60_000, _)? = jpeg else {
            Issue.record("JPEG: expected .tooLarge 60000x60000, got \(String(describing: jpeg))")
            return
        }
        #expect(png!.description.contains("100000x100000"))
    }

    @Test func callerLimitsApply() throws {
        let png = try ImageFixtures.bytes("src_31x23.png")
        let jpg = try ImageFixtures.bytes("rgb_q90_420.jpg")
        let tight = ImageDecodeLimits(maxWidth: 30, maxHeight: 1000, maxPixels: 1_000_000)
        #expect(decodeError(png, limits: tight) == .tooLarge(source: "in-memory data", width: 31, height: 23, limits: tight))
        let fewPixels = ImageDecodeLimits(maxPixels: 45 * 31 - 1)
        #expect(decodeError(jpg, limits: fewPixels) == .tooLarge(source: "in-memory data", width: 45, height: 31, limits: fewPixels))
        #expect(decodeError(jpg, limits: ImageDecodeLimits(maxPixels: 45 * 31)) == nil)
    }

    /// Flipping bytes in the entropy-coded data must never crash (libjpeg may recover with warnings,
    /// as Pillow does, or report an error).
    @Test func corruptedBodiesNeverCrash() throws {
        var rng = SeededGenerator(seed: 3)
        for name in ["rgb_q90_420.jpg", "rgb_progressive.jpg", "cmyk_q90.jpg", "src_31x23.png", "palette8.png",
                     "rgb8_interlaced.png", "rgb16.png"] {
            let good = try ImageFixtures.bytes(name)
            for _ in 0..<60 {
                var bad = good
                for _ in 0..<4 {
                    let i = Int.random(in: 8..<bad.count, using: &rng)
                    bad[i] = UInt8.random(in: 0...255, using: &rng)
                }
                // A damaged header could claim a large size: keep the decode small.
                if let img = try? RGBImage.decode(bad, limits: ImageDecodeLimits(maxPixels: 1_000_000)) {
                    #expect(img.pixels.count == img.width * img.height * 3)
                }
            }
        }
    }

    /// Regression (baseline fuzzing campaign): a JPEG whose SOF header claims 65535×65535 made the error path call
    /// `dimensions(of:)`, whose error path called it again, until the stack overflowed. Both entry points now end
    /// with a clear error.
    @Test func jpegWithSide65535IsAnErrorNotARecursion() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var bytes = [UInt8](try Data(contentsOf: root.appendingPathComponent("examples/chelsea.jpg")))
        // SOF0/SOF2 segment: FF C0|C2, length (2), precision (1), height (2), width (2).
        let sof = try #require((0..<(bytes.count - 9)).first { bytes[$0] == 0xFF && (bytes[$0 + 1] == 0xC0 || bytes[$0 + 1] == 0xC2) })
        for k in 5...8 { bytes[sof + k] = 0xFF }
        #expect(throws: ImageError.self) { _ = try RGBImage.decode(bytes) }
        #expect(throws: ImageError.self) { _ = try RGBImage.dimensions(of: bytes) }
    }
}
