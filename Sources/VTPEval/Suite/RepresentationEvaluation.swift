import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// `vtp eval zero-shot`, `vtp eval knn` and `vtp eval linear-probe`: what a tokenizer's representation is worth
/// for understanding, on frozen features (`DatasetFeatures`, cached in the output folder so that a repeated or
/// interrupted evaluation does not run the model again). Each writes `<name>.json` and `<name>.md`.
public enum RepresentationEvaluation {
    /// Where the features of `data` are cached.
    public static func cacheURL(_ output: URL, data: String, pipeline: String) -> URL {
        let safe = data.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        return output.appendingPathComponent("features-\(pipeline)-\(String(safe.suffix(60))).safetensors")
    }

    // MARK: zero-shot

    public struct ZeroShotReport: Codable, Sendable {
        public var model: String
        public var data: String
        public var images: Int
        public var classes: Int
        public var templates: String
        public var top1: Double
        public var top5: Double
        public var perClassTop1: [Double]
        public var classNames: [String]
        public var seconds: Double
        public var cpu: String
    }

    /// The official protocol (F.1): squash-resize to the model's size, class weights = mean of normalised text
    /// features over the templates, top-1/top-5 of `100 · f_img · W`. `classNames` nil: the dataset's.
    public static func zeroShot(model: VTPModel, modelPath: String, data: String, limit: Int?, classNames: [String]?,
                                templates: [String], templatesName: String, fill: @escaping (String, String) -> String = PromptTemplates.fill,
                                output: URL, progress: (Int, Int) -> Void = { _, _ in }) throws -> ZeroShotReport {
        let start = Date()
        guard model.visualProj != nil else { throw MetricError.invalidInput("\(modelPath) has no CLIP towers: zero-shot needs them") }
        let pipeline = Preprocess.Pipeline.zeroShot(size: model.config.imageSize)
        let f = try DatasetFeatures.load(model: model, modelPath: modelPath, data: data, limit: limit, pipeline: pipeline,
                                         cache: cacheURL(output, data: data, pipeline: "zeroshot"), progress: progress)
        guard let names = classNames ?? f.classNames else {
            throw MetricError.invalidInput("\(data) has no class names: give --classnames")
        }
        let maxLabel = f.labels.max() ?? 0
        guard maxLabel < names.count else { throw MetricError.invalidInput("\(data) has label \(maxLabel) but only \(names.count) class names") }
        let classifier = try ZeroShotClassifier(model: model, tokenizer: try CLIPTokenizer(), classNames: names, templates: templates, fill: fill)
        let probs = classifier.probabilities(imageFeatures: f.clip!).scalars
        let c = names.count
        var top1 = 0, top5 = 0
        var hits = [Int](repeating: 0, count: c), counts = [Int](repeating: 0, count: c)
        for (i, y) in f.labels.enumerated() {
            let row = probs[(i * c)..<((i + 1) * c)]
            // Rank of the true class: classes scoring higher (ties: lower index first).
            let rank = row.indices.filter { row[$0] > row[i * c + y] || (row[$0] == row[i * c + y] && $0 - i * c < y) }.count
            counts[y] += 1
            if rank == 0 { top1 += 1; hits[y] += 1 }
            if rank < 5 { top5 += 1 }
        }
        let n = Double(f.count)
        let report = ZeroShotReport(model: modelPath, data: data, images: f.count, classes: c, templates: templatesName,
                                    top1: Double(top1) / n, top5: Double(top5) / n,
                                    perClassTop1: zip(hits, counts).map { $1 > 0 ? Double($0) / Double($1) : .nan },
                                    classNames: names, seconds: Date().timeIntervalSince(start), cpu: CPUInfo.current.name)
        try EvaluationReport.writeJSON(report, to: output.appendingPathComponent("zero-shot.json"))
        try EvaluationReport.writeMarkdown(markdown(report), to: output.appendingPathComponent("zero-shot.md"))
        return report
    }

    public static func markdown(_ r: ZeroShotReport) -> String {
        var s = "# Zero-shot classification\n\n`\(r.model)` on \(r.images) images of `\(r.data)`, \(r.classes) classes, "
        s += "templates: \(r.templates). \(String(format: "%.0f", r.seconds)) s on \(r.cpu).\n\n"
        s += EvaluationReport.table(["top-1", "top-5"], [[EvaluationReport.cell(r.top1 * 100, 2) + "%", EvaluationReport.cell(r.top5 * 100, 2) + "%"]])
        if r.classes <= 50 {
            s += "\n" + EvaluationReport.table(["class", "top-1"], zip(r.classNames, r.perClassTop1).map { [$0, EvaluationReport.cell($1 * 100, 1) + "%"] })
        }
        return s
    }

    // MARK: k-NN and linear probe

