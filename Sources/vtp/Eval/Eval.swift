import ArgumentParser

/// `vtp eval`: evaluation metrics with the standard networks, exact to the reference packages.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluation: Inception features, Fréchet distance, FID, LPIPS, the domain classifier and generation metrics.",
        subcommands: [EvalInception.self, EvalFrechet.self, EvalLPIPS.self, EvalFID.self, EvalTrainClassifier.self, EvalGeneration.self, EvalReconstruction.self, EvalZeroShot.self, EvalKNN.self, EvalLinearProbe.self])
}
