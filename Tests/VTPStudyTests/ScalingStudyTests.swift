import Foundation
import VTPStudy
import VTPTraining
import XCTest

/// A 2 kinds × 2 compute points × 1 seed study with minuscule models, stopped after one cell and run again.
final class ScalingStudyTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func tinyStudy(output: URL) -> String {
        let cfg = repo.appendingPathComponent("configs")
        return """
        kinds: [ae, vtp]
        tokenizer:
          ae: \(cfg.appendingPathComponent("fmnist-tiny-ae.yaml").path)
          vtp: \(cfg.appendingPathComponent("fmnist-tiny.yaml").path)
          steps: [1, 2]
          overrides: [model.vision_embed_dim=16, model.vision_depth=1, model.vision_num_heads=2, model.decoder_embed_dim=16,
                      model.decoder_depth=1, model.decoder_num_heads=2, model.text_embed_dim=16, model.text_depth=1,
                      model.text_num_heads=2, model.text_context_length=8, objectives.dino.out_dim=32, objectives.dino.hidden_dim=16,
                      objectives.dino.bottleneck_dim=8, schedule.batch_size=4, data.eval_images=8, data.workers=1]
        seeds: [0]
        dit:
          config: \(cfg.appendingPathComponent("dit/fmnist.yaml").path)
          overrides: [model.hidden_size=16, model.depth=1, model.num_heads=2, schedule.steps=2, schedule.batch_size=8, sample.per_class=0]
        data: {train: fmnist, test: fmnist-test, latent_limit: 32}
        eval: {limit: 40, samples_per_class: 2, sample_steps: 2, classifier_epochs: 1, classifier_limit: 100}
        output_dir: \(output.path)
        """
    }

    func testStudyResumesBetweenCellsAndWritesResults() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("needs dataset-fashion-mnist (scripts/setup.sh)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-study-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("study.yaml")
        try Self.tinyStudy(output: dir.appendingPathComponent("out")).write(to: file, atomically: true, encoding: .utf8)
        let config = try StudyConfig.load(from: file)

        // First run: stopped after one computed cell (as a kill between cells).
        let first = ScalingStudy(config: config)
        (first.verboseTraining, first.stopAfterCells, first.log) = (false, 1, { _ in })
        let partial = try first.run()
        XCTAssertEqual(first.computedCells, ["ae-1-s0"])
        XCTAssertEqual(partial.cells.count, 1)
        let record = first.cellURL("ae-1-s0").appendingPathComponent("cell.json")
        let written = try Data(contentsOf: record)
        XCTAssertNil(try ScalingStudy.readCell(first.cellURL("vtp-1-s0")))
        // --report: the results of the finished cell, nothing computed.
        let reporter = ScalingStudy(config: config)
        XCTAssertEqual(try reporter.report().cells.map(\.name), ["ae-1-s0"])
        XCTAssertEqual(reporter.computedCells, [])
        let early = try String(contentsOf: dir.appendingPathComponent("out/study.csv"), encoding: .utf8)
        XCTAssertEqual(early.split(separator: "\n").count, 2)

        // Second run: the finished cell is read back, not recomputed; the other three are computed.
        let second = ScalingStudy(config: config)
        (second.verboseTraining, second.log) = (false, { _ in })
        let results = try second.run()
        XCTAssertEqual(second.computedCells, ["vtp-1-s0", "ae-2-s0", "vtp-2-s0"])
        XCTAssertEqual(try Data(contentsOf: record), written, "a finished cell must not be rewritten")
        XCTAssertEqual(results.cells.map(\.name), ["ae-1-s0", "vtp-1-s0", "ae-2-s0", "vtp-2-s0"])

        // FLOPs: twice the steps, twice the FLOPs; the VTP step costs more than the AE step (text tower, SSL).
        let c = Dictionary(uniqueKeysWithValues: results.cells.map { ($0.name, $0) })
        XCTAssertEqual(c["ae-2-s0"]!.flops, 2 * c["ae-1-s0"]!.flops)
        XCTAssertGreaterThan(c["vtp-1-s0"]!.flopsPerStep, c["ae-1-s0"]!.flopsPerStep)
        XCTAssertNil(c["ae-1-s0"]!.zeroShot, "an AE-only tokenizer has no CLIP towers")
        XCTAssertNotNil(c["vtp-1-s0"]!.zeroShot)
        for cell in results.cells {
            XCTAssertNotNil(cell.domainGFID)
            XCTAssertTrue(cell.psnr.isFinite)
            XCTAssertNotNil(cell.knn)
        }

        // Third run: nothing left to compute.
        let third = ScalingStudy(config: config)
        (third.verboseTraining, third.log) = (false, { _ in })
        try third.run()
        XCTAssertEqual(third.computedCells, [])

        let out = dir.appendingPathComponent("out")
        for f in ["study.json", "study.csv", "study.md", "gfid-vs-flops.png", "gfid-vs-understanding.png", "gfid-vs-psnr.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), f)
        }
        let csv = try String(contentsOf: out.appendingPathComponent("study.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 5)
        XCTAssertTrue(csv[0].hasPrefix("kind,steps,seed,batch_size,flops_per_step,flops,seconds,zero_shot,knn"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("study.json"))) as! [String: Any]
        XCTAssertEqual((json["cells"] as! [[String: Any]]).map { $0["kind"] as! String }, ["ae", "vtp", "ae", "vtp"])
    }

    func testConfigProblemsAreNamedTogether() throws {
        var c = StudyConfig()
        c.kinds = ["ae", "gan"]
        c.tokenizer.steps = [0]
        let p = c.problems()
        XCTAssertTrue(p.contains("kinds: unknown kind 'gan' (ae or vtp)"))
        XCTAssertTrue(p.contains("tokenizer.steps must be positive"))
        XCTAssertTrue(p.contains("tokenizer.ae must name the ae tokenizer config"))
        XCTAssertTrue(p.contains("dit.config must name a DiT config (e.g. configs/dit/fmnist.yaml)"))
    }

    func testShippedConfigsParse() throws {
        for (name, quick) in [("fmnist-scaling.yaml", false), ("fmnist-scaling.yaml", true), ("imagenet-scaling.yaml", false)] {
            let c = try StudyConfig.load(from: Self.repo.appendingPathComponent("configs/study").appendingPathComponent(name), quick: quick)
            XCTAssertGreaterThanOrEqual(c.tokenizer.steps.count, 5, name)
            XCTAssertGreaterThanOrEqual(Double(c.tokenizer.steps.max()!) / Double(c.tokenizer.steps.min()!), 16, name)
            XCTAssertEqual(c.kinds, ["ae", "vtp"])
        }
    }
}
