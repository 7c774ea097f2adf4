import Foundation
import VTPTensor

/// The shared state of a `DataLoader`: samples are numbered by a global sequence number
/// `seq = epoch * count + position`; workers claim the next unclaimed `seq` (at most `window` ahead of
/// the consumer), load and transform it, and file the outcome under `seq`; the consumer takes outcomes
/// strictly in `seq` order. A `generation` counter invalidates in-flight work after `seek`.
final class LoaderCore<Value: Sendable>: @unchecked Sendable {
    enum Outcome {
        case loaded(LoadedSample<Value>)
        /// Read but not yet transformed (sharded loading transforms only the shard's samples).
        case read(index: Int, sample: ImageTextSample)
        case failed(DataIssue)
    }

    let dataset: any ImageTextDataset
    let count: Int
    let seed: UInt64
    let shuffle: Bool
    let window: Int
    let transform: DataLoader<Value>.Transform
    /// Sharded loading: workers only read samples; `nextBatch` transforms the shard's positions of each batch.
    let shard: (index: Int, count: Int)?

    private let condition = NSCondition()
    private var generation = 0
    private var dispatchSeq = 0
    private var consumeSeq = 0
    private var results: [Int: Outcome] = [:]
    private var stopped = false
    private var inlineLoading = true
    private var orders: [Int: [Int]] = [:]
    private var issueList: [DataIssue] = []
    private var issueIndices = Set<Int>()
    /// Epoch of the last batch handed out, where consumption (re)started, good samples this epoch:
    /// to detect an epoch that cannot produce any batch.
    private var lastBatchEpoch = -1
    private var runStartSeq = 0
    private var goodInEpoch = 0

    init(dataset: any ImageTextDataset, seed: UInt64, shuffle: Bool, window: Int, shard: (index: Int, count: Int)? = nil,
         transform: @escaping DataLoader<Value>.Transform) {
        self.shard = shard
        self.dataset = dataset
        self.count = dataset.count
        self.seed = seed
        self.shuffle = shuffle
        self.window = window
        self.transform = transform
    }

