import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPTensor
import VTPTraining

/// `vtp dit sample`: class-conditional samples of a LightningDiT decoded by a VTP tokenizer, written as PNGs
/// (`000000.png`, …, in class order, the official names), a labelled grid (`grid.png`, one row per class) and,
/// on request, `samples.npz` in the ADM evaluator's format; `samples.json` lists the files with the class each was generated for
/// (what `GenerationEvaluation` reads).
///
/// `model` may be a model folder, a checkpoint of `vtp dit train` or its run folder (the newest checkpoint); a
/// checkpoint provides the EMA weights (`ema/`, used unless `useEMA` is off), the latent statistics and, through
/// `latents.json`, the class names and the tokenizer, so that only options that differ need to be given.
public enum DiTSampleRun {
    public struct Options {
        public var model: URL
        /// nil: the tokenizer recorded in the checkpoint's `latents.json`.
        public var tokenizer: URL?
        /// Latent statistics (`LatentStatistics` file); nil: the checkpoint's, else raw latent space.
        public var statistics: URL?
        /// Sample with the EMA weights when the checkpoint has them (official). Default true.
        public var useEMA = true
        /// Also write `samples.npz` (`arr_0`: uint8 [N, H, W, 3]).
        public var npz = false
        /// Classes to sample; nil: every class of the model.
        public var classes: [Int]?
        public var perClass = 4
        /// Defaults: the official VTP generation config (Euler, 250 grid points, shift 0.075, no guidance).
        public var method = ODEMethod.euler
        public var steps = 250
        public var shift = 0.075
        public var atol = 1e-6, rtol = 1e-3
        public var cfgScale = 1.0
        public var cfgIntervalStart = 0.0
        /// nil: `CFGChannels.defaultFor(channels:)`.
        public var cfgChannels: CFGChannels?
        public var seed: UInt64 = 0
        public var batchSize = 16
        /// Images per class in the grid (at most).
        public var gridColumns = 8
        public var output: URL

        public init(model: URL, tokenizer: URL?, output: URL) {
            (self.model, self.tokenizer, self.output) = (model, tokenizer, output)
        }
    }

    public struct Report {
        public var images: Int
        /// Set when the EMA weights of an early checkpoint still hold much of the initial weights.
        public var warning: String?
        public var grid: URL
        /// One line with every sampling setting (incl. the guided channels).
        public var settings: String
        public var seconds: Double
    }

