import Foundation
import VTPData
import VTPDistributed
import VTPEval
import VTPGeneration
import VTPModels
import VTPTensor
import VTPTraining

/// One finished cell of the grid: what `cell.json` holds (written atomically, last) and one row of study.csv.
public struct StudyCell: Codable, Equatable, Sendable {
    /// `ae` or `vtp`.
    public var kind: String
    public var steps: Int
    public var seed: Int
    public var batchSize: Int
    /// Analytic tokenizer training FLOPs (`TrainingFLOPs`): per step and over the run.
    public var flopsPerStep: Double
    public var flops: Double
    /// Wall-clock seconds of each stage (tokenizer, latents, dit, samples, eval) and their sum, as run by the
    /// processes that ran them (a stage resumed after a kill counts from the restart).
    public var stageSeconds: [String: Double]
    public var seconds: Double
    /// Zero-shot top-1 on the test set (nil for tokenizers without CLIP towers).
    public var zeroShot: Double?
    /// 20-NN top-1 or linear-probe top-1, as `eval.understanding` says.
    public var knn: Double?
    public var linearProbe: Double?
    public var psnr: Double
    public var domainRFID: Double?
    public var domainGFID: Double?
    public var classConsistency: Double
    /// When the cell finished (ISO 8601).
    public var finished: String

    public init(kind: String, steps: Int, seed: Int, batchSize: Int, flopsPerStep: Double, flops: Double, stageSeconds: [String: Double],
                seconds: Double, zeroShot: Double?, knn: Double?, linearProbe: Double?, psnr: Double, domainRFID: Double?,
                domainGFID: Double?, classConsistency: Double, finished: String) {
        (self.kind, self.steps, self.seed, self.batchSize, self.flopsPerStep, self.flops) = (kind, steps, seed, batchSize, flopsPerStep, flops)
        (self.stageSeconds, self.seconds, self.zeroShot, self.knn, self.linearProbe) = (stageSeconds, seconds, zeroShot, knn, linearProbe)
        (self.psnr, self.domainRFID, self.domainGFID, self.classConsistency, self.finished) = (psnr, domainRFID, domainGFID, classConsistency, finished)
    }

    /// The cell's folder name under cells/.
    public static func name(kind: String, steps: Int, seed: Int) -> String { "\(kind)-\(steps)-s\(seed)" }
    public var name: String { Self.name(kind: kind, steps: steps, seed: seed) }
}

/// `vtp study scaling`: the paper's tokenizer-scaling experiment (figures 1 and 4) as a resumable grid.
///
/// Every cell `cells/<kind>-<steps>-s<seed>/` is a set of ordinary run folders — `tokenizer/` (`vtp train`),
/// `latents/` (`vtp dit extract`), `dit/` (`vtp dit train`), `samples/` (`vtp dit sample`), `eval/` (the
/// `vtp eval` reports) — and `cell.json`, written atomically when everything else is done. A re-run skips
/// cells with a `cell.json`; an unfinished cell continues (the trainers and the extraction resume, finished stages
/// are marked by `<stage>.done.json`). The domain classifier is trained once per study (or taken from
/// `eval.classifier`), and so are the reference statistics of the test images in its features.
///
/// ```swift
/// let study = ScalingStudy(config: try StudyConfig.load(from: url, quick: true))
/// let results = try study.run()        // study.json, study.csv, study.md, *.png in output_dir
/// ```
public final class ScalingStudy {
    public let config: StudyConfig
    /// Progress lines (one per stage of every cell).
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// Let the trainers print their own progress lines.
    public var verboseTraining = true
    /// Stop after computing this many cells (a planned stop between cells; tests use it as a kill).
    public var stopAfterCells: Int?
    /// Cells computed (not skipped) by the last `run()`.
    public private(set) var computedCells: [String] = []

    public init(config: StudyConfig) { self.config = config }

    /// The grid in run order: compute points from small to large, seeds, then kinds (so that a stopped study
    /// has both kinds at the compute it reached).
    public var grid: [(kind: String, steps: Int, seed: Int)] {
        config.tokenizer.steps.sorted().flatMap { s in config.seeds.flatMap { seed in config.kinds.map { ($0, s, seed) } } }
    }

