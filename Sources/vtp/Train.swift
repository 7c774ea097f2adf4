import ArgumentParser
import Foundation
import VTPDistributed
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

        Data-parallel over MPI (README, "Data-parallel training (MPI)"): `mpirun -np 4 vtp train --config …` splits
        every global batch (schedule.batch_size) over the ranks and takes the same steps as one process.

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

    @Option(name: .long, help: "Stop after this many completed steps, with a checkpoint (the schedule stays that of schedule.steps); continue with --resume. For jobs with a time limit.")
    var stopAfter: Int?

    @Argument(help: "Overrides such as optimizer.lr=3e-4 objectives.dino.enabled=false.")
    var overrides: [String] = []

    func validate() throws {
        if (config == nil) == (resume == nil) { throw ValidationError("give exactly one of --config or --resume") }
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1") }
    }

    /// Under `mpirun`, an error on one rank ends every rank (MPI_Abort) with its message, instead of leaving the
    /// others waiting in a collective.
    func run() throws {
        try onEveryRank { world in try train(world) }
    }

    private func train(_ world: any Communicator) throws {
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
        let trainer = try Trainer(config: cfg, communicator: world)
        trainer.stopAfter = stopAfter
        trainer.checkpointAtStop = true
        if world.size > 1 && world.isRoot {
            let gradients = trainer.models?.trainable.reduce(0) { $0 + $1.1.value.count } ?? 0
            note(String(format: "data-parallel over %d ranks: %d of every %d samples per rank; %.1f MB of gradients all-reduced per step",
                        world.size, cfg.schedule.batchSize / world.size, cfg.schedule.batchSize, Double(gradients * 4) / 1e6))
        }
        Profiler.isEnabled = ProcessInfo.processInfo.environment["VTP_PROFILE"] != nil
        try trainer.run()
        if Profiler.isEnabled { note("time per op (VTP_PROFILE)\(world.size > 1 ? ", rank \(world.rank)" : ""):\n" + Profiler.report()) }
        guard world.isRoot else { return }
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
