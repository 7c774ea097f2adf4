import ArgumentParser
import Foundation
import VTPEval
import VTPModels
import VTPTraining

/// `vtp eval reconstruction`: PSNR, SSIM, LPIPS, rFID / domain rFID of a tokenizer on an image set.
struct EvalReconstruction: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruction",
        abstract: "Reconstruction quality of a tokenizer: PSNR, SSIM, LPIPS, rFID (Inception) and domain rFID.",
        discussion: """
        The official protocol: ADM centre crop to the tokenizer's image size, encode, decode, 8-bit round trip. \
        DATA is an image folder, a samples .npz, fmnist or fmnist-test. Writes reconstruction.json, \
        reconstruction.md and reconstruction.png (examples) to --output.

          vtp eval reconstruction --model runs/fmnist-tiny --data fmnist-test --net runs/fmnist-classifier --output out/eval
        """)

    @Option(help: "Tokenizer: a model folder, a checkpoint or a run folder (its newest checkpoint).") var model: String
    @Option(help: "Images: a folder, a samples .npz, fmnist or fmnist-test.") var data: String
    @Option(help: "Report folder.") var output: String
    @Option(help: "Only the first N images.") var limit: Int?
    @Option(help: "Images per batch.") var batchSize = 64
    @Option(parsing: .upToNextOption, help: "LPIPS weights: torchvision vgg16 .pth + lpips vgg.pth, or one safetensors file.") var lpipsWeights: [String] = []
    @Option(help: "pytorch-fid Inception weights: rFID.") var inceptionWeights: String?
    @Option(help: "Domain classifier folder: domain rFID.") var net: String?

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let dir = try InitialWeights.modelDirectory(for: model)
        var o = ReconstructionEvaluation.Options(data: data, output: URL(fileURLWithPath: output))
        (o.limit, o.batchSize) = (limit, batchSize)
        o.lpipsWeights = lpipsWeights.map { URL(fileURLWithPath: $0) }
        o.inceptionWeights = inceptionWeights.map { URL(fileURLWithPath: $0) }
        o.domainNet = net.map { URL(fileURLWithPath: $0) }
        let r = try ReconstructionEvaluation.evaluate(model: try VTPModel.load(directory: dir), modelPath: dir.path, o) { done, total in
            FileHandle.standardError.write(Data("\rreconstructed \(done)/\(total)\(done == total ? "\n" : "")".utf8))
        }
        print(ReconstructionEvaluation.markdown(r))
        print("-> \(output)/reconstruction.json, reconstruction.md, reconstruction.png")
    }
}
