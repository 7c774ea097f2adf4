import Foundation
import Testing
import VTPTensor
@testable import VTPData

/// The PyTorch checkpoint reader against checkpoints torch wrote (scripts/make_format_fixtures.py).
@Suite("PyTorch checkpoints")
struct FormatTorchCheckpointTests {
    private func expectMatches(_ file: String, key: String? = nil, prefix: String = "") throws {
        let want = try FormatFixtures.section(file, as: FormatFixtures.Checkpoint.self)
        let ckpt = try TorchCheckpoint(url: FormatFixtures.url(file), key: key)
        let names = want.names.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        #expect(ckpt.names == names)
        for (name, t) in ckpt.tensors {
            guard let e = want.tensors[prefix + name] else { Issue.record("\(file): unexpected tensor \(name)"); continue }
            #expect(t.dtype.rawValue == e.dtype, "\(file) \(name)")
            #expect(t.shape == e.shape, "\(file) \(name)")
            #expect(t.bytes == e.bytes, "\(file) \(name): bytes differ")
        }
        if key == nil {
            #expect(ckpt.skipped.map { [$0.name, $0.kind] } == want.skipped.map { [$0[0], $0[1] == "NoneType" ? "None" : $0[1]] })
        }
    }

    @Test func zipFormatMatchesTorch() throws {
        try expectMatches("zip.pt")
        #expect(try TorchCheckpoint(url: FormatFixtures.url("zip.pt")).isZip)
    }

    @Test func legacyFormatMatchesTorch() throws {
        try expectMatches("legacy.pt")
        #expect(try !TorchCheckpoint(url: FormatFixtures.url("legacy.pt")).isZip)
    }

    @Test func keySelectsOneSubDictionary() throws {
        try expectMatches("zip.pt", key: "ema", prefix: "ema.")
        try expectMatches("legacy.pt", key: "nested.a", prefix: "nested.a.")
        let e = FormatFixtures.failure { _ = try TorchCheckpoint(url: FormatFixtures.url("zip.pt"), key: "opt") }
        guard case let .keyNotFound(_, key, available)? = e as? FormatError else { Issue.record("got \(String(describing: e))"); return }
        #expect(key == "opt")
        #expect(available.contains("model") && available.contains("ema"))
    }

    /// The lpips wheel's weights/v0.1/vgg.pth (legacy format, saved from CUDA by torch 0.4): every tensor bit-exact.
    @Test func lpipsVGGWeightsLoadBitExactly() throws {
        try expectMatches("lpips_v0.1_vgg.pth")
        let ckpt = try TorchCheckpoint(url: FormatFixtures.url("lpips_v0.1_vgg.pth"))
        #expect(ckpt.names == (0..<5).map { "lin\($0).model.1.weight" })
        #expect(ckpt["lin4.model.1.weight"]?.shape == [1, 512, 1, 1])
    }
}

/// Hostile and broken checkpoints throw a FormatError naming the problem; none crashes.
@Suite("PyTorch checkpoints: malformed inputs")
struct FormatTorchCheckpointMalformedTests {
    @Test func forbiddenGlobalsAreNamedAndNeverRun() {
        let ns = FormatFixtures.failure { _ = try TorchCheckpoint(url: FormatFixtures.url("bad_namespace.pt")) }
        guard case let .forbiddenGlobal(_, module, name)? = ns as? FormatError else { Issue.record("got \(String(describing: ns))"); return }
        #expect(module == "argparse" && name == "Namespace")
        #expect((ns as? FormatError)?.description.contains("argparse.Namespace") == true)
        let evil = FormatFixtures.failure { _ = try TorchCheckpoint(url: FormatFixtures.url("bad_os_system_legacy.pt")) }
        guard case let .forbiddenGlobal(_, m2, n2)? = evil as? FormatError else { Issue.record("got \(String(describing: evil))"); return }
        #expect(["posix", "os", "nt"].contains(m2) && n2 == "system")
    }

    @Test func storageOutOfRangeIsRefused() {
        let e = FormatFixtures.failure { _ = try TorchCheckpoint(url: FormatFixtures.url("bad_storage_range.pt")) }
        guard case let .storageOutOfRange(_, tensor, reason)? = e as? FormatError else { Issue.record("got \(String(describing: e))"); return }
        #expect(tensor == "w")
        #expect(reason.contains("10-element storage"))
    }

    @Test func everyTruncationThrows() throws {
        for file in ["zip.pt", "legacy.pt", "lpips_v0.1_vgg.pth"] {
            let data = try FormatFixtures.bytes(file)
            for cut in stride(from: 0, to: data.count, by: 7) {
                let e = FormatFixtures.failure { _ = try TorchCheckpoint(data: data.prefix(cut), file: file) }
                if !(e is FormatError) { Issue.record("\(file) cut at \(cut): expected a FormatError, got \(String(describing: e))") }
            }
        }
    }

    /// Overwriting bytes anywhere either still reads or throws a FormatError (no crash, no other error).
    @Test func corruptedBytesNeverCrash() throws {
        var rng = RNG(seed: 11)
        for file in ["zip.pt", "legacy.pt", "lpips_v0.1_vgg.pth"] {
            let good = try FormatFixtures.bytes(file)
            for _ in 0..<400 {
                var data = good
                for _ in 0..<3 {
                    let at = Int(rng.next() % UInt64(data.count))
                    data[at] = UInt8(truncatingIfNeeded: rng.next())
                }
                let e = FormatFixtures.failure { _ = try TorchCheckpoint(data: data, file: file) }
                if let e, !(e is FormatError) { Issue.record("\(file): unexpected error type \(e)") }
            }
        }
    }

    @Test func notACheckpoint() {
        let e = FormatFixtures.failure { _ = try TorchCheckpoint(data: Data("hello world".utf8), file: "x.pt") }
        #expect((e as? FormatError)?.description.contains("not a PyTorch checkpoint") == true)
        let missing = FormatFixtures.failure { _ = try TorchCheckpoint(url: URL(fileURLWithPath: "/nonexistent/x.pth")) }
        #expect((missing as? FormatError)?.description.contains("no such file") == true)
    }
}
