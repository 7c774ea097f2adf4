import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor
import VTPTraining

/// `vtp dit extract`: the latents of a labelled image dataset and of its horizontally flipped images through a
/// tokenizer, with the official preprocessing (ADM centre crop to the tokenizer's image size, ImageNet
/// normalisation), in shards, then the per-channel statistics (`LatentStatistics`).
///
/// Resumable: shards are written atomically and a shard already present with the right count is not computed
/// again, so a killed extraction continues where it stopped.
///
/// Data-parallel (`parallel` over N ranks, a file system they share): rank r computes shards r, r + N, …; rank 0
/// then computes the statistics and writes the description. Each shard is the same as one process writes (the
/// same images in the same batches), so the folder is identical whatever N.
public enum LatentExtraction {
    /// - Parameters:
    ///   - progress: called after each shard with (latents done, total); data-parallel, this rank's shards.
    /// - Returns: the folder's description.
    @discardableResult
    public static func extract(tokenizer: VTPModel, tokenizerPath: String, dataset: any ImageTextDataset, output: URL,
                               imageSize: Int? = nil, shardSize: Int = 4096, batch: Int = 64, parallel: DataParallel = .single,
                               progress: (Int, Int) -> Void = { _, _ in }) throws -> LatentSetInfo {
        guard tokenizer.pixelDecoder != nil || tokenizer.trunk.featureBottleneck != nil else {
            throw GenerationError.invalidInput("the tokenizer has neither a bottleneck nor a decoder: its latents cannot be decoded back to images")
        }
        let classNames = dataset.classNames ?? []
        guard !classNames.isEmpty else {
            throw GenerationError.invalidInput("class-conditional generation needs labelled data (class folders, Fashion-MNIST); this dataset has no classes")
        }
        let size = imageSize ?? tokenizer.config.imageSize
        let n = dataset.count, shardSize = max(shardSize, 1), shards = (n + shardSize - 1) / shardSize
        guard n > 0 else { throw GenerationError.invalidInput("the dataset is empty") }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        for s in stride(from: parallel.rank, to: shards, by: parallel.size) {
            let range = (s * shardSize)..<min((s + 1) * shardSize, n)
            let url = output.appendingPathComponent(LatentSetInfo.shardName(s))
            if let f = try? SafeTensorsFile(url: url), let info = try? f.info("latents"), info.shape.first == range.count {
                progress(range.upperBound, n)
                continue
            }
            var z: [Tensor] = [], zf: [Tensor] = [], labels: [Int64] = []
            for start in stride(from: range.lowerBound, to: range.upperBound, by: max(batch, 1)) {
                var plain: [Float] = [], flipped: [Float] = []
                let end = min(start + max(batch, 1), range.upperBound)
                for i in start..<end {
                    let sample = try dataset.sample(i)
                    guard let label = sample.label else {
                        throw GenerationError.invalidInput("sample \(i) has no label; class-conditional generation needs one per image")
                    }
                    let img = Preprocess.centerCropADM(sample.image, size: size)
                    plain += Preprocess.normalizedCHW(img)
                    flipped += Preprocess.normalizedCHW(img.horizontallyFlipped())
                    labels.append(Int64(label))
                }
                let b = end - start
                try withNoGrad {
                    z.append(try tokenizer.reconstructionLatents(Tensor(plain, shape: [b, 3, size, size])))
                    zf.append(try tokenizer.reconstructionLatents(Tensor(flipped, shape: [b, 3, size, size])))
                }
            }
            let latents = Tensor.concat(z, axis: 0), flips = Tensor.concat(zf, axis: 0)
            var w = SafeTensorsWriter(metadata: ["format": "pt"])
            try w.add(name: "latents", shape: latents.shape, floats: latents.scalars)
            try w.add(name: "latents_flip", shape: flips.shape, floats: flips.scalars)
            try w.add(name: "labels", shape: [labels.count], int64s: labels)
            try w.write(to: url)
            progress(range.upperBound, n)
        }
        try parallel.barrier()  // every shard is written
        let shape = Array(try SafeTensorsFile(url: output.appendingPathComponent(LatentSetInfo.shardName(0))).info("latents").shape.dropFirst())
        let info = LatentSetInfo(count: n, shards: shards, shardSize: shardSize, channels: shape[0], height: shape[1], width: shape[2],
                                 classNames: classNames, tokenizer: tokenizerPath)
        if parallel.rank == 0 {
            // Statistics over (up to) 10,000 of the plain latents, as the official latents_stats.pt.
            var all: [Tensor] = []
            for s in 0..<shards { all.append(try SafeTensorsFile(url: output.appendingPathComponent(LatentSetInfo.shardName(s))).tensor("latents")) }
            try LatentStatistics.compute(Tensor.concat(all, axis: 0)).save(to: output.appendingPathComponent(LatentStatistics.fileName))
            try info.save(to: output)
        }
        try parallel.barrier()  // the folder is complete for every rank
        return info
    }
}
