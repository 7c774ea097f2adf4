import Foundation
import Testing
@testable import VTPData

@Suite("Dataset: tar / WebDataset shards")
struct DatasetTarTests {
    static func shard(_ name: String) -> URL { DataFixtures.url("shards/" + name) }

    @Test func tarIndexReadsUstarNamesAndSizes() throws {
        let (members, issues) = try TarIndex.members(of: Self.shard("shard-000.tar"))
        #expect(issues.isEmpty)
        let longDir = (DataFixtures.datasets["shards"] as! [String: Any])["long_dir"] as! String
        #expect(members.map(\.name) == [
            "samples/000.jpg", "samples/000.txt", "samples/001.png", "samples/001.caption", "samples/001.cls",
            "samples/002.jpg", "samples/003.txt", "samples/004.png", "samples/004.txt", "samples/005.seg.png",
            "samples/005.JPG", "samples/005.TXT", longDir + "/006.png", longDir + "/006.txt", "samples/007.png",
            "samples/007.txt",
        ])
        #expect(members[1].size == 14 && members[16 - 1].size == 0)
        let raw = try DataFixtures.bytes("shards/shard-000.tar")
        #expect(Array(raw[members[1].offset..<(members[1].offset + members[1].size)]) == Array("a red picture\n".utf8))
        #expect(members.allSatisfy { $0.offset % 512 == 0 })
    }

    @Test func tarHeaderFields() {
        #expect(TarIndex.parseOctal(Array("0000644\0".utf8)[...]) == 0o644)
        #expect(TarIndex.parseOctal(Array("  17 \0\0\0".utf8)[...]) == 0o17)
        #expect(TarIndex.parseOctal(Array("12x4".utf8)[...]) == nil)
        var header = [UInt8](repeating: 0, count: 512)
        header[124] = 0x80
        header[135] = 0x05
        header[134] = 0x01
        #expect(TarIndex.parseSize(header) == 0x105)  // GNU base-256
        #expect(TarIndex.paxRecords(Array("27 path=some/long/name.txt\n11 a=bcdef\n".utf8))
            == ["path": "some/long/name.txt", "a": "bcdef"])
    }

    @Test func webDatasetKeysAndExtensions() {
        #expect(WebDatasetShards.splitKey("dir/000123.jpg")! == ("dir/000123", "jpg"))
        #expect(WebDatasetShards.splitKey("a.b/c.seg.PNG")! == ("a.b/c", "seg.png"))
        #expect(WebDatasetShards.splitKey("noext") == nil)
        #expect(WebDatasetShards.splitKey("dir/.hidden.txt") == nil)
        #expect(WebDatasetShards.splitKey("trailingdot.") == nil)
    }

    @Test func shardsGroupMembersIntoSamples() throws {
        let ds = try WebDatasetShards(paths: ["shard-000.tar", "shard-001.tar", "shard-002.tar"].map(Self.shard))
        let info = DataFixtures.datasets["shards"] as! [String: Any]
        let longDir = info["long_dir"] as! String
        let veryLong = info["very_long"] as! String  // "x" * 150 + "/sample_with_a_long_name" (> 100 bytes)
        #expect(ds.entries.map(\.key) == [
            "samples/000", "samples/001", "samples/004", "samples/005", longDir + "/006",
            veryLong, "short", "päx/" + String(repeating: "y", count: 120),
        ])
        #expect(ds.entries.map(\.shard) == [0, 0, 0, 0, 0, 1, 1, 2])
        let issues = ds.issues.map(\.description)
        #expect(issues.count == 3)
        #expect(issues[0].contains("samples/002") && issues[0].contains("missing caption"))
        #expect(issues[1].contains("samples/003") && issues[1].contains("no image member") && issues[1].contains("txt"))
        #expect(issues[2].contains("samples/007") && issues[2].contains("empty caption"))

        let s0 = try ds.sample(0)
        #expect(s0.caption == "a red picture" && s0.label == nil && s0.key == "samples/000")
        #expect(s0.image.width == 8 && s0.image.height == 6)
        let s1 = try ds.sample(1)
        #expect(s1.caption == "café green" && s1.label == 3)
        #expect(s1.image.pixel(x: 3, y: 3) == (0, 255, 0))
        #expect(performing: { try ds.sample(2) }, throws: { error in
            guard case DatasetError.badSample(let source, _) = error else { return false }
            return source == "shard-000.tar:samples/004"
        })
        let s3 = try ds.sample(3)  // 005: ".JPG" lower-cased; ".seg.png" is another extension
        #expect(s3.caption == "upper-case extensions")
        #expect(s3.image.width == 8)
        #expect(try ds.sample(4).caption == "ustar prefix name")
        #expect(try ds.sample(5).caption == "gnu long name")
        #expect(try ds.sample(5).image.pixel(x: 0, y: 0) == (10, 200, 10))
        #expect(try ds.sample(7).caption == "pax ü")
        #expect(throws: DatasetError.self) { try ds.sample(8) }
    }

    @Test func damagedShardsKeepWhatPrecedesTheDamage() throws {
        let truncated = try WebDatasetShards(paths: [Self.shard("truncated.tar")])
        #expect(truncated.entries.map(\.key) == ["t/000"])
        #expect(try truncated.sample(0).caption == "kept")
        #expect(truncated.issues.contains { $0.reason.contains("truncated archive") })

        let bad = try WebDatasetShards(paths: [Self.shard("badchecksum.tar")])
        #expect(bad.entries.map(\.key) == ["k/0"])
        #expect(bad.issues.contains { $0.reason.contains("bad tar header checksum") })
    }

    @Test func shardConstructionErrors() throws {
        #expect(throws: DatasetError.self) { try WebDatasetShards(paths: []) }
        let dir = try DataFixtures.temporaryDirectory("tar")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: DatasetError.notFound(path: dir.appendingPathComponent("none.tar").path)) {
            try WebDatasetShards(paths: [dir.appendingPathComponent("none.tar")])
        }
        let empty = try DataFixtures.write([UInt8](), to: dir, "empty.tar")
        #expect(performing: { try WebDatasetShards(paths: [empty]) }, throws: { "\($0)".contains("no sample has both an image and a caption") })
        let zeros = try DataFixtures.write([UInt8](repeating: 0, count: 1024), to: dir, "zeros.tar")
        #expect(throws: DatasetError.self) { try WebDatasetShards(paths: [zeros]) }
        let junk = try DataFixtures.write([UInt8](repeating: 0x41, count: 700), to: dir, "junk.tar")
        let (members, issues) = try TarIndex.members(of: junk)
        #expect(members.isEmpty && issues.count == 1 && issues[0].reason.contains("checksum"))
        #expect(throws: DatasetError.self) { try WebDatasetShards(paths: [dir]) }
    }
}
