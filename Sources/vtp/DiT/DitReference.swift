import ArgumentParser
import Foundation
import VTPGeneration

/// `vtp dit reference`: the parity entry point for the official LightningDiT fixtures.
struct DitReference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Run every output of a LightningDiT parity fixture (forward, CFG, samplers, training terms).",
        discussion: """
        MODEL is a folder with config.json (the LightningDiT constructor arguments) and model.safetensors (official \
        keys). IN holds x, t, y, x_cfg, t_cfg, y_cfg, noise, y_sample, train_x0; SAMPLING is the fixture's \
        sampling.json (transport + sample sections). OUT receives, as F32: out, cfg_out, timesteps, sample, \
        sample_traj, sample_cfg, sample_cfg_traj, sample_cfg_interval, train_xt, train_ut, train_pred, train_loss, \
        train_cos_loss.
        """)

    @Option(name: .long, help: "LightningDiT model folder (config.json + model.safetensors).")
    var model: String

    @Option(name: .long, help: "Input safetensors file.")
    var inputs: String

    @Option(name: .long, help: "Sampling settings (sampling.json).")
    var sampling: String

    @Option(name: .long, help: "Output safetensors file (written atomically).")
    var output: String

    func run() throws {
        let keys = try DiTReference.run(model: URL(fileURLWithPath: model), inputs: URL(fileURLWithPath: inputs),
                                        sampling: URL(fileURLWithPath: sampling), output: URL(fileURLWithPath: output))
        for (k, shape) in keys { print("\(k) \(shape)") }
    }
}