    public struct KNNReport: Codable, Sendable {
        public var model: String
        public var train: String
        public var validation: String
        public var trainImages: Int
        public var validationImages: Int
        public var k: Int
        public var temperature: Double
        public var top1: Double
        public var seconds: Double
        public var cpu: String
    }

    public struct LinearProbeReport: Codable, Sendable {
        public var model: String
        public var train: String
        public var validation: String
        public var result: LinearProbe.Result
        public var seconds: Double
        public var cpu: String
    }

    /// Train and validation features with the linear-probing preprocessing (F.2: resize the shorter side to
    /// size·256/224, centre crop to the model's size), cached in `output`.
    public static func probeFeatures(model: VTPModel, modelPath: String, train: String, validation: String, limit: Int?,
                                     output: URL, progress: (String, Int, Int) -> Void) throws -> (DatasetFeatures, DatasetFeatures) {
        let size = model.config.imageSize
        let pipeline = Preprocess.Pipeline.linearProbe(resize: (size * 256 + 112) / 224, crop: size)
        let a = try DatasetFeatures.load(model: model, modelPath: modelPath, data: train, limit: limit, pipeline: pipeline,
                                         cache: cacheURL(output, data: train, pipeline: "probe")) { progress(train, $0, $1) }
        let b = try DatasetFeatures.load(model: model, modelPath: modelPath, data: validation, limit: limit, pipeline: pipeline,
                                         cache: cacheURL(output, data: validation, pipeline: "probe")) { progress(validation, $0, $1) }
        return (a, b)
    }

    /// DINO's weighted k-NN (k = 20, T = 0.07) of the final-norm CLS features: validation queries, training references.
    public static func knn(model: VTPModel, modelPath: String, train: String, validation: String, limit: Int?, k: Int = 20,
                           temperature: Double = 0.07, output: URL, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> KNNReport {
        let start = Date()
        let (a, b) = try probeFeatures(model: model, modelPath: modelPath, train: train, validation: validation, limit: limit,
                                       output: output, progress: progress)
        let predicted = KNNClassifier.predict(queries: b.lastCLS, references: a.lastCLS, referenceLabels: a.labels, k: k,
                                              temperature: Float(temperature))
        let top1 = Double(zip(predicted, b.labels).filter { $0 == $1 }.count) / Double(b.count)
        let report = KNNReport(model: modelPath, train: train, validation: validation, trainImages: a.count, validationImages: b.count,
                               k: k, temperature: temperature, top1: top1, seconds: Date().timeIntervalSince(start), cpu: CPUInfo.current.name)
        try EvaluationReport.writeJSON(report, to: output.appendingPathComponent("knn.json"))
        try EvaluationReport.writeMarkdown(
            "# k-NN classification\n\n`\(modelPath)`: \(b.count) images of `\(validation)` classified by their \(k) nearest of \(a.count) "
                + "images of `\(train)` (cosine similarity of final-norm CLS features, votes exp(s/\(temperature))).\n\n"
                + EvaluationReport.table(["top-1"], [[EvaluationReport.cell(top1 * 100, 2) + "%"]]),
            to: output.appendingPathComponent("knn.md"))
        return report
    }

    /// DINOv2's linear evaluation (see `LinearProbe`).
    public static func linearProbe(model: VTPModel, modelPath: String, train: String, validation: String, limit: Int?,
                                   options: LinearProbe.Options, output: URL,
                                   progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> LinearProbeReport {
        let start = Date()
        let (a, b) = try probeFeatures(model: model, modelPath: modelPath, train: train, validation: validation, limit: limit,
                                       output: output, progress: progress)
        let result = try LinearProbe.run(train: a, validation: b, options) { e, total, best in progress("epoch", e, total); _ = best }
        let report = LinearProbeReport(model: modelPath, train: train, validation: validation, result: result,
                                       seconds: Date().timeIntervalSince(start), cpu: CPUInfo.current.name)
        try EvaluationReport.writeJSON(report, to: output.appendingPathComponent("linear-probe.json"))
        var md = "# Linear probe\n\n`\(modelPath)`: linear classifiers on frozen features of \(a.count) images of `\(train)`, "
        md += "measured on \(b.count) images of `\(validation)` (\(result.epochs) epochs, batch \(result.batchSize), SGD momentum 0.9, cosine).\n\n"
        md += "Best: **\(EvaluationReport.cell(result.best.accuracy * 100, 2))%** top-1 (\(result.best.features), lr \(result.best.lr), epoch \(result.best.epoch)).\n\n"
        let configs = Array(Set(result.entries.map(\.features))).sorted()
        md += EvaluationReport.table(["features", "best top-1", "its lr"], configs.map { c in
            let e = result.entries.filter { $0.features == c }.max { $0.accuracy < $1.accuracy }!
            return [c, EvaluationReport.cell(e.accuracy * 100, 2) + "%", "\(e.lr)"]
        })
        try EvaluationReport.writeMarkdown(md, to: output.appendingPathComponent("linear-probe.md"))
        return report
    }
}
