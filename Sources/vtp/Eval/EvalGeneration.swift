import ArgumentParser
import Foundation
import VTPEval

/// `vtp eval generation`: class consistency and domain FD of `vtp dit sample` output.
struct EvalGeneration: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generation",
        abstract: "Domain metrics of class-conditional samples: class consistency and domain FD (and FID with --weights).",
        discussion: """
        SAMPLES is a folder written by `vtp dit sample` (its samples.json names the class of every image). Writes \
        generation.json and generation.md into it.

          vtp eval generation --samples out/samples --net runs/fmnist-classifier --reference fmnist-test
        """)

    @Option(help: "Samples folder (vtp dit sample output).") var samples: String
    @Option(help: "Domain classifier folder (vtp eval train-classifier).") var net: String
    @Option(help: "Real images to compare with (image folder, fmnist-test, statistics file); omit to skip the FD.") var reference: String?
    @Option(help: "pytorch-fid Inception weights: also report FID to the reference.") var weights: String?

    func run() throws {
        let classifier = try DomainNetwork(directory: URL(fileURLWithPath: net))
        let inception = try weights.map { try FeatureNetwork.open(inceptionWeights: $0, domainNet: nil) }
        let r = try GenerationEvaluation.evaluate(samples: URL(fileURLWithPath: samples), classifier: classifier,
                                                  reference: reference, inception: inception, progress: note)
        print(GenerationEvaluation.markdown(r))
        print("-> \(samples)/generation.json, \(samples)/generation.md")
    }
}
