import ArgumentParser
import Foundation
import VTPData
import VTPDistributed
import VTPGeneration
import VTPModels
import VTPTraining

/// `vtp dit extract`: latents of a labelled dataset for LightningDiT training.
struct DitExtract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Encode a labelled image dataset (and its flipped images) to latent shards with their statistics.",
        discussion: """
        DATA is `fmnist` (Debian's Fashion-MNIST training split; `fmnist-test` for the test split) or a folder with \
        one sub-folder per class. Images are centre-cropped (ADM) to the tokenizer's image size, as the official \
        extraction. Writes shard-*.safetensors (latents, latents_flip, labels), latents_stats.safetensors and \
        latents.json to OUTPUT; a killed extraction continues where it stopped.

          vtp dit extract --tokenizer runs/fmnist-tiny --data fmnist --output runs/fmnist-latents
        """)

    @Option(name: .long, help: "Tokenizer: a model folder, a checkpoint or a run folder (its newest checkpoint).")
    var tokenizer: String

    @Option(name: .long, help: "fmnist, fmnist-test, or a class-folder dataset.")
    var data: String

    @Option(name: .long, help: "Output folder.")
    var output: String

    @Option(name: .long, help: "Only the first N images (e.g. a quick run on part of the data).")
    var limit: Int?

    @Option(name: .long, help: "Latents per shard.")
    var shardSize: Int = 4096

    func validate() throws {
        if shardSize < 1 { throw ValidationError("--shard-size must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// Under `mpirun` the ranks share the shards (output on a shared file system); an error on one rank ends all.
    func run() throws {
        try onEveryRank { world in try extract(DataParallel(communicator: world)) }
    }

    private func extract(_ parallel: DataParallel) throws {
        let dir = try InitialWeights.modelDirectory(for: tokenizer)
        let info = try LatentExtraction.extract(tokenizer: try VTPModel.load(directory: dir), tokenizerPath: dir.path,
                                                dataset: try LabelledImages.open(data, limit: limit), output: URL(fileURLWithPath: output),
                                                shardSize: shardSize, parallel: parallel) { done, total in
            if parallel.isDistributed {
                FileHandle.standardError.write(Data("rank \(parallel.rank): latents up to \(done) of \(total)\n".utf8))
            } else {
                FileHandle.standardError.write(Data("\rlatents \(done)/\(total)\(done == total ? "\n" : "")".utf8))
            }
        }
        guard parallel.rank == 0 else { return }
        print("\(info.count) latents [\(info.channels), \(info.height), \(info.width)] of \(info.classNames.count) classes -> \(output)")
    }
}