    public func cellURL(_ name: String) -> URL { config.outputURL.appendingPathComponent("cells").appendingPathComponent(name) }

    /// Runs (or continues) the study and writes its results; returns every finished cell.
    @discardableResult
    public func run() throws -> StudyResults {
        computedCells = []
        let out = config.outputURL
        try FileManager.default.createDirectory(at: out.appendingPathComponent("cells"), withIntermediateDirectories: true)
        // Read every kind's config first, so that a bad one is reported before hours of work.
        for k in config.kinds { _ = try tokenizerConfig(kind: k, steps: config.tokenizer.steps[0], seed: config.seeds[0], output: out) }
        _ = try DiTTrainConfig.load(from: URL(fileURLWithPath: config.dit.config), overrides: config.dit.overrides, validate: false)
        let classifier = try domainClassifier()
        let reference = try referenceStatistics(classifier: classifier)
        var cells: [StudyCell] = []
        let grid = self.grid
        for (i, g) in grid.enumerated() {
            let name = StudyCell.name(kind: g.kind, steps: g.steps, seed: g.seed)
            if let done = try Self.readCell(cellURL(name)) {
                cells.append(done)
                continue
            }
            if let stop = stopAfterCells, computedCells.count >= stop {
                log("stopping after \(computedCells.count) computed cell(s); run again to continue")
                break
            }
            log("[\(i + 1)/\(grid.count)] \(name)")
            cells.append(try runCell(kind: g.kind, steps: g.steps, seed: g.seed, classifier: classifier, reference: reference))
            computedCells.append(name)
        }
        let results = StudyResults(cells: cells, gridSize: grid.count)
        try results.write(to: out, config: config)
        log("study: \(cells.count) of \(grid.count) cells done -> \(out.path)/study.json, study.csv, study.md, *.png")
        return results
    }

    /// Writes study.json, study.csv, study.md and the plots from the cells finished so far, computing nothing (safe
    /// beside a running study: every file is replaced atomically).
    @discardableResult
    public func report() throws -> StudyResults {
        let cells = try grid.compactMap { try Self.readCell(cellURL(StudyCell.name(kind: $0.kind, steps: $0.steps, seed: $0.seed))) }
        guard !cells.isEmpty else {
            throw TrainConfigError.invalid(["\(config.outputURL.path) has no finished cell yet (cells/*/cell.json)"])
        }
        let results = StudyResults(cells: cells, gridSize: grid.count)
        try results.write(to: config.outputURL, config: config)
        return results
    }

    /// A finished cell's record, nil when the cell has not finished.
    public static func readCell(_ dir: URL) throws -> StudyCell? {
        let url = dir.appendingPathComponent("cell.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try dec.decode(StudyCell.self, from: Data(contentsOf: url)) } catch {
            throw TrainConfigError.invalid(["\(url.path) is not a study cell record (\(error)); delete it to recompute the cell"])
        }
    }

    /// The tokenizer run of a cell: the kind's config, `tokenizer.overrides` and the kind's own, then the cell's steps, seed and
    /// folder; the LR warm-up is shortened to the run when the run is shorter.
    public func tokenizerConfig(kind: String, steps: Int, seed: Int, output: URL) throws -> TrainConfig {
        let own = ["schedule.steps=\(steps)", "seed=\(seed)", "output_dir=\(output.path)", "schedule.eval_every=0"]
        var c = try TrainConfig.load(from: URL(fileURLWithPath: config.tokenizerConfig(kind: kind)),
                                     overrides: config.tokenizer.overrides + (kind == "ae" ? config.tokenizer.aeOverrides : config.tokenizer.vtpOverrides) + own,
                                     validate: false)
        c.optimizer.warmupSteps = min(c.optimizer.warmupSteps, steps)
        try c.validate()
        return c
    }

    // MARK: Once per study

