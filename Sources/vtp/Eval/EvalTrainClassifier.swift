import ArgumentParser
import Foundation
import VTPEval
import VTPTensor
import VTPTraining

/// `vtp eval train-classifier`: the domain feature network for small data.
struct EvalTrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-classifier",
        abstract: "Train the domain classifier whose features give domain FD and whose predictions give class consistency.",
        discussion: """
        Inception features mean little on 28×28 grey images and its weights may not be at hand, so generation and \
        reconstruction on small data are judged with a classifier trained on the domain itself. Its folder is what \
        `--net` takes in `vtp eval fid`, `vtp eval reconstruction`, `vtp eval generation` and `vtp dit sample`. \
        Metrics computed with it are domain metrics: compare them only between runs measured with the same network.

          vtp eval train-classifier --data fmnist --output runs/fmnist-classifier
        """)

    @Option(help: "Training data: fmnist, or a folder with one sub-folder per class.") var data: String
    @Option(help: "Held-out data (default: fmnist-test for fmnist, otherwise every 10th training image).") var validation: String?
    @Option(help: "Output folder.") var output: String
    @Option(help: "Passes over the training data.") var epochs = 5
    @Option(help: "Images per step.") var batchSize = 128
    @Option(help: "Peak learning rate (AdamW, cosine decay).") var lr = 2e-3
    @Option(help: "Input side (images are resized to it).") var imageSize = 28
    @Option(help: "Only the first N training images.") var limit: Int?
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Flag(help: "Augment: random horizontal flips and shifts of up to 2 pixels.") var augment = false

    func validate() throws {
        if epochs < 1 || batchSize < 1 { throw ValidationError("--epochs and --batch-size must be at least 1") }
        if !(lr > 0) { throw ValidationError("--lr must be positive") }
        if let limit, limit < 10 { throw ValidationError("--limit must be at least 10") }
    }

    func run() throws {
        var o = DomainClassifierTraining.Options(data: data, output: URL(fileURLWithPath: output))
        (o.validation, o.epochs, o.batchSize, o.lr, o.limit, o.seed) = (validation, epochs, batchSize, lr, limit, seed)
        o.config.imageSize = imageSize
        (o.flip, o.shift) = (augment, augment ? 2 : 0)
        Profiler.isEnabled = ProcessInfo.processInfo.environment["VTP_PROFILE"] != nil
        var line: ProgressLine?
        let report = try DomainClassifierTraining.train(o) { step, total, loss in
            if line == nil { line = ProgressLine(totalSteps: total, everySteps: 100) }
            line?.update(step: step, loss: loss, images: 50 * batchSize)
        }
        line?.finish()
        if Profiler.isEnabled { note("time per op (VTP_PROFILE):\n" + Profiler.report()) }
        print(String(format: "held-out accuracy %.2f%% on %d images (%@), %d training images, %.0f s on %@",
                     100 * report.accuracy, report.validationImages, report.validation, report.trainImages, report.seconds, report.cpu))
        print("-> \(output) (config.json, model.safetensors, classifier.json, metrics.jsonl)")
    }
}