    func start(workers: Int) {
        condition.lock()
        inlineLoading = workers == 0
        condition.unlock()
        for n in 0..<workers {
            let thread = Thread { [self] in self.workerLoop() }
            thread.name = "VTPData.DataLoader.worker\(n)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    func stop() {
        condition.lock()
        stopped = true
        results.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    var cursor: DataCursor {
        condition.lock()
        defer { condition.unlock() }
        return DataCursor(epoch: consumeSeq / count, position: consumeSeq % count)
    }

    var issues: [DataIssue] {
        condition.lock()
        defer { condition.unlock() }
        return issueList
    }

    func seek(_ seq: Int) {
        condition.lock()
        generation += 1
        results.removeAll()
        dispatchSeq = seq
        consumeSeq = seq
        lastBatchEpoch = -1
        runStartSeq = seq
        goodInEpoch = 0
        condition.broadcast()
        condition.unlock()
    }

    /// Dataset index at `seq` (call with the lock held).
    private func indexAt(_ seq: Int) -> Int {
        let epoch = seq / count
        if orders[epoch] == nil {
            let oldest = consumeSeq / count
            for key in orders.keys where key < oldest { orders[key] = nil }
            orders[epoch] = DataLoader<Value>.order(count: count, seed: seed, epoch: epoch, shuffle: shuffle)
        }
        return orders[epoch]![seq % count]
    }

    /// Loads and transforms one sample (no lock needed: depends only on its arguments); sharded, only reads it.
    private func load(index: Int, epoch: Int) -> Outcome {
        var key = "sample \(index)"
        do {
            let sample = try dataset.sample(index)
            key = sample.key
            if shard != nil { return .read(index: index, sample: sample) }
            return try transformed(sample, index: index, epoch: epoch)
        } catch {
            return failure(error, index: index, key: key)
        }
    }

    private func transformed(_ sample: ImageTextSample, index: Int, epoch: Int) throws -> Outcome {
        var rng = DataLoader<Value>.sampleRNG(seed: seed, epoch: epoch, index: index)
        let value = try transform(sample, &rng)
        return .loaded(LoadedSample(index: index, key: sample.key, caption: sample.caption, label: sample.label, value: value))
    }

    private func failure(_ error: any Error, index: Int, key: String) -> Outcome {
        switch error {
        case let DatasetError.badSample(source, reason):
            return .failed(DataIssue(index: index, source: source, reason: reason))
        case let error as DatasetError:
            return .failed(DataIssue(index: index, source: key, reason: error.description))
        default:
            return .failed(DataIssue(index: index, source: key, reason: "\(error)"))
        }
    }

    private func workerLoop() {
        condition.lock()
        while true {
            while !stopped && dispatchSeq - consumeSeq >= window { condition.wait() }
            if stopped { break }
            let seq = dispatchSeq
            dispatchSeq += 1
            let gen = generation
            let index = indexAt(seq)
            condition.unlock()
            let outcome = load(index: index, epoch: seq / count)
            condition.lock()
            if gen == generation && !stopped {
                results[seq] = outcome
                condition.broadcast()
            }
        }
        condition.unlock()
    }

    /// The outcome for `seq` (lock held; waits for the workers, or loads inline without workers).
    private func take(_ seq: Int) throws -> Outcome {
        if inlineLoading {
            return load(index: indexAt(seq), epoch: seq / count)
        }
        while results[seq] == nil && !stopped { condition.wait() }
        guard !stopped, let outcome = results.removeValue(forKey: seq) else { throw DataLoaderError.closed }
        return outcome
    }

    func nextBatch(batchSize: Int, dropLast: Bool) throws -> DataBatch<Value> {
        let (outcomes, epoch, start, end) = try nextOutcomes(batchSize: batchSize, dropLast: dropLast)
        return DataBatch(epoch: epoch, samples: try values(outcomes, epoch: epoch), start: start, end: end)
    }

    /// The next batch's outcomes (good samples only) in order, its epoch and cursors.
    private func nextOutcomes(batchSize: Int, dropLast: Bool) throws -> ([Outcome], Int, DataCursor, DataCursor) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { throw DataLoaderError.closed }
        var samples: [Outcome] = []
        samples.reserveCapacity(batchSize)
        var startSeq = consumeSeq
        var epoch = consumeSeq / count
        while samples.count < batchSize {
            let seq = consumeSeq
            if seq / count != epoch {
                if !samples.isEmpty && !dropLast { break }  // short last batch of the epoch
                if lastBatchEpoch != epoch && epoch * count >= runStartSeq {
                    throw DataLoaderError.noBatchInEpoch(epoch: epoch, goodSamples: goodInEpoch, batchSize: batchSize)
                }
                samples.removeAll(keepingCapacity: true)
                epoch = seq / count
                startSeq = seq
                goodInEpoch = 0
            }
            let outcome = try take(seq)
            consumeSeq += 1
            condition.broadcast()  // frees a slot of the prefetch window
            switch outcome {
            case .loaded, .read:
                samples.append(outcome)
                goodInEpoch += 1
            case .failed(let issue):
                if let i = issue.index, issueIndices.insert(i).inserted { issueList.append(issue) }
            }
        }
        lastBatchEpoch = epoch
        let start = DataCursor(epoch: startSeq / count, position: startSeq % count)
        let end = DataCursor(epoch: consumeSeq / count, position: consumeSeq % count)
        return (samples, epoch, start, end)
    }

    /// The batch's samples; sharded, the shard's positions of it, transformed now (in parallel). The batch (which
    /// samples, in which order) was fixed by reading, so a transform that throws here cannot be skipped as one
    /// process would: it ends the batch with the error (the training transforms never throw).
    private func values(_ batch: [Outcome], epoch: Int) throws -> [LoadedSample<Value>] {
        guard let shard else {
            return batch.compactMap { if case .loaded(let s) = $0 { return s } else { return nil } }
        }
        precondition(batch.count % shard.count == 0, "LoaderCore: a batch of \(batch.count) does not split into \(shard.count) shards")
        let b = batch.count / shard.count
        let mine = Array(batch[(shard.index * b)..<((shard.index + 1) * b)])
        var out = [Outcome?](repeating: nil, count: mine.count)
        out.withUnsafeMutableBufferPointer { slots in
            let slots = UnsafeSendable(slots)
            DispatchQueue.concurrentPerform(iterations: mine.count) { k in
                guard case .read(let index, let sample) = mine[k] else { return }
                do { slots.value[k] = try transformed(sample, index: index, epoch: epoch) }
                catch { slots.value[k] = failure(error, index: index, key: sample.key) }
            }
        }
        return try out.map { outcome in
            switch outcome {
            case .loaded(let s)?: return s
            case .failed(let issue)?: throw DatasetError.badSample(source: issue.source, reason: issue.reason)
            default: preconditionFailure("LoaderCore: a sharded batch holds an untransformed sample")
            }
        }
    }
}

/// A value handed to `concurrentPerform`'s iterations, each of which touches only its own elements.
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