    private func domainClassifier() throws -> URL {
        if !config.eval.classifier.isEmpty { return URL(fileURLWithPath: config.eval.classifier) }
        let dir = config.outputURL.appendingPathComponent("classifier")
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("classifier.json").path) { return dir }
        log("domain classifier: training on \(config.data.train) (\(config.eval.classifierEpochs) epochs)")
        var o = DomainClassifierTraining.Options(data: config.data.train, output: dir)
        o.epochs = config.eval.classifierEpochs
        o.limit = config.eval.classifierLimit > 0 ? config.eval.classifierLimit : nil
        let r = try DomainClassifierTraining.train(o)
        log(String(format: "domain classifier: held-out accuracy %.2f%% (%.0f s)", 100 * r.accuracy, r.seconds))
        return dir
    }

    /// The test images' statistics in the classifier's features, saved once (every cell's gFID uses them) with
    /// what they were computed from; recomputed when the classifier, the test set or the limit change.
    private func referenceStatistics(classifier: URL) throws -> URL {
        let url = config.outputURL.appendingPathComponent("reference-domain-statistics.safetensors")
        let sourceURL = config.outputURL.appendingPathComponent("reference-domain-statistics.json")
        let source = ["classifier": classifier.path, "data": config.data.test, "limit": "\(config.eval.limit)"]
        if FileManager.default.fileExists(atPath: url.path), let d = try? Data(contentsOf: sourceURL),
           (try? JSONDecoder().decode([String: String].self, from: d)) == source { return url }
        log("reference statistics of \(config.data.test)")
        let net = try FeatureNetwork.open(inceptionWeights: nil, domainNet: classifier.path)
        try FIDEvaluation.statistics(of: config.data.test, network: net, limit: limit).0.save(to: url)
        try EvaluationReport.writeJSON(source, to: sourceURL)
        return url
    }

    private var limit: Int? { config.eval.limit > 0 ? config.eval.limit : nil }

    // MARK: One cell

    /// Runs `body` unless `<dir>/<name>.done.json` records it as done; returns its seconds.
    private func stage(_ name: String, in dir: URL, _ body: () throws -> Void) throws -> Double {
        let marker = dir.appendingPathComponent("\(name).done.json")
        if let d = try? Data(contentsOf: marker), let s = try? JSONDecoder().decode([String: Double].self, from: d), let t = s["seconds"] {
            return t
        }
        let start = Date()
        try body()
        let t = Date().timeIntervalSince(start)
        try EvaluationReport.writeJSON(["seconds": t], to: marker)
        return t
    }

    private func runCell(kind: String, steps: Int, seed: Int, classifier: URL, reference: URL) throws -> StudyCell {
        let dir = cellURL(StudyCell.name(kind: kind, steps: steps, seed: seed))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tokDir = dir.appendingPathComponent("tokenizer"), latents = dir.appendingPathComponent("latents")
        let ditDir = dir.appendingPathComponent("dit"), samples = dir.appendingPathComponent("samples")
        let evalDir = dir.appendingPathComponent("eval")
        let tc = try tokenizerConfig(kind: kind, steps: steps, seed: seed, output: tokDir)
        let flops = TrainingFLOPs(config: tc)
        var times: [String: Double] = [:]
        log(String(format: "  tokenizer: %d steps at batch %d, %.3g FLOPs/step, %.3g FLOPs", steps, tc.schedule.batchSize,
                   flops.perStep, flops.total(steps: steps)))
        times["tokenizer"] = try stage("tokenizer", in: dir) {
            let t = try Trainer(config: tc, communicator: SingleProcess())
            t.verbose = verboseTraining
            try t.run()
        }
        let modelDir = try InitialWeights.modelDirectory(for: tokDir.path)
        let model = try VTPModel.load(directory: modelDir)
        log("  latents of \(config.data.train)")
        times["latents"] = try stage("latents", in: dir) {
            try LatentExtraction.extract(tokenizer: model, tokenizerPath: modelDir.path,
                                         dataset: try LabelledImages.open(config.data.train, limit: config.data.latentLimit > 0 ? config.data.latentLimit : nil),
                                         output: latents)
        }
        let dc = try DiTTrainConfig.load(from: URL(fileURLWithPath: config.dit.config),
                                         overrides: config.dit.overrides + ["data.latents=\(latents.path)", "output_dir=\(ditDir.path)", "seed=\(seed)"])
        log("  DiT: \(dc.schedule.steps) steps at batch \(dc.schedule.batchSize)")
        times["dit"] = try stage("dit", in: dir) {
            let t = try Trainer(dit: dc, parallel: .single)
            t.verbose = verboseTraining
            try t.run()
        }
        log("  samples: \(config.eval.samplesPerClass) per class, \(config.eval.sampleSteps) Euler points")
        times["samples"] = try stage("samples", in: dir) {
            var o = DiTSampleRun.Options(model: ditDir, tokenizer: modelDir, output: samples)
            o.perClass = config.eval.samplesPerClass
            o.method = ODEMethod(rawValue: dc.sample.method) ?? .euler
            o.steps = config.eval.sampleSteps
            (o.shift, o.cfgScale, o.useEMA, o.seed) = (dc.sample.shift, dc.sample.cfg, dc.sample.useEMA, UInt64(seed))
            _ = try DiTSampleRun.run(o)
        }
        log("  evaluation")
        let evalStart = Date()
        var cell = StudyCell(kind: kind, steps: steps, seed: seed, batchSize: tc.schedule.batchSize, flopsPerStep: flops.perStep,
                             flops: flops.total(steps: steps), stageSeconds: [:], seconds: 0, zeroShot: nil, knn: nil, linearProbe: nil,
                             psnr: .nan, domainRFID: nil, domainGFID: nil, classConsistency: .nan, finished: "")
        try evaluate(model: model, modelPath: modelDir.path, output: evalDir, into: &cell)
        var rec = ReconstructionEvaluation.Options(data: config.data.test, output: evalDir)
        (rec.limit, rec.domainNet) = (limit, classifier)
        let r = try ReconstructionEvaluation.evaluate(model: model, modelPath: modelDir.path, rec)
        (cell.psnr, cell.domainRFID) = (r.psnr, r.domainRFID)
        let g = try GenerationEvaluation.evaluate(samples: samples, classifier: try DomainNetwork(directory: classifier),
                                                  reference: reference.path)
        (cell.domainGFID, cell.classConsistency) = (g.domainFD, g.classConsistency)
        times["eval"] = Date().timeIntervalSince(evalStart)
        cell.stageSeconds = times
        cell.seconds = times.values.reduce(0, +)
        cell.finished = ISO8601DateFormatter().string(from: Date())
        try EvaluationReport.writeJSON(cell, to: dir.appendingPathComponent("cell.json"))
        log(String(format: "  done in %.0f s: domain gFID %@, PSNR %.2f dB, zero-shot %@, %@ %@", cell.seconds,
                   EvaluationReport.cell(cell.domainGFID, 3), cell.psnr, percent(cell.zeroShot),
                   config.eval.understanding == "knn" ? "k-NN" : "linear probe", percent(cell.knn ?? cell.linearProbe)))
        return cell
    }

    private func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", 100 * $0) } ?? "–" }

    /// Zero-shot (when the tokenizer has CLIP towers) and k-NN or the linear probe.
    private func evaluate(model: VTPModel, modelPath: String, output: URL, into cell: inout StudyCell) throws {
        let e = config.eval, d = config.data
        if model.visualProj != nil {
            let list: [String]
            var fill: (String, String) -> String = PromptTemplates.fill
            switch e.templates {
            case "grayscale": (list, fill) = (CaptionTemplates.grayscale, { CaptionTemplates.fill($0, with: $1) })
            case "photo": (list, fill) = (CaptionTemplates.photo, { CaptionTemplates.fill($0, with: $1) })
            default: list = PromptTemplates.named(e.templates) ?? PromptTemplates.simple
            }
            cell.zeroShot = try RepresentationEvaluation.zeroShot(model: model, modelPath: modelPath, data: d.test, limit: limit, classNames: nil,
                                                                  templates: list, templatesName: "\(e.templates) (\(list.count))", fill: fill,
                                                                  output: output).top1
        }
        if e.understanding == "knn" {
            cell.knn = try RepresentationEvaluation.knn(model: model, modelPath: modelPath, train: d.train, validation: d.test,
                                                        limit: limit, output: output).top1
        } else {
            var o = LinearProbe.Options()
            o.epochs = e.probeEpochs
            cell.linearProbe = try RepresentationEvaluation.linearProbe(model: model, modelPath: modelPath, train: d.train, validation: d.test,
                                                                        limit: limit, options: o, output: output).result.best.accuracy
        }
    }
}
