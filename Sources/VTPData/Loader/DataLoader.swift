import Foundation
import VTPTensor

/// Where a loader stands: the next sample to read is position `position` of epoch `epoch`'s order.
/// Save it with a checkpoint (it is Codable) and `restore` it to continue with exactly the same batches.
public struct DataCursor: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var epoch: Int
    public var position: Int

    public init(epoch: Int = 0, position: Int = 0) {
        self.epoch = epoch
        self.position = position
    }

    public var description: String { "epoch \(epoch), position \(position)" }
}

/// One transformed sample with its metadata.
public struct LoadedSample<Value: Sendable>: Sendable {
    /// Dataset index.
    public var index: Int
    public var key: String
    public var caption: String?
    public var label: Int?
    public var value: Value
}

public struct DataBatch<Value: Sendable>: Sendable {
    public var epoch: Int
    public var samples: [LoadedSample<Value>]
    /// Cursor before the batch's first sample and after its last (`end` == the loader's cursor afterwards).
    public var start: DataCursor
    public var end: DataCursor

    public var count: Int { samples.count }
    public var values: [Value] { samples.map(\.value) }
    public var captions: [String?] { samples.map(\.caption) }
    public var labels: [Int?] { samples.map(\.label) }
    public var indices: [Int] { samples.map(\.index) }
}

public enum DataLoaderError: Error, CustomStringConvertible, Equatable {
    case invalidArgument(String)
    /// A whole epoch went by without a batch (every sample bad, or fewer good samples than `batchSize`
    /// with `dropLast`).
    case noBatchInEpoch(epoch: Int, goodSamples: Int, batchSize: Int)
    case closed

    public var description: String {
        switch self {
        case .invalidArgument(let m): return "DataLoader: \(m)"
        case .noBatchInEpoch(let epoch, let good, let size):
            return "DataLoader: epoch \(epoch) produced no batch (\(good) usable samples, batch size \(size)); see issues"
        case .closed: return "DataLoader: closed"
        }
    }
}

/// Batches of transformed samples, prepared ahead on background threads.
///
/// Determinism: epoch e reads the dataset in the order `order(epoch: e)` (a permutation seeded by
/// (seed, e) when shuffling); sample i of epoch e is transformed with `RNG(seed: SampleSeeds.sampleSeed(seed, e, i))`.
/// Batches take the next `batchSize` good samples in that order and never span epochs (with `dropLast`, a
/// short last batch is dropped). A sample whose loading or transform throws is skipped and recorded once in
/// `issues` (it fails identically every time). So the batches depend only on (dataset, seed, batchSize,
/// shuffle, dropLast, transform) and the cursor — not on `workers` or timing.
///
/// Sharded (`shard: (index, count)`, data-parallel training): the batches are the same global batches, but each
/// holds only positions `index·b ..< (index + 1)·b` of them (b = batchSize / count); every sample of the global
/// batch is read (so the skipped samples and the cursor are those of one process) and only the shard's are
/// transformed, in parallel, when `next()` hands the batch out.
public final class DataLoader<Value: Sendable>: @unchecked Sendable {
    public typealias Transform = @Sendable (ImageTextSample, inout RNG) throws -> Value

    public let dataset: any ImageTextDataset
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let dropLast: Bool
    public let workers: Int
    /// This loader's shard of each global batch (nil: the whole batch).
    public let shard: (index: Int, count: Int)?
    private let core: LoaderCore<Value>

