import Foundation
import Testing
@testable import VTPData
import VTPTensor

/// A tiny in-memory dataset: sample i is a 2×2 image whose first byte is i % 256; indices in `bad` throw.
struct CountingDataset: ImageTextDataset {
    let count: Int
    var bad: Set<Int> = []
    var indexIssues: [DataIssue] = []
    var classNames: [String]? { nil }
    var issues: [DataIssue] { indexIssues }

    func sample(_ index: Int) throws -> ImageTextSample {
        if bad.contains(index) { throw DatasetError.badSample(source: "item-\(index).png", reason: "corrupt") }
        var pixels = [UInt8](repeating: 0, count: 12)
        pixels[0] = UInt8(index % 256)
        return ImageTextSample(image: RGBImage(width: 2, height: 2, pixels: pixels), caption: "item \(index)",
                               label: index % 3, key: "item-\(index)")
    }
}

/// (dataset index, a number drawn from the per-sample RNG).
private func tagged(_ dataset: any ImageTextDataset, batchSize: Int, seed: UInt64, workers: Int,
                    dropLast: Bool = true) throws -> DataLoader<[Int]> {
    try DataLoader(dataset: dataset, batchSize: batchSize, seed: seed, dropLast: dropLast, workers: workers) { sample, rng in
        [Int(sample.image.pixels[0]), rng.int(below: 1_000_000)]
    }
}

private func take(_ loader: DataLoader<[Int]>, _ n: Int) throws -> [[[Int]]] {
    try (0..<n).map { _ in try loader.next().values }
}

@Suite("Loader")
struct LoaderTests {
    @Test func sameSeedSameBatchesAcrossWorkerCounts() throws {
        let ds = CountingDataset(count: 37)
        let reference = try take(try tagged(ds, batchSize: 5, seed: 7, workers: 0), 20)
        for workers in [1, 2, 3] {
            let loader = try tagged(ds, batchSize: 5, seed: 7, workers: workers)
            #expect(try take(loader, 20) == reference, "workers \(workers)")
            loader.close()
        }
        let other = try take(try tagged(ds, batchSize: 5, seed: 8, workers: 2), 20)
        #expect(other != reference)
        // The argument order of the brief also works.
        let transform: DataLoader<[Int]>.Transform = { s, rng in [Int(s.image.pixels[0]), rng.int(below: 1_000_000)] }
        let briefOrder = try DataLoader(dataset: ds, batchSize: 5, seed: 7, shuffle: true, transform: transform, workers: 2)
        #expect(try take(briefOrder, 20) == reference)
    }

    @Test func epochsArePermutationsAndBatchesNeverSpanEpochs() throws {
        let ds = CountingDataset(count: 23)
        let loader = try tagged(ds, batchSize: 4, seed: 1, workers: 2)
        var seen: [Int: [Int]] = [:]
        for _ in 0..<15 {
            let batch = try loader.next()
            #expect(batch.count == 4)
            #expect(batch.start.epoch == batch.epoch && (batch.end.epoch == batch.epoch || batch.end.position == 0))
            seen[batch.epoch, default: []] += batch.indices
        }
        // 23 samples, batch 4, dropLast: 5 batches (20 samples) per epoch, each from a fresh permutation.
        #expect(seen[0]!.count == 20 && Set(seen[0]!).count == 20)
        #expect(seen[0]! == Array(loader.order(epoch: 0).prefix(20)))
        #expect(seen[1]! == Array(loader.order(epoch: 1).prefix(20)))
        #expect(loader.order(epoch: 0) != loader.order(epoch: 1))
        #expect(loader.order(epoch: 0).sorted() == Array(0..<23))
        // Without shuffling the order is the identity.
        let plain = try DataLoader(dataset: ds, batchSize: 10, shuffle: false, dropLast: false, workers: 1)
        #expect(try plain.next().indices == Array(0..<10))
        #expect(try plain.next().indices == Array(10..<20))
        let short = try plain.next()
        #expect(short.indices == [20, 21, 22] && short.epoch == 0)  // short last batch kept (dropLast false)
        #expect(try plain.next().indices == Array(0..<10))
        #expect(try plain.next().epoch == 1)
    }

