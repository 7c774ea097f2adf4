import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// Frozen features of a labelled dataset, extracted once per (model, data, preprocessing) and cached as
/// safetensors, for zero-shot, k-NN and linear-probe evaluation (a resumed or repeated evaluation reads them
/// back instead of running the model again).
///
/// Keys: `cls` [n, L, D] — CLS tokens of the last L = min(4, depth) blocks, each through the final norm
/// (DINOv2's `get_intermediate_layers(n=4, return_class_token=True)`), the last one last; `avgpool` [n, D] —
/// the mean of the last block's normed patch tokens; `clip` [n, W] — normalised CLIP image embeddings (models
/// with CLIP towers); `labels` [n] (F32 holding integers).
public struct DatasetFeatures {
    public var cls: Tensor
    public var avgpool: Tensor
    public var clip: Tensor?
    public var labels: [Int]
    public var classNames: [String]?

    public var count: Int { labels.count }

    /// What identifies a cache: the model folder, the data and the preprocessing.
    static func identity(model: String, data: String, limit: Int?, pipeline: Preprocess.Pipeline) -> String {
        "\(model)|\(data)|\(limit.map(String.init) ?? "all")|\(pipeline)"
    }

    /// Features of `data` (a `LabelledImages` name), read from `cache` when it holds the same identity, else
    /// extracted (`batch` images at a time, `progress(done, total)`) and written there.
    public static func load(model: VTPModel, modelPath: String, data: String, limit: Int?, pipeline: Preprocess.Pipeline,
                            cache: URL?, batch: Int = 128, progress: (Int, Int) -> Void = { _, _ in }) throws -> DatasetFeatures {
        let id = identity(model: modelPath, data: data, limit: limit, pipeline: pipeline)
        if let cache, FileManager.default.fileExists(atPath: cache.path), let f = try? SafeTensorsFile(url: cache),
           f.metadata["identity"] == id {
            let cls = Tensor(try f.floats("cls"), shape: try f.info("cls").shape)
            let avg = Tensor(try f.floats("avgpool"), shape: try f.info("avgpool").shape)
            let clip = f.contains("clip") ? Tensor(try f.floats("clip"), shape: try f.info("clip").shape) : nil
            // The class names travel with the cache, so a hit does not open the dataset again.
            let names: [String]?
            if let stored = f.metadata["class_names"] {
                names = try JSONDecoder().decode([String]?.self, from: Data(stored.utf8))
            } else {
                names = try LabelledImages.open(data, limit: limit).classNames
            }
            return DatasetFeatures(cls: cls, avgpool: avg, clip: clip, labels: try f.floats("labels").map { Int($0) }, classNames: names)
        }
        let dataset = try LabelledImages.open(data, limit: limit)
        let features = try extract(model: model, dataset: dataset, pipeline: pipeline, batch: batch, progress: progress)
        if let cache {
            try FileManager.default.createDirectory(at: cache.deletingLastPathComponent(), withIntermediateDirectories: true)
            let names = String(decoding: try JSONEncoder().encode(features.classNames), as: UTF8.self)
            var w = SafeTensorsWriter(metadata: ["format": "pt", "identity": id, "class_names": names])
            try w.add(name: "cls", shape: features.cls.shape, floats: features.cls.scalars)
            try w.add(name: "avgpool", shape: features.avgpool.shape, floats: features.avgpool.scalars)
            if let c = features.clip { try w.add(name: "clip", shape: c.shape, floats: c.scalars) }
            try w.add(name: "labels", shape: [features.count], floats: features.labels.map(Float.init))
            try w.write(to: cache)
        }
        return features
    }

    /// Runs the model over every sample of `dataset` (each must have a label).
    public static func extract(model: VTPModel, dataset: any ImageTextDataset, pipeline: Preprocess.Pipeline, batch: Int = 128,
                               progress: (Int, Int) -> Void = { _, _ in }) throws -> DatasetFeatures {
        guard dataset.count > 0 else { throw MetricError.invalidInput("the dataset is empty") }
        let layers = min(4, model.trunk.blocks.count)
        var cls: [Tensor] = [], avg: [Tensor] = [], clip: [Tensor] = [], labels: [Int] = []
        for start in stride(from: 0, to: dataset.count, by: max(batch, 1)) {
            let end = min(start + max(batch, 1), dataset.count)
            var images: [RGBImage] = []
            for i in start..<end {
                let s = try dataset.sample(i)
                guard let label = s.label else { throw MetricError.invalidInput("sample \(s.key) has no class label") }
                images.append(s.image)
                labels.append(label)
            }
            let x = try ImageTensors.batch(images, pipeline: pipeline)
            try withNoGrad {
                let outs = try model.intermediateLayers(x, last: layers)
                cls.append(Tensor.concat(outs.map { $0.cls.reshaped([$0.cls.shape[0], 1, -1]) }, axis: 1))
                let last = outs[outs.count - 1]
                avg.append(last.patches.mean(axis: 1))
                if model.visualProj != nil { clip.append(try model.clipImageFeatures(cls: last.cls, patches: last.patches)) }
            }
            progress(end, dataset.count)
        }
        return DatasetFeatures(cls: Tensor.concat(cls, axis: 0), avgpool: Tensor.concat(avg, axis: 0),
                               clip: clip.isEmpty ? nil : Tensor.concat(clip, axis: 0), labels: labels, classNames: dataset.classNames)
    }

    /// The linear-probe input of DINOv2's configuration (`blocks` last CLS tokens, plus the average-pooled patch
    /// tokens with `avgpool`): [n, blocks·D (+ D)].
    public func probeInput(blocks: Int, avgpool withAvg: Bool) -> Tensor {
        let l = cls.shape[1]
        var parts = (l - blocks..<l).map { cls.slice(axis: 1, $0..<($0 + 1)).reshaped([count, -1]) }
        if withAvg { parts.append(avgpool) }
        return Tensor.concat(parts, axis: 1)
    }

    /// Final-norm CLS features of the last block [n, D] (the k-NN protocol's).
    public var lastCLS: Tensor { probeInput(blocks: 1, avgpool: false) }
}
