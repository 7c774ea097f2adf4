import ArgumentParser
import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPTraining

/// Options shared by the representation evaluations.
struct RepresentationOptions: ParsableArguments {
    @Option(help: "Tokenizer: a model folder, a checkpoint or a run folder (its newest checkpoint).") var model: String
    @Option(help: "Report folder (also caches the extracted features).") var output: String
    @Option(help: "Only the first N images of each dataset.") var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func load() throws -> (VTPModel, String) {
        let dir = try InitialWeights.modelDirectory(for: model)
        return (try VTPModel.load(directory: dir), dir.path)
    }

    var outputURL: URL { URL(fileURLWithPath: output) }
}

func featureProgress(_ what: String, _ done: Int, _ total: Int) {
    FileHandle.standardError.write(Data("\r\(what): \(done)/\(total)\(done == total ? "\n" : "")".utf8))
}

struct EvalZeroShot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zero-shot",
        abstract: "Zero-shot top-1/top-5 on a labelled dataset (official protocol: 80 OpenAI templates, logits 100·f·W).",
        discussion: """
        DATA: fmnist, fmnist-test or a folder with one sub-folder per class (ImageNet val as ImageFolder: give \
        --classnames imagenet). Writes zero-shot.json and zero-shot.md.

          vtp eval zero-shot --model runs/fmnist-tiny --data fmnist-test --templates grayscale --output out/eval
        """)

    @OptionGroup var common: RepresentationOptions
    @Option(help: "Labelled images.") var data: String
    @Option(help: "Class names: imagenet (OpenCLIP's 1,000), a file with one per line, or a comma-separated list; default: the dataset's.")
    var classnames: String?
    @Option(help: "Templates: openai (80), simple, grayscale, photo (SwiftVTP's caption sets), a file with one per line, or literal templates with {} separated by |.")
    var templates = "openai"

    func run() throws {
        let (model, path) = try common.load()
        let names: [String]?
        switch classnames {
        case nil: names = nil
        case "imagenet"?: names = try ClassNames.imagenet()
        case let c? where FileManager.default.fileExists(atPath: c): names = try ClassNames.read(file: c)
        case let c?: names = try ClassNames.parse(commaSeparated: c)
        }
        var fill: (String, String) -> String = PromptTemplates.fill
        let list: [String]
        switch templates {
        case "grayscale": (list, fill) = (CaptionTemplates.grayscale, { CaptionTemplates.fill($0, with: $1) })
        case "photo": (list, fill) = (CaptionTemplates.photo, { CaptionTemplates.fill($0, with: $1) })
        case let t where FileManager.default.fileExists(atPath: t):
            list = try String(contentsOfFile: t, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init).filter { $0.contains("{}") }
            guard !list.isEmpty else { throw ValidationError("\(t) holds no template with {}") }
        default:
            guard let l = PromptTemplates.named(templates) else { throw ValidationError("--templates: unknown set or a template without {}: \(templates)") }
            list = l
        }
        let r = try RepresentationEvaluation.zeroShot(model: model, modelPath: path, data: data, limit: common.limit, classNames: names,
                                                      templates: list, templatesName: "\(templates) (\(list.count))", fill: fill,
                                                      output: common.outputURL) { featureProgress(data, $0, $1) }
        print(RepresentationEvaluation.markdown(r))
    }
}

struct EvalKNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knn",
        abstract: "Weighted k-NN classification of frozen CLS features (DINO's protocol: k 20, T 0.07).",
        discussion: "  vtp eval knn --model runs/fmnist-tiny --train fmnist --val fmnist-test --output out/eval")

    @OptionGroup var common: RepresentationOptions
    @Option(help: "Reference (training) images.") var train: String
    @Option(help: "Query (validation) images.") var val: String
    @Option(help: "Neighbours.") var k = 20
    @Option(help: "Vote temperature.") var temperature = 0.07

    func run() throws {
        guard k >= 1, temperature > 0 else { throw ValidationError("--k must be ≥ 1 and --temperature positive") }
        let (model, path) = try common.load()
        let r = try RepresentationEvaluation.knn(model: model, modelPath: path, train: train, validation: val, limit: common.limit,
                                                 k: k, temperature: temperature, output: common.outputURL, progress: featureProgress)
        print(String(format: "k-NN top-1 %.2f%% (%d queries, %d references, k %d, T %g)", 100 * r.top1, r.validationImages, r.trainImages, k, temperature))
    }
}

struct EvalLinearProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear-probe",
        abstract: "DINOv2's linear evaluation on frozen features: a grid of learning rates × feature sets trained at once.",
        discussion: """
        Features: cls, cls+avgpool, last4, last4+avgpool (the last n blocks' CLS tokens, plus the mean patch token). \
        Writes linear-probe.json (every classifier) and linear-probe.md.

          vtp eval linear-probe --model runs/fmnist-tiny --train fmnist --val fmnist-test --output out/eval
        """)

    @OptionGroup var common: RepresentationOptions
    @Option(help: "Training images.") var train: String
    @Option(help: "Validation images.") var val: String
    @Option(parsing: .upToNextOption, help: "Feature sets.") var features: [String] = ["cls", "cls+avgpool", "last4", "last4+avgpool"]
    @Option(parsing: .upToNextOption, help: "Base learning rates (scaled by batch/256); default: DINOv2's 13.") var lrs: [Double] = []
    @Option(help: "Epochs.") var epochs = 10
    @Option(help: "Batch size.") var batchSize = 128

    func run() throws {
        var o = LinearProbe.Options()
        o.configs = try features.map { name in
            guard let c = LinearProbe.FeatureConfig(name: name) else { throw ValidationError("--features: unknown set \(name)") }
            return c
        }
        if !lrs.isEmpty { o.learningRates = lrs }
        guard epochs >= 1, batchSize >= 1, o.learningRates.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--epochs, --batch-size and --lrs must be positive")
        }
        (o.epochs, o.batchSize) = (epochs, batchSize)
        let (model, path) = try common.load()
        let r = try RepresentationEvaluation.linearProbe(model: model, modelPath: path, train: train, validation: val, limit: common.limit,
                                                         options: o, output: common.outputURL, progress: featureProgress)
        let b = r.result.best
        print(String(format: "linear probe top-1 %.2f%% (%@, lr %g, epoch %d of %d)", 100 * b.accuracy, b.features, b.lr, b.epoch, r.result.epochs))
    }
}
