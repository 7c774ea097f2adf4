import Foundation

/// Where training images come from.
public enum DataKind: String, ConfigChoice, Sendable {
    /// Fashion-MNIST (IDX files under `path`), with class names as captions.
    case fmnist
    /// Procedurally generated scenes with captions (no files needed).
    case scenes
    /// A directory tree of images (no labels; captions from a side file when the pipeline finds one).
    case imageFolder = "image_folder"
    /// One sub-directory per class (ImageNet layout); the class name fills `caption_template`.
    case classFolder = "class_folder"
    /// WebDataset tar shards (`path` / `paths`, brace patterns allowed) with `jpg|png` + `txt` members.
    case webdataset
}

/// Arithmetic precision of the forward and backward matmuls.
public enum Precision: String, ConfigChoice, Sendable {
    case fp32, bf16
}

/// `data:` — the image source and the crops fed to the objectives.
public struct DataSection: Codable, Equatable, Sendable {
    /// Dataset kind. Default `scenes` (built in, needs no files).
    public var kind: DataKind = .scenes
    /// A directory, file or shard pattern. Default "" (none; required by image_folder, class_folder, webdataset).
    public var path = ""
    /// More paths (e.g. WebDataset shards), read after `path`. Default [].
    public var paths: [String] = []
    /// Side of the square training images (the CLIP / reconstruction input). Default 0: the model's `image_size`.
    public var imageSize = 0
    /// Name of the training split (datasets that have splits). Default "train".
    public var trainSplit = "train"
    /// Name of the evaluation split. Default "test".
    public var evalSplit = "test"
    /// For sources without splits: the fraction of files held out for evaluation (chosen by hashing the file
    /// name, so it is stable across runs). Default 0.01.
    public var evalFraction = 0.01
    /// Images used at each evaluation. Default 256.
    public var evalImages = 256
    /// Data-loading threads. Default 2.
    public var workers = 2
    /// Shuffle the training order (each epoch, seeded). Default true.
    public var shuffle = true
    /// Shuffle buffer for streamed sources (WebDataset). Default 1000.
    public var shuffleBuffer = 1000
    /// Random horizontal flips. Default true.
    public var randomFlip = true
    /// Caption for labelled sources; `{}` is replaced by the class name. Default "a photo of a {}.".
    public var captionTemplate = "a photo of a {}."
    /// Side of the global (teacher) crops of DINO / iBOT. Default 0: `image_size`.
    public var globalSize = 0
    /// Side of the local crops. Default 96 (dinov2 uses 98 with patch 14; 96 = 6 patches of 16).
    public var localSize = 96
    /// Local crops per image (0 disables them). Default 8 (dinov2).
    public var localCropsNumber = 8
    /// Area range of global crops, as a fraction of the image: [min, max]. Default [0.32, 1.0] (dinov2).
    public var globalScale = [0.32, 1.0]
    /// Area range of local crops. Default [0.05, 0.32] (dinov2).
    public var localScale = [0.05, 0.32]

    public init() {}

    /// `path` (when set) followed by `paths`.
    public var allPaths: [String] { (path.isEmpty ? [] : [path]) + paths }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, path, paths, imageSize = "image_size", trainSplit = "train_split", evalSplit = "eval_split"
        case evalFraction = "eval_fraction", evalImages = "eval_images", workers, shuffle
        case shuffleBuffer = "shuffle_buffer", randomFlip = "random_flip", captionTemplate = "caption_template"
        case globalSize = "global_size", localSize = "local_size", localCropsNumber = "local_crops_number"
        case globalScale = "global_scale", localScale = "local_scale"
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        kind = try r(.kind, d.kind); path = try r(.path, d.path); paths = try r(.paths, d.paths)
        imageSize = try r(.imageSize, d.imageSize); trainSplit = try r(.trainSplit, d.trainSplit)
        evalSplit = try r(.evalSplit, d.evalSplit); evalFraction = try r(.evalFraction, d.evalFraction)
        evalImages = try r(.evalImages, d.evalImages); workers = try r(.workers, d.workers)
        shuffle = try r(.shuffle, d.shuffle); shuffleBuffer = try r(.shuffleBuffer, d.shuffleBuffer)
        randomFlip = try r(.randomFlip, d.randomFlip); captionTemplate = try r(.captionTemplate, d.captionTemplate)
        globalSize = try r(.globalSize, d.globalSize); localSize = try r(.localSize, d.localSize)
        localCropsNumber = try r(.localCropsNumber, d.localCropsNumber)
        globalScale = try r(.globalScale, d.globalScale); localScale = try r(.localScale, d.localScale)
    }
}

