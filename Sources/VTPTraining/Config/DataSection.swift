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
    /// Images per forward pass of the held-out evaluation (memory vs speed; results do not depend on it). Default 64.
    public var evalBatchSize = 64
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

    /// Problems with these settings on their own.
    public func problems() -> [String] {
        unmet((![.imageFolder, .classFolder, .webdataset].contains(kind) || !allPaths.isEmpty, "data.kind \(kind.rawValue) needs data.path (or data.paths)"),
              (evalFraction >= 0 && evalFraction < 1, "data.eval_fraction must be in [0, 1), got \(evalFraction)"),
              (evalImages >= 0, "data.eval_images must be >= 0"),
              (evalBatchSize >= 1, "data.eval_batch_size must be at least 1"),
              (workers >= 0, "data.workers must be >= 0"),
              (shuffleBuffer >= 1, "data.shuffle_buffer must be at least 1"))
    }

    /// Problems with the multi-crop settings (used by DINO / iBOT) for a trunk of `patchSize`-pixel patches.
    public func cropProblems(patchSize p: Int) -> [String] {
        func scaleOK(_ s: [Double]) -> Bool { s.count == 2 && s[0] > 0 && s[0] <= s[1] && s[1] <= 1 }
        return unmet((globalSize > 0 && globalSize % p == 0, "data.global_size (\(globalSize)) must be a positive multiple of vision_patch_size (\(p))"),
                     (localCropsNumber >= 0, "data.local_crops_number must be >= 0"),
                     (localCropsNumber <= 0 || (localSize > 0 && localSize % p == 0),
                      "data.local_size (\(localSize)) must be a positive multiple of vision_patch_size (\(p))"),
                     (scaleOK(globalScale), "data.global_scale must be [min, max] with 0 < min <= max <= 1, got \(globalScale)"),
                     (scaleOK(localScale), "data.local_scale must be [min, max] with 0 < min <= max <= 1, got \(localScale)"))
    }
}
