import ArgumentParser
import Foundation
import VTPDistributed
import VTPGeneration
import VTPTensor
import VTPTraining

/// `vtp dit train`: a class-conditional LightningDiT on extracted latents.
struct DitTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a LightningDiT (rectified flow, the official VTP recipe) on latents from `vtp dit extract`.",
        discussion: """
          vtp dit train --config configs/dit/fmnist.yaml
          vtp dit train --config configs/dit/fmnist.yaml schedule.steps=2000 sample.cfg=3
          vtp dit train --resume runs/fmnist-dit

        Writes <output_dir>/metrics.jsonl, loss.png, samples-step*.png and checkpoints/step-*/ (config.json + \
        model.safetensors in the official format, the EMA weights in ema/, the training state).

        Under `mpirun -np N` every global batch is split over the N ranks (README, "Data-parallel training (MPI)").
        """)

    @Option(name: .long, help: "Run description (YAML).")
    var config: String?

    @Option(name: .long, help: "Continue the run in this output folder (reads its dit_config.yaml).")
    var resume: String?

    @Flag(name: .long, help: "Print the resolved configuration and exit.")
    var printConfig = false

    @Argument(help: "Overrides such as optimizer.lr=1e-4 schedule.steps=500.")
    var overrides: [String] = []

    func validate() throws {
        if (config == nil) == (resume == nil) { throw ValidationError("give exactly one of --config or --resume") }
    }

    /// Under `mpirun`, an error on one rank ends every rank (MPI_Abort) with its message.
    func run() throws {
        try onEveryRank { world in try train(DataParallel(communicator: world)) }
    }

    private func train(_ parallel: DataParallel) throws {
        var cfg: DiTTrainConfig
        if let resume {
            cfg = try DiTTrainConfig.load(from: URL(fileURLWithPath: resume).appendingPathComponent("dit_config.yaml"), overrides: overrides)
            (cfg.outputDir, cfg.checkpoint.resume) = (resume, true)
        } else {
            cfg = try DiTTrainConfig.load(from: URL(fileURLWithPath: config ?? ""), overrides: overrides)
        }
        if printConfig { print(cfg.resolvedYAML(), terminator: ""); return }
        let trainer = try Trainer(dit: cfg, parallel: parallel)
        try trainer.run()
        if parallel.rank == 0 { print("outputs in \(cfg.outputDir)") }
    }
}
