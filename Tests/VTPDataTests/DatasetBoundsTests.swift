import Foundation
import Testing
@testable import VTPData

/// Size bounds of the tar reader: headers and members that would be read into memory are limited before any
/// allocation. The big members are holes in sparse files (no disk space, no reading).
@Suite("Dataset: tar size bounds")
struct DatasetTarBoundsTests {
    /// A ustar header for a member of `size` bytes (type '0' file, 'L' GNU long name).
    private func header(_ name: String, size: Int, type: Character = "0") -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
        put(name, at: 0)
        put("0000644", at: 100)
        put(String(format: "%011o", size), at: 124)
        put("        ", at: 148)
        h[156] = UInt8(ascii: type.unicodeScalars.first!)
        put("ustar", at: 257)
        put("00", at: 263)
        put(String(format: "%06o", h.reduce(0) { $0 + Int($1) }) + "\0 ", at: 148)
        return h
    }

    /// Writes members (header, data padded to 512; `hole` members get `size` bytes of hole instead of data).
    private func tar(_ members: [(name: String, data: [UInt8], hole: Int?, type: Character)], in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("bounds.tar")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var offset: UInt64 = 0
        for m in members {
            let size = m.hole ?? m.data.count
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: header(m.name, size: size, type: m.type) + m.data)
            offset += 512 + UInt64((size + 511) / 512 * 512)
        }
        try handle.truncate(atOffset: offset + 1024)  // two zero blocks end the archive
        return url
    }

    @Test func hugeLongNameRecordsAreNotReadIntoMemory() throws {
        let dir = try DataFixtures.temporaryDirectory("tar-bounds")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try tar([("././@LongLink", [], 3 << 30, "L"), ("a.txt", Array("cat".utf8), nil, "0")], in: dir)
        let (members, issues) = try TarIndex.members(of: url)
        #expect(members.isEmpty)
        #expect(issues.map(\.reason) == ["GNU long-name header at byte 0 holds 3221225472 bytes (more than 1048576); rest of the archive skipped"])
    }

    @Test func oversizedMembersSkipTheirSampleWithAnIssue() throws {
        let dir = try DataFixtures.temporaryDirectory("tar-bounds")
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = try [UInt8](Data(contentsOf: DataFixtures.url("folder_csv/a.png")))
        let url = try tar([
            ("big.png", [], WebDatasetShards.maxImageMemberBytes + 1, "0"), ("big.txt", Array("too big".utf8), nil, "0"),
            ("long.png", png, nil, "0"), ("long.txt", [], WebDatasetShards.maxTextMemberBytes + 1, "0"),
            ("ok.png", png, nil, "0"), ("ok.txt", Array("a small picture".utf8), nil, "0"),
        ], in: dir)
        let shards = try WebDatasetShards(paths: [url])
        #expect(shards.entries.map(\.key) == ["ok"])
        #expect(shards.issues.map(\.reason) == [
            "image member big.png is 268435457 bytes, more than the 256 MiB limit",
            "text member long.txt is 1048577 bytes, more than the 1 MiB limit",
        ])
        #expect(try shards.sample(0).caption == "a small picture")
    }
}

/// Captions files are read whole, so their size is limited first.
@Suite("Dataset: captions size bound")
struct DatasetCaptionsBoundsTests {
    @Test func oversizedCaptionsFilesAreRefusedBeforeReading() throws {
        let dir = try DataFixtures.temporaryDirectory("captions-bounds")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["captions.csv", "captions.jsonl"] {
            let url = try DataFixtures.write("file,caption\n", to: dir, name)
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(CaptionFiles.maxFileBytes) + 1)  // sparse: nothing written
            try handle.close()
            let reason = "1073741825 bytes, more than the 1 GiB limit for a captions file"
            #expect(throws: DatasetError.malformed(path: url.path, reason: reason)) {
                _ = name.hasSuffix(".csv") ? try CaptionFiles.readCSV(url) : try CaptionFiles.readJSONL(url)
            }
        }
    }
}
