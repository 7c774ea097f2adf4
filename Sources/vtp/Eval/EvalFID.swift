import ArgumentParser
import Foundation
import VTPEval

/// `vtp eval fid`: FID (Inception) or domain FD between two image sets or statistics files.
struct EvalFID: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fid",
        abstract: "Fréchet distance between two image sets: FID with --weights (pytorch-fid Inception), domain FD with --net.",
        discussion: """
        A and B are each an image folder (its top-level images, as pytorch-fid; a folder of class sub-folders is read \
        as a dataset), a samples .npz (arr_0 uint8 [N, H, W, 3]), fmnist / fmnist-test, or a statistics file \
        (safetensors mu+sigma or features, an ADM reference .npz). Without B, only --save-stats is written.

          vtp eval fid out/samples fmnist-test --net runs/fmnist-classifier
          vtp eval fid imagenet-val/ --weights pt_inception-2015-12-05-6726825d.pth --save-stats val-stats.safetensors
        """)

    @Argument(help: "First image set or statistics file.") var a: String
    @Argument(help: "Second image set or statistics file.") var b: String?
    @Option(help: "pytorch-fid Inception weights (.pth or safetensors): FID.") var weights: String?
    @Option(help: "Domain classifier folder (vtp eval train-classifier): domain FD.") var net: String?
    @Option(help: "Write A's statistics (mu, sigma; F64 safetensors) for reuse.") var saveStats: String?
    @Option(help: "Only the first N images of each set.") var limit: Int?
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        if b == nil && saveStats == nil { throw ValidationError("give B, or --save-stats to only save A's statistics") }
        if let limit, limit < 2 { throw ValidationError("--limit must be at least 2") }
    }

    func run() throws {
        let network = try FeatureNetwork.open(inceptionWeights: weights, domainNet: net)
        let report: (String, Int, Int) -> Void = { source, done, total in
            note("\(source): \(done)/\(total) images")
        }
        guard let b else {
            let (s, n) = try FIDEvaluation.statistics(of: a, network: network, limit: limit) { report(a, $0, $1) }
            try s.save(to: URL(fileURLWithPath: saveStats!))
            print("statistics of \(n.map(String.init) ?? "saved") \(a) (\(s.dimension)-d, \(network.description)) -> \(saveStats!)")
            return
        }
        let r = try FIDEvaluation.run(a, b, network: network, limit: limit, saveStatistics: saveStats.map { URL(fileURLWithPath: $0) },
                                      progress: report)
        if json {
            let key = network.metricName == "FID" ? "fid" : "domain_fd"
            print("{\"\(key)\": \(r.distance), \"frechet_distance\": \(r.distance), \"images_a\": \(r.a.images.map(String.init) ?? "null"), \"images_b\": \(r.b.images.map(String.init) ?? "null")}")
        } else {
            print("\(r.metric) \(String(format: "%.4f", r.distance))  (\(r.network); A: \(r.a.images.map { "\($0) images" } ?? "statistics"), B: \(r.b.images.map { "\($0) images" } ?? "statistics"))")
        }
    }
}