    @Test func resumedCursorContinuesWithTheSameBatches() throws {
        let ds = CountingDataset(count: 29, bad: [3, 17])
        let full = try tagged(ds, batchSize: 6, seed: 42, workers: 2)
        var batches: [[[Int]]] = []
        var cursors: [DataCursor] = []
        for _ in 0..<14 {
            cursors.append(full.cursor)
            batches.append(try full.next().values)
        }
        for resumeAt in [0, 3, 4, 9] {
            let cursor = cursors[resumeAt]
            // Round-trip the cursor through JSON, as a checkpoint would.
            let saved = try JSONDecoder().decode(DataCursor.self, from: try JSONEncoder().encode(cursor))
            let resumed = try tagged(ds, batchSize: 6, seed: 42, workers: resumeAt % 2 + 1)
            try resumed.restore(saved)
            #expect(resumed.cursor == cursor)
            #expect(try take(resumed, 14 - resumeAt) == Array(batches[resumeAt...]), "resume at batch \(resumeAt)")
        }
        // Restoring mid-run on the same loader works too.
        try full.restore(cursors[2])
        #expect(try full.next().values == batches[2])
        #expect(throws: DataLoaderError.self) { try full.restore(DataCursor(epoch: 0, position: 30)) }
    }

    @Test func badSamplesAreSkippedDeterministicallyAndReportedOnce() throws {
        let issue = DataIssue(source: "captions.csv line 4", reason: "missing caption")
        let ds = CountingDataset(count: 20, bad: [2, 5, 11], indexIssues: [issue])
        let a = try tagged(ds, batchSize: 4, seed: 3, workers: 2)
        let b = try tagged(ds, batchSize: 4, seed: 3, workers: 1)
        var indices: [Int] = []
        for _ in 0..<12 {
            let batch = try a.next()
            #expect(batch.count == 4)
            indices += batch.indices
            #expect(try b.next().values == batch.values)
        }
        #expect(!indices.contains(2) && !indices.contains(5) && !indices.contains(11))
        let issues = a.issues
        #expect(issues.first == issue)
        #expect(issues.count == 4)
        #expect(Set(issues.dropFirst().compactMap(\.index)) == [2, 5, 11])
        #expect(issues.dropFirst().allSatisfy { $0.reason == "corrupt" && $0.source.hasPrefix("item-") })
        #expect(a.issueReport().contains("4 data issues"))
        #expect(b.issues.map(\.index) == a.issues.map(\.index))
        // 17 good samples, batch 4: 4 batches per epoch.
        var perEpoch: [Int: Int] = [:]
        let c = try tagged(ds, batchSize: 4, seed: 3, workers: 2)
        for _ in 0..<12 { perEpoch[try c.next().epoch, default: 0] += 1 }
        #expect(perEpoch == [0: 4, 1: 4, 2: 4])
    }

