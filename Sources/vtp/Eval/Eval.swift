import ArgumentParser

/// `vtp eval`: evaluation metrics with the standard networks, exact to the reference packages.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluation metrics: Inception features, Fréchet distance, LPIPS.",
        subcommands: [EvalInception.self, EvalFrechet.self, EvalLPIPS.self])
}
