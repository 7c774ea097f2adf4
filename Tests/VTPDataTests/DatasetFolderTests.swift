import Foundation
import Testing
@testable import VTPData

@Suite("Dataset: CSV / JSONL / class folders")
struct DatasetFolderTests {
    // MARK: CSV parsing

    @Test func csvQuotingFollowsRFC4180() throws {
        let text = "\u{FEFF}file,caption\r\n"
            + "a.png,plain\r\n"
            + "\"b,c.png\",\"with \"\"quotes\"\", commas\"\n"
            + "d.png,\"two\r\nlines\"\n"
            + "\n"
            + "e.png,\"\"\n"
            + "f.png,last-no-newline"
        let rows = try CaptionFiles.parseCSV(text, source: "t.csv")
        #expect(rows.map(\.fields) == [
            ["file", "caption"], ["a.png", "plain"], ["b,c.png", "with \"quotes\", commas"],
            ["d.png", "two\r\nlines"], ["e.png", ""], ["f.png", "last-no-newline"],
        ])
        #expect(rows.map(\.line) == [1, 2, 3, 4, 7, 8])
        #expect(try CaptionFiles.parseCSV("", source: "t").isEmpty)
        #expect(try CaptionFiles.parseCSV("a,,b\n", source: "t").map(\.fields) == [["a", "", "b"]])
        #expect(try CaptionFiles.parseCSV(",\n", source: "t").map(\.fields) == [["", ""]])
    }

    @Test func csvStructuralErrorsThrowWithLineNumbers() {
        func error(_ text: String) -> String {
            do {
                _ = try CaptionFiles.parseCSV(text, source: "bad.csv")
                return "ok"
            } catch {
                return "\(error)"
            }
        }
        #expect(error("file,caption\na.png,\"open quote\n") .contains("line 2: quoted field is not terminated"))
        #expect(error("file,caption\na.png,ab\"c\n").contains("line 2: a quote inside an unquoted field"))
        #expect(error("file,caption\n\na.png,\"x\"y\n").contains("line 3: text after the closing quote"))
        #expect(error("file,caption\na.png,\"x\"\n").contains("ok"))
    }

    @Test func csvFolderFixture() throws {
        let ds = try ImageFolderDataset(directory: DataFixtures.url("folder_csv"))
        #expect(ds.captionFile.lastPathComponent == "captions.csv")
        #expect(ds.records.map(\.file) == ["a.png", "b.jpg", "sub/c.png", "corrupt.png"])
        #expect(ds.records.map(\.caption) == ["a red square, plain", "a \"blue\" picture\non two lines", "green", "broken image"])
        #expect(ds.classNames == nil)
        let reasons = ds.issues.map(\.description)
        #expect(reasons.count == 3)
        #expect(reasons.contains { $0.contains("line 8") && $0.contains("missing.png") && $0.contains("image file not found") })
        #expect(reasons.contains { $0.contains("line 9") && $0.contains("missing caption") })
        #expect(reasons.contains { $0.contains("line 10") && $0.contains("4 fields, the header has 3") })
        let a = try ds.sample(0)
        #expect(a.image.width == 8 && a.image.height == 6)
        #expect(a.image.pixel(x: 0, y: 0) == (255, 0, 0))
        #expect(a.key == "a.png" && a.label == nil)
        let c = try ds.sample(2)
        #expect(c.image.width == 5 && c.image.height == 7)
        #expect(performing: { try ds.sample(3) }, throws: { error in
            guard case DatasetError.badSample(let source, let reason) = error else { return false }
            return source == "corrupt.png" && reason.contains("PNG")
        })
    }

    @Test func jsonlFolderFixture() throws {
        let ds = try ImageFolderDataset(directory: DataFixtures.url("folder_jsonl"))
        #expect(ds.records.map(\.file) == ["a.png", "b.jpg", "corrupt.png", "sub/c.png"])
        #expect(ds.records.map(\.caption) == ["a red square", "café — \"blue\"", "broken image", "green"])
        let issues = ds.issues.map(\.description)
        #expect(issues.count == 4)
        #expect(issues[0].contains("line 4") && issues[0].contains("not valid JSON"))
        #expect(issues[1].contains("line 5") && issues[1].contains("missing caption"))
        #expect(issues[2].contains("line 6") && issues[2].contains("not a string"))
        #expect(issues[3].contains("line 7") && issues[3].contains("not a JSON object"))
        #expect(try ds.sample(1).image.width == 8)
    }

    @Test func folderConstructionErrors() throws {
        let dir = try DataFixtures.temporaryDirectory("folder")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Empty folder: no caption file.
        #expect(performing: { try ImageFolderDataset(directory: dir) }, throws: { "\($0)".contains("captions.csv (or captions.jsonl)") })
        // Missing folder.
        #expect(throws: DatasetError.notFound(path: dir.appendingPathComponent("x").path)) {
            try ImageFolderDataset(directory: dir.appendingPathComponent("x"))
        }
        // Header without the needed columns.
        try DataFixtures.write("name,text\na.png,hi\n", to: dir, "captions.csv")
        #expect(performing: { try ImageFolderDataset(directory: dir) }, throws: { "\($0)".contains("must name the columns 'file' and 'caption'") })
        // Empty CSV.
        try DataFixtures.write("", to: dir, "captions.csv")
        #expect(performing: { try ImageFolderDataset(directory: dir) }, throws: { "\($0)".contains("the CSV file is empty") })
        // Only bad rows.
        try DataFixtures.write("file,caption\nnothere.png,x\n", to: dir, "captions.csv")
        #expect(performing: { try ImageFolderDataset(directory: dir) }, throws: { "\($0)".contains("no usable rows (1 rejected)") })
        // Paths escaping the folder are rejected.
        try DataFixtures.write(try DataFixtures.png(1, 2, 3), to: dir, "ok.png")
        try DataFixtures.write("file,caption\n../ok.png,x\n/etc/passwd,y\nok.png,fine\n", to: dir, "captions.csv")
        let ds = try ImageFolderDataset(directory: dir)
        #expect(ds.count == 1)
        #expect(ds.issues.filter { $0.reason.contains("relative path") }.count == 2)
        // Both caption files.
        try DataFixtures.write("{\"file\":\"ok.png\",\"caption\":\"x\"}\n", to: dir, "captions.jsonl")
        #expect(performing: { try ImageFolderDataset(directory: dir) }, throws: { "\($0)".contains("both captions.csv and captions.jsonl") })
        // Not UTF-8.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("captions.jsonl"))
        try DataFixtures.write([0x66, 0x69, 0xFF, 0xFE, 0x0A], to: dir, "captions.csv")
        #expect(performing: { try ImageFolderDataset(directory: dir) }, throws: { "\($0)".contains("not valid UTF-8") })
    }

    // MARK: Class folders

    @Test func classFolderFixture() throws {
        let ds = try ClassFolderDataset(directory: DataFixtures.url("classes"))
        #expect(ds.classFolders == ["Zebra", "cat", "golden_retriever"])
        #expect(ds.classNames == ["Zebra", "cat", "golden retriever"])
        #expect(ds.files.map(\.path) == ["Zebra/z.png", "cat/0.PNG", "cat/1.png", "golden_retriever/x/deep.jpg"])
        #expect(ds.files.map(\.label) == [0, 1, 1, 2])
        #expect(ds.issues.count == 1 && ds.issues[0].reason.contains("1 file(s) outside class folders"))
        let s = try ds.sample(3)
        #expect(s.label == 2 && s.key == "golden_retriever/x/deep.jpg")
        #expect(s.caption!.contains("golden retriever"))
        #expect(CaptionTemplates.photo.contains { CaptionTemplates.fill($0, with: "golden retriever") == s.caption! })
        #expect(try ds.sample(1).image.pixel(x: 0, y: 0) == (10, 20, 30))
    }

    @Test func classFolderErrors() throws {
        let dir = try DataFixtures.temporaryDirectory("classes")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(performing: { try ClassFolderDataset(directory: dir) }, throws: { "\($0)".contains("no class sub-folders") })
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        try DataFixtures.write("x", to: dir, "other/readme.txt")
        #expect(performing: { try ClassFolderDataset(directory: dir) }, throws: { "\($0)".contains("no .png/.jpg/.jpeg files in 2 class folder(s)") })
        try DataFixtures.write([1, 2, 3], to: dir, "other/broken.jpg")
        let ds = try ClassFolderDataset(directory: dir)
        #expect(ds.count == 1 && ds.classFolders == ["empty", "other"])
        #expect(ds.issues.contains { $0.reason == "class folder has no images" })
        #expect(performing: { try ds.sample(0) }, throws: { error in
            guard case DatasetError.badSample(let source, _) = error else { return false }
            return source == "other/broken.jpg"
        })
    }
}