    /// `workers` background threads (0 = load on the calling thread) keep up to `prefetchBatches`
    /// batches' worth of samples ready.
    public init(dataset: any ImageTextDataset, batchSize: Int, seed: UInt64 = 0, shuffle: Bool = true,
                dropLast: Bool = true, workers: Int = 2, prefetchBatches: Int = 4, shard: (index: Int, count: Int)? = nil,
                transform: @escaping Transform) throws {
        guard batchSize >= 1 else { throw DataLoaderError.invalidArgument("batchSize must be >= 1 (got \(batchSize))") }
        guard workers >= 0 else { throw DataLoaderError.invalidArgument("workers must be >= 0 (got \(workers))") }
        guard prefetchBatches >= 1 else { throw DataLoaderError.invalidArgument("prefetchBatches must be >= 1") }
        guard dataset.count >= 1 else { throw DataLoaderError.invalidArgument("the dataset is empty") }
        if dropLast && batchSize > dataset.count {
            throw DataLoaderError.invalidArgument("batchSize \(batchSize) exceeds the dataset's \(dataset.count) samples with dropLast")
        }
        if let shard {
            guard shard.count >= 1, (0..<shard.count).contains(shard.index), batchSize % shard.count == 0, dropLast else {
                throw DataLoaderError.invalidArgument("shard \(shard.index) of \(shard.count) needs dropLast and a batchSize (\(batchSize)) that divides into \(shard.count)")
            }
        }
        self.dataset = dataset
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.workers = workers
        self.shard = shard
        core = LoaderCore(dataset: dataset, seed: seed, shuffle: shuffle, window: prefetchBatches * batchSize, shard: shard,
                          transform: transform)
        core.start(workers: workers)
    }

    /// The same, with the arguments in the order `(dataset:batchSize:seed:shuffle:transform:workers:)`.
    public convenience init(dataset: any ImageTextDataset, batchSize: Int, seed: UInt64, shuffle: Bool,
                            transform: @escaping Transform, workers: Int) throws {
        try self.init(dataset: dataset, batchSize: batchSize, seed: seed, shuffle: shuffle, workers: workers,
                      transform: transform)
    }

    deinit { core.stop() }

    /// Stops the background threads (also done on deinit). `next()` then throws `.closed`.
    public func close() { core.stop() }

    /// The sample order of `epoch`: a seeded permutation, or 0..<count without shuffling.
    public static func order(count: Int, seed: UInt64, epoch: Int, shuffle: Bool) -> [Int] {
        guard shuffle else { return Array(0..<count) }
        var rng = RNG(seed: SampleSeeds.epochSeed(seed: seed, epoch: epoch))
        return rng.permutation(count)
    }

    public func order(epoch: Int) -> [Int] { Self.order(count: dataset.count, seed: seed, epoch: epoch, shuffle: shuffle) }

    /// The generator a transform receives for sample `index` in `epoch`.
    public static func sampleRNG(seed: UInt64, epoch: Int, index: Int) -> RNG {
        RNG(seed: SampleSeeds.sampleSeed(seed: seed, epoch: epoch, index: index))
    }

    /// Position of the next sample; save it to resume.
    public var cursor: DataCursor { core.cursor }

    /// Continues from `cursor` (drops anything prefetched).
    public func restore(_ cursor: DataCursor) throws {
        guard cursor.epoch >= 0, cursor.position >= 0, cursor.position <= dataset.count else {
            throw DataLoaderError.invalidArgument("cursor \(cursor) is outside a \(dataset.count)-sample epoch")
        }
        core.seek(cursor.epoch * dataset.count + cursor.position)
    }

    /// Indexing issues of the dataset, then every skipped sample (once each, in reading order).
    public var issues: [DataIssue] { dataset.issues + core.issues }

    public func issueReport(limit: Int = 50) -> String { DataIssue.report(issues, limit: limit) }

    /// The next batch (blocks until ready); runs through epochs indefinitely — watch `batch.epoch`.
    public func next() throws -> DataBatch<Value> {
        try core.nextBatch(batchSize: batchSize, dropLast: dropLast)
    }

    /// The remaining batches of the cursor's epoch. Afterwards the cursor is at the start of the next
    /// epoch's first batch.
    public func epochBatches() throws -> [DataBatch<Value>] {
        let epoch = cursor.epoch
        var out: [DataBatch<Value>] = []
        while cursor.epoch == epoch {
            let batch = try next()
            if batch.epoch != epoch {
                // The epoch's tail held no full batch (dropLast): hand this batch back.
                try restore(batch.start)
                break
            }
            out.append(batch)
        }
        return out
    }
}

extension DataLoader where Value == ImageTextSample {
    /// A loader yielding the samples themselves.
    public convenience init(dataset: any ImageTextDataset, batchSize: Int, seed: UInt64 = 0, shuffle: Bool = true,
                            dropLast: Bool = true, workers: Int = 2) throws {
        try self.init(dataset: dataset, batchSize: batchSize, seed: seed, shuffle: shuffle, dropLast: dropLast,
                      workers: workers, transform: { sample, _ in sample })
    }
}