    /// Sharded loaders (data-parallel ranks) hand out their slices of the very batches of one loader — bad samples
    /// skipped, epochs and cursors included — and resume from the global cursor.
    @Test func shardsSliceTheBatchesOfOneLoader() throws {
        let ds = CountingDataset(count: 23, bad: [4, 9, 17])
        let whole = try tagged(ds, batchSize: 6, seed: 5, workers: 2)
        let shards = try (0..<3).map { r in
            try DataLoader(dataset: ds, batchSize: 6, seed: 5, workers: r, shard: (index: r, count: 3)) { sample, rng in
                [Int(sample.image.pixels[0]), rng.int(below: 1_000_000)]
            }
        }
        for _ in 0..<10 {
            let batch = try whole.next()
            let parts = try shards.map { try $0.next() }
            #expect(parts.flatMap(\.values) == batch.values && parts.allSatisfy { $0.count == 2 })
            #expect(parts.allSatisfy { $0.epoch == batch.epoch && $0.start == batch.start && $0.end == batch.end })
        }
        #expect(shards[1].issues.compactMap(\.index).sorted() == [4, 9, 17] && shards[1].cursor == whole.cursor)
        let resumed = try DataLoader(dataset: ds, batchSize: 6, seed: 5, workers: 1, shard: (index: 2, count: 3)) { sample, rng in
            [Int(sample.image.pixels[0]), rng.int(below: 1_000_000)]
        }
        try resumed.restore(whole.cursor)
        #expect(try resumed.next().values == Array(try whole.next().values[4..<6]))
        #expect(throws: DataLoaderError.self) {
            try DataLoader(dataset: ds, batchSize: 5, seed: 5, shard: (index: 0, count: 2)) { _, _ in 0 }
        }
    }

    @Test func transformErrorsAreIssuesToo() throws {
        struct Odd: Error, CustomStringConvertible { var description: String { "odd sample" } }
        let ds = CountingDataset(count: 10)
        let loader = try DataLoader(dataset: ds, batchSize: 2, seed: 0, shuffle: false, workers: 2) { s, _ -> Int in
            if Int(s.image.pixels[0]) % 2 == 1 { throw Odd() }
            return Int(s.image.pixels[0])
        }
        #expect(try loader.next().values == [0, 2])
        #expect(try loader.next().values == [4, 6])
        #expect(loader.issues.map(\.description) == ["[1] item-1: odd sample", "[3] item-3: odd sample", "[5] item-5: odd sample"])
    }

    @Test func epochsWithoutABatchAreAnError() throws {
        let allBad = CountingDataset(count: 6, bad: Set(0..<6))
        let loader = try DataLoader(dataset: allBad, batchSize: 2, workers: 2)
        #expect(throws: DataLoaderError.noBatchInEpoch(epoch: 0, goodSamples: 0, batchSize: 2)) { try loader.next() }
        let fewGood = CountingDataset(count: 6, bad: [0, 1, 2, 3])
        let l2 = try DataLoader(dataset: fewGood, batchSize: 3, workers: 0)
        #expect(throws: DataLoaderError.noBatchInEpoch(epoch: 0, goodSamples: 2, batchSize: 3)) { try l2.next() }
        #expect(throws: DataLoaderError.self) { try DataLoader(dataset: fewGood, batchSize: 7) }
        #expect(throws: DataLoaderError.self) { try DataLoader(dataset: fewGood, batchSize: 0) }
        let closed = try DataLoader(dataset: fewGood, batchSize: 1, workers: 1)
        closed.close()
        #expect(throws: DataLoaderError.closed) { try closed.next() }
    }

    @Test func epochBatchesReturnsTheRestOfTheEpoch() throws {
        let ds = CountingDataset(count: 11, bad: [4])
        let loader = try tagged(ds, batchSize: 3, seed: 5, workers: 2)
        let first = try loader.epochBatches()
        #expect(first.count == 3 && first.allSatisfy { $0.epoch == 0 })
        #expect(loader.cursor == DataCursor(epoch: 1, position: 0))
        let second = try loader.epochBatches()
        #expect(second.count == 3 && second.allSatisfy { $0.epoch == 1 })
    }

    @Test func folderDatasetIssuesReachTheLoader() throws {
        let ds = try ImageFolderDataset(directory: DataFixtures.url("folder_csv"))
        let loader = try DataLoader(dataset: ds, batchSize: 2, seed: 0, shuffle: false, dropLast: false, workers: 2)
        let batches = try loader.epochBatches()
        #expect(batches.map { $0.samples.map(\.key) } == [["a.png", "b.jpg"], ["sub/c.png"]])
        #expect(batches[0].captions == ["a red square, plain", "a \"blue\" picture\non two lines"])
        let issues = loader.issues
        #expect(issues.count == 4)  // three rows rejected while indexing + the corrupt image
        #expect(issues.last!.index == 3 && issues.last!.source == "corrupt.png")
        let report = loader.issueReport()
        #expect(report.hasPrefix("4 data issues:") && report.contains("corrupt.png") && report.contains("missing caption"))
    }

    @Test func multiCropBatchesWithMasks() throws {
        var config = MultiCropAugmentation.Config()
        config.globalSize = 28
        config.localSize = 14
        config.localCropCount = 2
        let aug = try MultiCropAugmentation(config: config)
        let ds = SyntheticScenes(count: 12, size: 40, seed: 2)
        func run(workers: Int) throws -> [MultiCropBatch] {
            let loader = try DataLoader(dataset: ds, batchSize: 3, seed: 9, workers: workers) { s, rng in aug(s.image, rng: &rng) }
            let masking = MaskingSettings.dinov2(globalSize: 28, patchSize: 7)
            return try (0..<3).map { _ in MultiCropCollate.collate(try loader.next(), masking: masking, seed: 9) }
        }
        let a = try run(workers: 2), b = try run(workers: 0)
        for (x, y) in zip(a, b) {
            #expect(x.globalCrops.shape == [6, 3, 28, 28])
            #expect(x.localCrops!.shape == [6, 3, 14, 14])
            #expect(x.globalCrops.scalars == y.globalCrops.scalars && x.localCrops!.scalars == y.localCrops!.scalars)
            #expect(x.masks == y.masks)
            #expect(x.masks!.masks.count == 6 && x.masks!.patchCount == 16)
            #expect(x.masks!.masks.filter { $0.contains(true) }.count <= 3)
            #expect(x.captions.allSatisfy { $0 != nil } && x.labels.count == 3)
        }
        // Crop-major layout: row k·B + i is crop k of image i.
        var rng = RNG(seed: 1)
        let samples = (0..<2).map { i -> MultiCropSample in
            MultiCropSample(globalCrops: [[Float](repeating: Float(i), count: 3 * 4), [Float](repeating: Float(10 + i), count: 12)],
                            localCrops: [], globalSize: 2, localSize: 1)
        }
        let batch = MultiCropCollate.collate(samples, masking: nil, rng: &rng)
        #expect(batch.globalCrops.shape == [4, 3, 2, 2] && batch.localCrops == nil)
        #expect(stride(from: 0, to: 48, by: 12).map { batch.globalCrops.scalars[$0] } == [0, 1, 10, 11])
    }
}
