import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPTensor

/// The evaluation hook of a tokenizer run: `TokenizerEvaluation` on the held-out split (zero-shot with prompts
/// in the style of the training captions, k-NN, PSNR), appended to `eval.json`, with a reconstruction grid PNG.
public final class HeldOutEvaluation: EvaluationHook {
    public let model: VTPModel
    let images: Tensor
    let labels: [Int?]
    let classNames: [String]?
    let templates: [String]
    let batch: Int
    /// Every evaluation so far, in order.
    public private(set) var results: [EvaluationResult] = []

    /// Reads up to `images` held-out images of `data` once.
    public init(model: VTPModel, data: TrainingData, images limit: Int) throws {
        self.model = model
        batch = data.section.evalBatchSize
        let set = try data.evalBatch(limit: limit)
        (images, labels) = (set.images, set.labels)
        classNames = data.classNames
        switch data.section.kind {
        case .fmnist: templates = CaptionTemplates.grayscale
        case .classFolder: templates = CaptionTemplates.photo
        default: templates = [data.section.captionTemplate]
        }
    }

    public func evaluate(step: Int, directory: URL) throws -> String {
        let (r, pairs) = try TokenizerEvaluation.evaluate(model: model, images: images, labels: labels, classNames: classNames,
                                                          templates: templates, fill: { CaptionTemplates.fill($0, with: $1) },
                                                          step: step, batch: batch)
        results.append(r)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try DurableFiles.writeAtomically(try enc.encode(results), to: directory.appendingPathComponent("eval.json"))
        if !pairs.isEmpty {
            try TrainingPlots.writeReconstructionGrid(originals: pairs.map(\.original), reconstructions: pairs.map(\.reconstruction),
                                                      step: step, to: directory.appendingPathComponent("reconstructions-step\(step).png"))
        }
        var parts = ["eval step \(step):"]
        if let a = r.zeroShotAccuracy { parts.append(String(format: "zero-shot %.1f%%", 100 * a)) }
        if let a = r.knnAccuracy { parts.append(String(format: "k-NN %.1f%%", 100 * a)) }
        if let p = r.psnr { parts.append(String(format: "PSNR %.2f dB", p)) }
        return parts.joined(separator: " ")
    }
}
