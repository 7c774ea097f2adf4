import ArgumentParser
import Foundation
import VTPEval
import VTPTensor
import VTPTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pre-train a VTP tokenizer (CLIP + DINO/iBOT/KoLeo + reconstruction, any subset), or GAN-fine-tune its decoder.",
        discussion: """
        The run is described by a YAML file (see configs/); `key.sub=value` arguments override fields:

          vtp train --config configs/scenes-tiny.yaml
          vtp train --config configs/fmnist-tiny.yaml schedule.steps=500 optimizer.lr=1e-3
          vtp train --config configs/fmnist-tiny.yaml --print-config   # every field, resolved
          vtp train --resume runs/fmnist-tiny            # continue from the newest checkpoint
          vtp train --config configs/fmnist-tiny-gan.yaml   # stage 2: GAN fine-tuning of the decoder

        model.init_from=DIR starts from trained weights (a model folder, a checkpoint, or a run folder's newest
        checkpoint); objectives.gan.enabled=true with it fine-tunes only the pixel decoder against a PatchGAN
        discriminator. VTP_PROFILE=1 prints the time per op at the end.

        Writes <output_dir>/metrics.jsonl (every step), loss.png, reconstructions-step*.png, eval.json, and
        checkpoints/step-*/ holding the model in the official format (config.json + model.safetensors, usable
        with every other vtp command) plus the training state.
        """)

    @Option(name: .long, help: "Run description (YAML).")
    var config: String?

    @Option(name: .long, help: "Continue the run in this output folder (reads its train_config.yaml).")
    var resume: String?

    @Flag(name: .long, help: "Print the resolved configuration (every field, defaults and overrides applied) and exit.")
    var printConfig = false

    @Argument(help: "Overrides such as optimizer.lr=3e-4 objectives.dino.enabled=false.")
    var overrides: [String] = []

    func validate() throws {
        if (config == nil) == (resume == nil) { throw ValidationError("give exactly one of --config or --resume") }
    }

    func run() throws {
        var cfg: TrainConfig
        if let resume {
            let file = URL(fileURLWithPath: resume).appendingPathComponent("train_config.yaml")
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw ValidationError("\(resume) has no train_config.yaml: is it the output folder of a run?")
            }
            cfg = try TrainConfig.load(from: file, overrides: overrides)
            cfg.outputDir = resume
            cfg.checkpoint.resume = true
        } else {
            cfg = try TrainConfig.load(from: URL(fileURLWithPath: config!), overrides: overrides)
        }
        if printConfig {
            print(cfg.resolvedYAML(), terminator: "")
            return
        }
        let trainer = try Trainer(config: cfg)
        Profiler.isEnabled = ProcessInfo.processInfo.environment["VTP_PROFILE"] != nil
        try trainer.run()
        if Profiler.isEnabled { note("time per op (VTP_PROFILE):\n" + Profiler.report()) }
        if let r = trainer.evaluations.last {
            var parts = ["final (step \(r.step), \(r.images) held-out images):"]
            if let a = r.zeroShotAccuracy { parts.append(String(format: "zero-shot accuracy %.1f%%", 100 * a)) }
            if let a = r.knnAccuracy { parts.append(String(format: "20-NN accuracy %.1f%%", 100 * a)) }
            if let p = r.psnr { parts.append(String(format: "reconstruction PSNR %.2f dB", p)) }
            print(parts.joined(separator: " "))
        }
        print("outputs in \(cfg.outputDir)")
    }
}