    /// Loads both models, samples, decodes and writes the images and the grid.
    public static func run(_ o: Options, progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        let start = Date()
        let dir = try InitialWeights.modelDirectory(for: o.model.path)
        let ema = dir.appendingPathComponent("ema")
        let useEMA = o.useEMA && FileManager.default.fileExists(atPath: ema.appendingPathComponent("config.json").path)
        let dit = try LightningDiT.load(directory: useEMA ? ema : dir)
        let info = try? LatentSetInfo.load(from: dir)
        guard let tokenizerPath = o.tokenizer?.path ?? info?.tokenizer else {
            throw GenerationError.invalidInput("\(dir.path) records no tokenizer (no latents.json): give --tokenizer")
        }
        let vtp = try VTPModel.load(directory: try InitialWeights.modelDirectory(for: tokenizerPath))
        let savedStats = dir.appendingPathComponent(LatentStatistics.fileName)
        let statsURL = o.statistics ?? (FileManager.default.fileExists(atPath: savedStats.path) ? savedStats : nil)
        let c = dit.config
        let v = vtp.config
        let latentChannels = v.visionFeatureBottleneck ?? v.visionEmbedDim
        let latentSize = v.imageSize / v.visionPatchSize
        guard latentChannels == c.inChannels, latentSize == c.inputSize else {
            throw GenerationError.invalidInput("the tokenizer makes \(latentSize)×\(latentSize)×\(latentChannels) latents, the DiT expects \(c.inputSize)×\(c.inputSize)×\(c.inChannels)")
        }
        let classes = o.classes ?? Array(0..<c.numClasses)
        if let bad = classes.first(where: { $0 < 0 || $0 >= c.numClasses }) {
            throw GenerationError.invalidInput("class \(bad) is out of range 0..<\(c.numClasses)")
        }
        guard o.perClass >= 1 else { throw GenerationError.invalidSettings("--per-class must be ≥ 1") }
        let stats = try statsURL.map { try LatentStatistics.load(from: $0) }
        let channels = o.cfgChannels ?? CFGChannels.defaultFor(channels: c.inChannels)
        let guidance = o.cfgScale > 1
            ? Guidance(scale: Float(o.cfgScale), channels: channels, intervalStart: Float(o.cfgIntervalStart)) : nil
        let sampler = FlowSampler(method: o.method, steps: o.steps, shift: o.shift, atol: o.atol, rtol: o.rtol)
        _ = try sampler.timeGrid()
        let labels = classes.flatMap { Array(repeating: $0, count: o.perClass) }
        let run = ClassConditionalSampling(sampler: sampler, guidance: guidance, statistics: stats, batchSize: o.batchSize)
        let result = try run.generate(model: dit, labels: labels, seed: o.seed, decode: { try vtp.decode($0) },
                                      progress: progress)
        try FileManager.default.createDirectory(at: o.output, withIntermediateDirectories: true)
        let files = result.images.indices.map { String(format: "%06d.png", $0) }
        for (file, image) in zip(files, result.images) { try image.write(to: o.output.appendingPathComponent(file), format: .png) }
        let rows = classes.indices.map { k in Array(result.images[(k * o.perClass)..<(k * o.perClass + Swift.min(o.perClass, o.gridColumns))]) }
        let settings = "method \(o.method.rawValue), \(o.steps) grid points, shift \(o.shift), "
            + (guidance.map { "CFG \($0.scale) on \(channels.rawValue) channels from t >= \(o.cfgIntervalStart)" } ?? "no CFG")
            + (o.method == .dopri5 ? ", atol \(o.atol), rtol \(o.rtol)" : "") + ", seed \(o.seed)"
            + (stats == nil ? ", no latent statistics" : "") + (useEMA ? ", EMA weights" : "")
        let names = info?.classNames ?? []
        try SampleManifest(files: files, labels: labels, classNames: names.isEmpty ? nil : names, settings: settings).save(to: o.output)
        let grid = ImageGrid(rows: rows, rowLabels: classes.map { $0 < names.count ? names[$0] : "class \($0)" }, title: settings)
        let gridURL = o.output.appendingPathComponent("grid.png")
        try grid.writePNG(to: gridURL)
        if o.npz { try NumPyArchive.writeImages(result.images, to: o.output.appendingPathComponent("samples.npz")) }
        return Report(images: result.images.count, warning: useEMA ? earlyEMAWarning(checkpoint: dir) : nil, grid: gridURL,
                      settings: settings, seconds: Date().timeIntervalSince(start))
    }

    /// The EMA of weights started at step 0 holds decay^step of the (zero-initialised) starting weights; above 20%
    /// its samples are mostly noise. Reads the step from `training_state.json` and the decay from the checkpoint's
    /// `train_config.yaml`; nil when either is missing.
    static func earlyEMAWarning(checkpoint dir: URL) -> String? {
        struct State: Decodable { var step: Int }
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(CheckpointManager.stateJSONFile).path),
              let step = try? JSONDecoder().decode(State.self, from: data).step,
              let config = try? DiTTrainConfig.load(from: dir.appendingPathComponent(CheckpointManager.configFile), validate: false)
        else { return nil }
        let share = Foundation.pow(config.ema.decay, Double(step))
        guard share > 0.2 else { return nil }
        return String(format: "the EMA weights of this step-%d checkpoint still hold %.0f%% of the initial weights (decay %g): "
                      + "samples will be mostly noise; sample the raw weights with --raw, or train longer", step, 100 * share, config.ema.decay)
    }
}
