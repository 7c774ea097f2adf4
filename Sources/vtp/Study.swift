import ArgumentParser
import Foundation
import VTPStudy
import VTPTraining

/// `vtp study …`: experiments made of many runs.
struct Study: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Experiments over many runs (the paper's tokenizer scaling study).",
        subcommands: [StudyScaling.self])
}

/// `vtp study scaling`: AE-only vs VTP tokenizers as tokenizer compute grows, judged by generation.
struct StudyScaling: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Tokenizer scaling study: kinds × compute × seeds, each cell a tokenizer, a fixed DiT recipe and a fixed evaluation.",
        discussion: """
        Every cell is output_dir/cells/<kind>-<steps>-s<seed>/ (tokenizer/, latents/, dit/, samples/, eval/ and \
        cell.json, written last). Running the command again skips finished cells and continues an unfinished one. \
        Writes study.json, study.csv, study.md, gfid-vs-flops.png, gfid-vs-understanding.png and gfid-vs-psnr.png.

          vtp study scaling --config configs/study/fmnist-scaling.yaml --quick       # the demo grid
          vtp study scaling --config configs/study/fmnist-scaling.yaml               # the full grid
          vtp study scaling --config configs/study/fmnist-scaling.yaml --report      # results so far, from another shell
          vtp study scaling --config configs/study/fmnist-scaling.yaml seeds=[0,1,2] output_dir=runs/study-3seeds
        """)

    @Option(name: .long, help: "Study description (YAML).")
    var config: String

    @Flag(name: .long, help: "Apply the config's `quick` overrides (the small demo grid).")
    var quick = false

    @Flag(name: .long, help: "Print the grid with each cell's tokenizer FLOPs and exit.")
    var dryRun = false

    @Flag(name: .long, help: "Write the results and plots of the cells finished so far and exit (computes nothing; safe while the study runs).")
    var report = false

    @Argument(help: "Overrides of the study config such as output_dir=runs/s2 tokenizer.steps=[100,200].")
    var overrides: [String] = []

    func run() throws {
        let cfg = try StudyConfig.load(from: URL(fileURLWithPath: config), quick: quick, overrides: overrides)
        let study = ScalingStudy(config: cfg)
        if dryRun {
            for g in study.grid {
                let tc = try study.tokenizerConfig(kind: g.kind, steps: g.steps, seed: g.seed, output: study.cellURL("x"))
                let f = TrainingFLOPs(config: tc)
                print(String(format: "%@  %.3g FLOPs (%.3g per step, batch %d)", StudyCell.name(kind: g.kind, steps: g.steps, seed: g.seed),
                             f.total(steps: g.steps), f.perStep, tc.schedule.batchSize))
            }
            return
        }
        if report {
            let r = try study.report()
            print("\(r.cells.count) of \(r.gridSize) cells finished -> \(cfg.outputDir)/study.md")
            return
        }
        let r = try study.run()
        print("\(r.cells.count) of \(r.gridSize) cells -> \(cfg.outputDir)/study.md")
    }
}
