import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// `vtp eval reconstruction`: the official reconstruction protocol (`test_reconstruction_hf.py`) on any image
/// set — ADM centre crop to the tokenizer's size, encode, decode, 8-bit round trip (originals rounded,
/// reconstructions truncated) — with PSNR per image (20·log10(255/√MSE), averaged), SSIM (torchmetrics
/// defaults on the 8-bit images / 255), LPIPS-VGG on [−1, 1] when its weights are given, and the Fréchet
/// distance between originals and reconstructions: rFID with Inception weights, domain rFID with a domain
/// classifier. Writes `reconstruction.json`, `reconstruction.md` and `reconstruction.png` (examples).
public enum ReconstructionEvaluation {
    public struct Options {
        public var data: String
        public var output: URL
        public var limit: Int?
        public var batchSize = 64
        public var lpipsWeights: [URL] = []
        public var inceptionWeights: URL?
        public var domainNet: URL?
        public var examples = 8

        public init(data: String, output: URL) { (self.data, self.output) = (data, output) }
    }

    public struct Report: Codable, Sendable {
        public var model: String
        public var data: String
        public var images: Int
        public var imageSize: Int
        public var psnr: Double
        public var ssim: Double
        public var lpips: Double?
        /// Inception FID between originals and reconstructions.
        public var rFID: Double?
        /// The same distance in the domain classifier's features (a domain metric).
        public var domainRFID: Double?
        public var domainNet: String?
        public var seconds: Double
        public var cpu: String
    }

    public static func evaluate(model: VTPModel, modelPath: String, _ o: Options, progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        let start = Date()
        guard model.pixelDecoder != nil else { throw MetricError.invalidInput("\(modelPath) has no pixel decoder to reconstruct with") }
        guard o.batchSize >= 1 else { throw MetricError.invalidInput("batch size must be positive") }
        let set = try ImageSet(o.data, limit: o.limit)
        let size = model.config.imageSize
        let lpips = o.lpipsWeights.isEmpty ? nil : try LPIPSEvaluation.model(weights: o.lpipsWeights)
        let inception = try o.inceptionWeights.map { try FeatureNetwork.open(inceptionWeights: $0.path, domainNet: nil) }
        let domain = try o.domainNet.map { try FeatureNetwork.open(inceptionWeights: nil, domainNet: $0.path) }
        var psnr = 0.0, ssim = 0.0, lpipsTotal = 0.0
        var features: [(net: FeatureNetwork, a: [Double], b: [Double])] = [inception, domain].compactMap { $0.map { ($0, [], []) } }
        var shown: [Reconstruction.Pair] = []
        let pipeline = Preprocess.Pipeline.reconstruction(size: size)
        for begin in stride(from: 0, to: set.count, by: o.batchSize) {
            let end = min(begin + o.batchSize, set.count)
            let x = try ImageTensors.batch(try set.images(begin..<end), pipeline: pipeline)
            let pairs = try withNoGrad { try Reconstruction.pairs(originals: x, reconstructions: try model.reconstruct(x)) }
            let originals = pairs.map(\.original), recons = pairs.map(\.reconstruction)
            psnr += pairs.reduce(0) { $0 + min($1.psnr, 100) }
            let a = ImageTensors.unitRGB(originals), b = ImageTensors.unitRGB(recons)
            ssim += try SSIM.perImage(b, a).reduce(0, +)
            if let lpips {
                let d = withNoGrad { lpips.stageDistances(a * 2 - 1, b * 2 - 1) }
                lpipsTotal += d.dropFirst().reduce(d[0]) { $0 + $1 }.scalars.reduce(0) { $0 + Double($1) }
            }
            for k in features.indices {
                features[k].a += features[k].net.features(originals).map(Double.init)
                features[k].b += features[k].net.features(recons).map(Double.init)
            }
            shown += pairs.prefix(max(o.examples - shown.count, 0))
            progress(end, set.count)
        }
        let n = Double(set.count)
        var report = Report(model: modelPath, data: o.data, images: set.count, imageSize: size, psnr: psnr / n, ssim: ssim / n,
                            lpips: lpips == nil ? nil : lpipsTotal / n, rFID: nil, domainRFID: nil, domainNet: o.domainNet?.path,
                            seconds: 0, cpu: CPUInfo.current.name)
        for f in features where set.count >= 2 {
            let d = try FrechetDistance.distance(
                try FeatureStatistics(features: f.a, count: set.count, dimension: f.net.dimension),
                try FeatureStatistics(features: f.b, count: set.count, dimension: f.net.dimension))
            if case .domain = f.net { report.domainRFID = d } else { report.rFID = d }
        }
        report.seconds = Date().timeIntervalSince(start)
        try FileManager.default.createDirectory(at: o.output, withIntermediateDirectories: true)
        try EvaluationReport.writeJSON(report, to: o.output.appendingPathComponent("reconstruction.json"))
        try EvaluationReport.writeMarkdown(markdown(report), to: o.output.appendingPathComponent("reconstruction.md"))
        if !shown.isEmpty {
            try ImageGrid.comparison(originals: shown.map(\.original), reconstructions: shown.map(\.reconstruction),
                                     columnLabels: shown.map { String(format: "%.1f dB", $0.psnr) },
                                     title: "\(o.data): PSNR \(String(format: "%.2f", report.psnr)) dB, SSIM \(String(format: "%.4f", report.ssim))")
                .writePNG(to: o.output.appendingPathComponent("reconstruction.png"))
        }
        return report
    }

    public static func markdown(_ r: Report) -> String {
        var s = "# Reconstruction\n\n`\(r.model)` on \(r.images) images of `\(r.data)` at \(r.imageSize)×\(r.imageSize) "
        s += "(ADM centre crop, 8-bit round trip). \(String(format: "%.0f", r.seconds)) s on \(r.cpu).\n\n"
        var rows = [["PSNR (dB)", EvaluationReport.cell(r.psnr, 2)], ["SSIM", EvaluationReport.cell(r.ssim, 4)]]
        if let l = r.lpips { rows.append(["LPIPS (VGG)", EvaluationReport.cell(l, 4)]) }
        if let f = r.rFID { rows.append(["rFID (Inception)", EvaluationReport.cell(f, 3)]) }
        if let d = r.domainRFID { rows.append(["domain rFID (classifier `\(r.domainNet ?? "")`)", EvaluationReport.cell(d, 3)]) }
        return s + EvaluationReport.table(["metric", "value"], rows)
    }
}
