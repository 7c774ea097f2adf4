import Foundation
import Testing
@testable import VTPData

private let realFashionMNIST = FashionMNISTDataset.debianDirectory
private let realFashionMNISTPresent = FileManager.default.fileExists(
    atPath: realFashionMNIST.appendingPathComponent("train-labels-idx1-ubyte.gz").path)

@Suite("Dataset: IDX / Fashion-MNIST")
struct DatasetIDXTests {
    static func header(magic: [UInt8], dims: [Int]) -> [UInt8] {
        var out = magic
        for d in dims { out += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return out
    }

    @Test func tinyFixtureRawAndGzip() throws {
        let info = DataFixtures.datasets["idx"] as! [String: Any]
        let train = try FashionMNISTDataset(directory: DataFixtures.url("idx"), split: .train)
        #expect(train.count == 3)
        #expect(train.width == 4 && train.height == 5)
        #expect((0..<3).map { train.label($0) } == info["labels"] as! [Int])
        let s1 = try train.sample(1)
        #expect(s1.image.width == 4 && s1.image.height == 5)
        let gray = stride(from: 0, to: s1.image.pixels.count, by: 3).map { s1.image.pixels[$0] }
        #expect(DataFixtures.fnv1a64(gray) == info["image1_fnv"] as! String)
        // Gray replicated into RGB.
        let px = s1.image.pixels
        let replicated = stride(from: 0, to: px.count, by: 3).allSatisfy { (i: Int) -> Bool in
            px[i] == px[i + 1] && px[i] == px[i + 2]
        }
        #expect(replicated)
        #expect(s1.label == 9)
        #expect(s1.caption!.contains("ankle boot"))
        #expect(s1.caption!.contains("an ankle boot"))
        #expect(s1.key == "fashion-mnist/train/1")
        #expect(train.classNames == ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"])
        let test = try FashionMNISTDataset(directory: DataFixtures.url("idx"), split: .test)
        #expect(test.count == 2)
        #expect(try test.sample(0).image == (try train.sample(0)).image)
        #expect(throws: DatasetError.self) { try train.sample(3) }
        #expect(throws: DatasetError.self) { try train.sample(-1) }
    }

    @Test func captionsAreDeterministicTemplates() throws {
        let train = try FashionMNISTDataset(directory: DataFixtures.url("idx"), split: .train)
        let a = try (0..<3).map { try train.sample($0).caption! }
        let b = try (0..<3).map { try train.sample($0).caption! }
        #expect(a == b)
        for (i, caption) in a.enumerated() {
            let name = FashionMNISTDataset.promptClassNames[train.label(i)]
            #expect(CaptionTemplates.grayscale.contains { CaptionTemplates.fill($0, with: name) == caption })
        }
    }

    @Test func malformedIDXFilesGiveClearErrors() throws {
        func parse(_ bytes: [UInt8], rank: Int? = nil) -> String {
            do {
                _ = try IDXFile(data: Data(bytes), source: "t.idx", expectedRank: rank)
                return "ok"
            } catch {
                return "\(error)"
            }
        }
        let good = Self.header(magic: [0, 0, 8, 3], dims: [2, 2, 2]) + [UInt8](repeating: 7, count: 8)
        #expect(parse(good) == "ok")
        #expect(try IDXFile(data: Data(good)).shape == [2, 2, 2])
        #expect(parse([0, 0]).contains("too short"))
        #expect(parse([1, 2, 8, 3] + Array(good.dropFirst(4))).contains("bad IDX magic 01 02 08 03"))
        #expect(parse([0, 0, 0x0D, 3] + Array(good.dropFirst(4))).contains("element type 0x0D"))
        #expect(parse(good, rank: 1).contains("3 dimensions, expected 1"))
        #expect(parse(Array(good.dropLast())).contains("truncated"))
        #expect(parse(good + [0]).contains("trailing bytes"))
        #expect(parse(Array(good.prefix(10))).contains("too short for an IDX header with 3 dimensions"))
        #expect(parse(Self.header(magic: [0, 0, 8, 0], dims: [])).contains("0 dimensions"))
    }

    @Test func badFilesAndDirectories() throws {
        let dir = try DataFixtures.temporaryDirectory("idx")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Missing folder and missing files.
        #expect(throws: DatasetError.notFound(path: dir.appendingPathComponent("nope").path)) {
            try FashionMNISTDataset(directory: dir.appendingPathComponent("nope"))
        }
        do {
            _ = try FashionMNISTDataset(directory: dir)
            Issue.record("expected an error")
        } catch let error as DatasetError {
            #expect(error.description.contains("train-images-idx3-ubyte[.gz]"))
        }
        // Count mismatch between images and labels.
        try DataFixtures.write(Self.header(magic: [0, 0, 8, 3], dims: [2, 1, 1]) + [1, 2], to: dir, "train-images-idx3-ubyte")
        try DataFixtures.write(Self.header(magic: [0, 0, 8, 1], dims: [3]) + [1, 2, 3], to: dir, "train-labels-idx1-ubyte")
        #expect(performing: { try FashionMNISTDataset(directory: dir) }, throws: { error in
            "\(error)".contains("3 labels for 2 images")
        })
        // Label out of range.
        try DataFixtures.write(Self.header(magic: [0, 0, 8, 1], dims: [2]) + [1, 12], to: dir, "train-labels-idx1-ubyte")
        #expect(performing: { try FashionMNISTDataset(directory: dir) }, throws: { error in
            "\(error)".contains("label 12 at index 1 is not in 0...9")
        })
        // Corrupt gzip (preferred over the raw file when both exist).
        try DataFixtures.write([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3], to: dir, "train-labels-idx1-ubyte.gz")
        #expect(performing: { try FashionMNISTDataset(directory: dir) }, throws: { error in
            "\(error)".contains("gzip data") && "\(error)".contains("train-labels-idx1-ubyte.gz")
        })
        // Labels given as an image file (wrong rank).
        try FileManager.default.removeItem(at: dir.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        try DataFixtures.write(Self.header(magic: [0, 0, 8, 3], dims: [2, 1, 1]) + [1, 2], to: dir, "train-labels-idx1-ubyte")
        #expect(performing: { try FashionMNISTDataset(directory: dir) }, throws: { error in
            "\(error)".contains("3 dimensions, expected 1")
        })
    }

    @Test(.enabled(if: realFashionMNISTPresent,
                   "skipped: /usr/share/datasets/fashion-mnist is absent (apt install dataset-fashion-mnist)"))
    func installedFashionMNIST() throws {
        let expected = DataFixtures.datasets["fashion_mnist"] as? [String: Any]
        let train = try FashionMNISTDataset(split: .train)
        let test = try FashionMNISTDataset(split: .test)
        #expect(train.count == 60000 && test.count == 10000)
        #expect(train.width == 28 && train.height == 28)
        var histogram = [Int](repeating: 0, count: 10)
        for i in 0..<train.count { histogram[train.label(i)] += 1 }
        #expect(histogram == Array(repeating: 6000, count: 10))
        let s0 = try train.sample(0)
        #expect(s0.label == 9 && s0.caption!.contains("ankle boot"))
        if let expected {
            #expect((0..<10).map { train.label($0) } == expected["train_first_labels"] as! [Int])
            #expect((0..<10).map { test.label($0) } == expected["test_first_labels"] as! [Int])
            let gray = stride(from: 0, to: s0.image.pixels.count, by: 3).map { s0.image.pixels[$0] }
            #expect(DataFixtures.fnv1a64(gray) == expected["train_image0_fnv"] as! String)
        }
    }
}
