import Foundation
import Testing
import VTPTensor
@testable import VTPData

/// .npy / .npz files written by numpy (scripts/make_format_fixtures.py), read bit-exactly.
@Suite("NumPy files")
struct FormatNumPyTests {
    private func check(_ got: StoredTensor, _ want: FormatFixtures.Expected, _ what: String) {
        #expect(got.dtype.rawValue == want.dtype, "\(what)")
        #expect(got.shape == want.shape, "\(what)")
        #expect(got.bytes == want.bytes, "\(what): bytes differ")
    }

    @Test func npyFilesOfEveryDtypeOrderAndVersion() throws {
        let want = try FormatFixtures.section("npy", as: [String: FormatFixtures.Expected].self)
        #expect(want.count == 14)
        for (file, e) in want {
            check(try NumPyArray.read(url: FormatFixtures.url(file)), e, file)
        }
    }

    @Test func npzStoredAndDeflated() throws {
        for file in ["stored.npz", "deflated.npz"] {
            let want = try FormatFixtures.section(file, as: [String: FormatFixtures.Expected].self)
            let archive = try NumPyArchive(url: FormatFixtures.url(file))
            #expect(Set(archive.names) == Set(want.keys))
            for (name, e) in want { check(try archive.array(name), e, "\(file)[\(name)]") }
        }
        let e = FormatFixtures.failure { _ = try NumPyArchive(url: FormatFixtures.url("stored.npz")).array("mu") }
        #expect((e as? FormatError)?.description.contains("no entry 'mu'") == true)
    }

    @Test func malformedInputsThrow() throws {
        for file in ["f32.npy", "fortran.npy", "f32_v3.npy"] {
            let good = Array(try FormatFixtures.bytes(file))
            for cut in 0..<good.count {
                let e = FormatFixtures.failure { _ = try NumPyArray.parse(Array(good.prefix(cut)), file: file) }
                if !(e is FormatError) { Issue.record("\(file) cut at \(cut): got \(String(describing: e))") }
            }
        }
        for file in ["stored.npz", "deflated.npz"] {
            let good = try FormatFixtures.bytes(file)
            for cut in stride(from: 0, to: good.count, by: 5) {
                let e = FormatFixtures.failure {
                    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString).npz")
                    try good.prefix(cut).write(to: url)
                    defer { try? FileManager.default.removeItem(at: url) }
                    let a = try NumPyArchive(url: url)
                    for n in a.names { _ = try a.array(n) }
                }
                if !(e is FormatError) { Issue.record("\(file) cut at \(cut): got \(String(describing: e))") }
            }
        }
        var header = Array(try FormatFixtures.bytes("f32.npy"))
        let at = header.firstIndex(of: UInt8(ascii: "<"))!
        header[at + 1] = UInt8(ascii: "O")  // '<O4': object arrays are pickles
        let e = FormatFixtures.failure { _ = try NumPyArray.parse(header, file: "object.npy") }
        #expect((e as? FormatError)?.description.contains("not supported") == true)
    }
}
