import Foundation
import VTPTensor

/// The shared state of a `DataLoader`: samples are numbered by a global sequence number
/// `seq = epoch * count + position`; workers claim the next unclaimed `seq` (at most `window` ahead of
/// the consumer), load and transform it, and file the outcome under `seq`; the consumer takes outcomes
/// strictly in `seq` order. A `generation` counter invalidates in-flight work after `seek`.
final class LoaderCore<Value: Sendable>: @unchecked Sendable {
    enum Outcome {
        case loaded(LoadedSample<Value>)
        case failed(DataIssue)
    }

    let dataset: any ImageTextDataset
    let count: Int
    let seed: UInt64
    let shuffle: Bool
    let window: Int
    let transform: DataLoader<Value>.Transform

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

    init(dataset: any ImageTextDataset, seed: UInt64, shuffle: Bool, window: Int,
         transform: @escaping DataLoader<Value>.Transform) {
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

    /// Loads and transforms one sample (no lock needed: depends only on its arguments).
    private func load(index: Int, epoch: Int) -> Outcome {
        var key = "sample \(index)"
        do {
            let sample = try dataset.sample(index)
            key = sample.key
            var rng = DataLoader<Value>.sampleRNG(seed: seed, epoch: epoch, index: index)
            let value = try transform(sample, &rng)
            return .loaded(LoadedSample(index: index, key: sample.key, caption: sample.caption, label: sample.label,
                                        value: value))
        } catch let DatasetError.badSample(source, reason) {
            return .failed(DataIssue(index: index, source: source, reason: reason))
        } catch let error as DatasetError {
            return .failed(DataIssue(index: index, source: key, reason: error.description))
        } catch {
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
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { throw DataLoaderError.closed }
        var samples: [LoadedSample<Value>] = []
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
            case .loaded(let sample):
                samples.append(sample)
                goodInEpoch += 1
            case .failed(let issue):
                if let i = issue.index, issueIndices.insert(i).inserted { issueList.append(issue) }
            }
        }
        lastBatchEpoch = epoch
        let start = DataCursor(epoch: startSeq / count, position: startSeq % count)
        let end = DataCursor(epoch: consumeSeq / count, position: consumeSeq % count)
        return DataBatch(epoch: epoch, samples: samples, start: start, end: end)
    }
}
