import Foundation
import VTPData
import VTPTensor

/// One transformed training sample: the plain view (CLIP + reconstruction) and, for SSL, the multi-crop views.
public struct TrainSample: Sendable {
    /// [3·S·S] ImageNet-normalised, S = image size.
    public var plain: [Float]
    public var crops: MultiCropSample?
    public var caption: String
    public var label: Int?
}

/// The datasets of a run, built from `TrainConfig.data`.
public struct TrainingData {
    public let train: any ImageTextDataset
    public let eval: any ImageTextDataset
    public let classNames: [String]?
    public let imageSize: Int
    /// The `data:` section the datasets were built from.
    public let section: DataSection

    public init(config: TrainConfig) throws {
        let d = config.data
        section = d
        imageSize = d.imageSize
        switch d.kind {
        case .fmnist:
            let dir = d.path.isEmpty ? FashionMNISTDataset.debianDirectory : URL(fileURLWithPath: d.path)
            train = try FashionMNISTDataset(directory: dir, split: .train)
            eval = try FashionMNISTDataset(directory: dir, split: .test)
        case .scenes:
            let count = max(d.evalImages * 8, 20_000)
            train = SyntheticScenes(count: count, size: max(d.imageSize, 16), seed: config.rngSeed)
            eval = SyntheticScenes(count: max(d.evalImages, 1), size: max(d.imageSize, 16), seed: config.rngSeed &+ 0x5EED)
        case .imageFolder, .classFolder, .webdataset:
            let all: any ImageTextDataset
            switch d.kind {
            case .imageFolder: all = try ImageFolderDataset(directory: URL(fileURLWithPath: d.path))
            case .classFolder: all = try ClassFolderDataset(directory: URL(fileURLWithPath: d.path))
            default: all = try WebDatasetShards(paths: d.allPaths.map { URL(fileURLWithPath: $0) })
            }
            let nEval = min(max(Int(Double(all.count) * d.evalFraction), 1), max(all.count - 1, 1))
            train = SubsetDataset(base: all, indices: Array(nEval..<all.count))
            eval = SubsetDataset(base: all, indices: Array(0..<nEval))
        }
        classNames = train.classNames
    }

    /// A seeded, resumable loader of the training split: `batchSize` samples per batch, resized (and flipped) to
    /// `data.image_size`, with the multi-crop views when `multiCrop` is given; with `shard`, only that shard of
    /// each batch (`DataLoader`).
    public func stream(batchSize: Int, seed: UInt64, multiCrop: MultiCropAugmentation?,
                       shard: (index: Int, count: Int)? = nil) throws -> DataLoader<TrainSample> {
        try DataLoader(dataset: train, batchSize: batchSize, seed: seed, shuffle: section.shuffle, workers: section.workers, shard: shard,
                       transform: Self.transform(imageSize: section.imageSize, flip: section.randomFlip, multiCrop: multiCrop,
                                                 captionFallback: "a photo."))
    }

    /// The per-sample transform: resize to the image size (plus a random flip) and, with SSL, the multi-crop views.
    public static func transform(imageSize: Int, flip: Bool, multiCrop: MultiCropAugmentation?,
                                 captionFallback: String) -> DataLoader<TrainSample>.Transform {
        return { sample, rng in
            var img = sample.image
            if img.width != imageSize || img.height != imageSize {
                img = Preprocess.centerCropADM(img, size: imageSize)
            }
            if flip && rng.bernoulli(0.5) { img = img.horizontallyFlipped() }
            let crops = multiCrop.map { $0(sample.image, rng: &rng) }
            return TrainSample(plain: Preprocess.normalizedCHW(img), crops: crops,
                               caption: sample.caption ?? captionFallback, label: sample.label)
        }
    }

    /// Evaluation images [n, 3, S, S] (centre-cropped to size, no augmentation) with labels and captions.
    public func evalBatch(limit: Int) throws -> (images: Tensor, labels: [Int?], captions: [String?]) {
        let n = min(limit, eval.count)
        var values: [Float] = [], labels: [Int?] = [], captions: [String?] = []
        for i in 0..<n {
            let s = try eval.sample(i)
            let img = s.image.width == imageSize && s.image.height == imageSize ? s.image : Preprocess.centerCropADM(s.image, size: imageSize)
            values += Preprocess.normalizedCHW(img)
            labels.append(s.label)
            captions.append(s.caption)
        }
        return (Tensor(values, shape: [n, 3, imageSize, imageSize]), labels, captions)
    }
}

extension MultiCropAugmentation {
    /// DINOv2's multi-crop with the crop sizes, count and scales of `data:`.
    public init(section d: DataSection) throws {
        var mc = MultiCropAugmentation.Config()
        mc.globalSize = d.globalSize
        mc.localSize = d.localSize
        mc.localCropCount = d.localCropsNumber
        mc.globalScale = d.globalScale
        mc.localScale = d.localScale
        try self.init(config: mc)
    }
}
