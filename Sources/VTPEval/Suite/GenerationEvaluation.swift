import Foundation
import VTPData
import VTPTensor

/// What a folder of class-conditional samples holds (`samples.json`, written by `vtp dit sample`): the image
/// files in order and the class each was generated for.
public struct SampleManifest: Codable, Sendable {
    public var files: [String]
    public var labels: [Int]
    public var classNames: [String]?
    /// The sampling settings, one line.
    public var settings: String

    public static let fileName = "samples.json"

    public init(files: [String], labels: [Int], classNames: [String]?, settings: String) {
        (self.files, self.labels, self.classNames, self.settings) = (files, labels, classNames, settings)
    }

    enum CodingKeys: String, CodingKey {
        case files, labels, settings
        case classNames = "class_names"
    }

    public static func load(from directory: URL) throws -> SampleManifest {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MetricError.invalidInput("\(url.path) is missing: class consistency needs the classes the samples were generated for (write it with vtp dit sample)")
        }
        let m: SampleManifest
        do { m = try JSONDecoder().decode(SampleManifest.self, from: data) } catch {
            throw MetricError.invalidInput("\(url.path) is not a samples manifest (\(error))")
        }
        guard m.files.count == m.labels.count, !m.files.isEmpty else {
            throw MetricError.invalidInput("\(url.path): \(m.files.count) files but \(m.labels.count) labels")
        }
        return m
    }

    public func save(to directory: URL) throws {
        try EvaluationReport.writeJSON(self, to: directory.appendingPathComponent(Self.fileName))
    }
}

/// `vtp eval generation`: domain metrics of class-conditional samples — **class consistency** (the share of
/// samples the domain classifier assigns to the class they were generated for; real held-out images score the
/// classifier's own accuracy) and the **domain FD** to a reference set — plus Inception FID when its weights are
/// given. Writes `generation.json` and `generation.md` into the samples folder.
public enum GenerationEvaluation {
    public struct Report: Codable, Sendable {
        public var samples: String
        public var images: Int
        public var settings: String
        public var classifier: String
        /// The classifier's accuracy on real held-out images (its `classifier.json`), the ceiling of consistency.
        public var classifierAccuracy: Double?
        public var classConsistency: Double
        public var classConsistencyPerClass: [Double]
        public var classNames: [String]?
        public var reference: String?
        public var domainFD: Double?
        public var fid: Double?
        public var seconds: Double
        public var cpu: String
    }

    /// Measures the samples in `directory` (with their `samples.json`). `reference` (an image set or statistics
    /// file) enables the domain FD, and with `inception` also the FID.
    public static func evaluate(samples directory: URL, classifier: DomainNetwork, reference: String?,
                                inception: FeatureNetwork? = nil, progress: (String) -> Void = { _ in }) throws -> Report {
        let start = Date()
        let manifest = try SampleManifest.load(from: directory)
        var images: [RGBImage] = []
        for f in manifest.files { images.append(try RGBImage.load(directory.appendingPathComponent(f))) }
        let classes = classifier.model.config.numClasses
        if let bad = manifest.labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw MetricError.invalidInput("samples.json names class \(bad); the classifier knows \(classes) classes")
        }
        let out = classifier.apply(images)
        var hits = [Int](repeating: 0, count: classes), counts = [Int](repeating: 0, count: classes)
        for (p, y) in zip(out.predicted, manifest.labels) {
            counts[y] += 1
            if p == y { hits[y] += 1 }
        }
        var report = Report(
            samples: directory.path, images: images.count, settings: manifest.settings, classifier: classifier.directory.path,
            classifierAccuracy: try? classifierAccuracy(classifier.directory),
            classConsistency: Double(hits.reduce(0, +)) / Double(images.count),
            classConsistencyPerClass: zip(hits, counts).map { $1 > 0 ? Double($0) / Double($1) : .nan },
            classNames: manifest.classNames ?? classifier.model.config.classNames, reference: reference,
            domainFD: nil, fid: nil, seconds: 0, cpu: CPUInfo.current.name)
        if let reference {
            guard images.count >= 2 else { throw MetricError.invalidInput("a Fréchet distance needs at least 2 samples") }
            let mine = try FeatureStatistics(features: out.features.map(Double.init), count: images.count, dimension: classifier.featureDimension)
            progress("domain statistics of \(reference)")
            report.domainFD = try FrechetDistance.distance(mine, try FIDEvaluation.statistics(of: reference, network: .domain(classifier)).0)
            if let inception {
                progress("Inception statistics of the samples and \(reference)")
                let f = inception.features(images).map(Double.init)
                let s = try FeatureStatistics(features: f, count: images.count, dimension: inception.dimension)
                report.fid = try FrechetDistance.distance(s, try FIDEvaluation.statistics(of: reference, network: inception).0)
            }
        }
        report.seconds = Date().timeIntervalSince(start)
        try EvaluationReport.writeJSON(report, to: directory.appendingPathComponent("generation.json"))
        try EvaluationReport.writeMarkdown(markdown(report), to: directory.appendingPathComponent("generation.md"))
        return report
    }

    static func classifierAccuracy(_ directory: URL) throws -> Double {
        let data = try Data(contentsOf: directory.appendingPathComponent("classifier.json"))
        return try JSONDecoder().decode(DomainClassifierTraining.Report.self, from: data).accuracy
    }

    public static func markdown(_ r: Report) -> String {
        var s = "# Generation: domain metrics\n\n\(r.images) samples in `\(r.samples)` (\(r.settings)).\n\n"
        s += "Domain metrics use the classifier `\(r.classifier)`: compare them only between runs measured with it.\n\n"
        var rows = [["class consistency (domain)", EvaluationReport.cell(r.classConsistency * 100, 1) + "%"]]
        if let a = r.classifierAccuracy { rows.append(["classifier accuracy on real held-out images", EvaluationReport.cell(a * 100, 1) + "%"]) }
        if let d = r.domainFD { rows.append(["domain FD to \(r.reference ?? "")", EvaluationReport.cell(d, 2)]) }
        if let f = r.fid { rows.append(["FID (Inception) to \(r.reference ?? "")", EvaluationReport.cell(f, 2)]) }
        s += EvaluationReport.table(["metric", "value"], rows) + "\n"
        let names = r.classNames ?? []
        s += EvaluationReport.table(["class", "consistency"], r.classConsistencyPerClass.enumerated().map { k, v in
            [k < names.count ? names[k] : "class \(k)", v.isNaN ? "—" : EvaluationReport.cell(v * 100, 1) + "%"]
        })
        return s
    }
}