/// `optimizer:` — AdamW with cosine schedules (dinov2 style).
public struct OptimizerSection: Codable, Equatable, Sendable {
    /// Peak learning rate, reached at the end of the warm-up. Default 3e-4.
    public var lr = 3e-4
    /// Learning rate at the end of the cosine decay. Default 1e-6.
    public var minLR = 1e-6
    /// Linear warm-up from 0 to `lr`, in steps. Default 1000.
    public var warmupSteps = 1000
    /// Weight decay at step 0 (cosine to `weight_decay_end`). Default 0.04 (dinov2).
    public var weightDecay = 0.04
    /// Weight decay at the last step. Default 0.2 (dinov2).
    public var weightDecayEnd = 0.2
    /// AdamW (β₁, β₂). Default [0.9, 0.999].
    public var betas = [0.9, 0.999]
    /// AdamW ε. Default 1e-8.
    public var eps = 1e-8
    /// Clip the global gradient norm to this (0 = no clipping). Default 3.0 (dinov2).
    public var gradClip = 3.0
    /// Keep the last layer of the DINO / iBOT heads frozen (lr 0) for this many steps. Default 1000.
    public var freezeLastLayerSteps = 1000

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case lr, minLR = "min_lr", warmupSteps = "warmup_steps", weightDecay = "weight_decay"
        case weightDecayEnd = "weight_decay_end", betas, eps, gradClip = "grad_clip"
        case freezeLastLayerSteps = "freeze_last_layer_steps"
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        lr = try r(.lr, d.lr); minLR = try r(.minLR, d.minLR); warmupSteps = try r(.warmupSteps, d.warmupSteps)
        weightDecay = try r(.weightDecay, d.weightDecay); weightDecayEnd = try r(.weightDecayEnd, d.weightDecayEnd)
        betas = try r(.betas, d.betas); eps = try r(.eps, d.eps); gradClip = try r(.gradClip, d.gradClip)
        freezeLastLayerSteps = try r(.freezeLastLayerSteps, d.freezeLastLayerSteps)
    }
}

/// `teacher:` — the EMA teacher of DINO / iBOT.
public struct TeacherSection: Codable, Equatable, Sendable {
    /// EMA momentum at step 0 (cosine to `momentum_end`). Default 0.992 (dinov2).
    public var momentumStart = 0.992
    /// EMA momentum at the last step. Default 1.0.
    public var momentumEnd = 1.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case momentumStart = "momentum_start", momentumEnd = "momentum_end"
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        momentumStart = try r(.momentumStart, d.momentumStart); momentumEnd = try r(.momentumEnd, d.momentumEnd)
    }
}

/// `schedule:` — length of the run and how often to evaluate and log.
public struct ScheduleSection: Codable, Equatable, Sendable {
    /// Optimizer steps. Default 10000.
    public var steps = 10000
    /// Images per step (per objective unless the objective has its own batch size). Default 64.
    public var batchSize = 64
    /// Evaluate (reconstruction grid, loss-curve PNG, eval losses) every this many steps (0 = never). Default 1000.
    public var evalEvery = 1000
    /// Append a line to metrics.jsonl every this many steps. Default 10.
    public var logEvery = 10

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case steps, batchSize = "batch_size", evalEvery = "eval_every", logEvery = "log_every"
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        steps = try r(.steps, d.steps); batchSize = try r(.batchSize, d.batchSize)
        evalEvery = try r(.evalEvery, d.evalEvery); logEvery = try r(.logEvery, d.logEvery)
    }
}

/// `checkpoint:` — how often to save and how many to keep.
public struct CheckpointSection: Codable, Equatable, Sendable {
    /// Save every this many steps (and at the end). Default 1000.
    public var every = 1000
    /// Keep this many most recent checkpoints. Default 3.
    public var keepLast = 3
    /// Resume from the newest complete checkpoint in `output_dir` when there is one. Default true.
    public var resume = true

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case every, keepLast = "keep_last", resume
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        every = try r(.every, d.every); keepLast = try r(.keepLast, d.keepLast); resume = try r(.resume, d.resume)
    }
}
