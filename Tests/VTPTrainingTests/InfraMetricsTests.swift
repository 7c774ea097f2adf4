import Foundation
import Testing
import VTPData
@testable import VTPTraining

@Suite struct InfraMetricsTests {
    func record(_ step: Int) -> MetricsRecord {
        MetricsRecord(step: step, loss: 2.5 / Double(step), terms: ["clip": 1.0, "dino": 0.5], lr: 3e-4, weightDecay: 0.04,
                      gradNorm: 1.5, imagesPerSecond: 12.5, elapsed: Double(step), extra: ["teacher_momentum": 0.996])
    }

    @Test func writesOneObjectPerLine() throws {
        let dir = try infraTempDir("metrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("run/metrics.jsonl")
        let log = try MetricsLogger(url: url)
        try log.log(record(1))
        // Readable while the logger is open: each line is written at once.
        let first = try String(contentsOf: url, encoding: .utf8)
        #expect(first == "{\"step\":1,\"loss\":2.5,\"loss/clip\":1.0,\"loss/dino\":0.5,\"lr\":0.0003,\"wd\":0.04,\"grad_norm\":1.5,"
                + "\"images_per_s\":12.5,\"elapsed_s\":1.0,\"teacher_momentum\":0.996}\n")
        try log.log(MetricsRecord(step: 2, loss: .nan, terms: ["dino": .infinity]))
        log.close()
        let back = try MetricsLogger.read(url)
        #expect(back.count == 2 && back[0] == record(1))
        #expect(back[1].loss!.isNaN && back[1].terms["dino"]!.isNaN)  // non-finite numbers are written as null
        #expect(back[0].value("loss/clip") == 1.0 && back[0].value("teacher_momentum") == 0.996 && back[0].value("wd") == 0.04)
        // Every line is valid JSON for other tools too.
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
        #expect(throws: CheckpointError.self) { try log.log(record(3)) }
    }

    @Test func resumeDropsLaterStepsAndTornLines() throws {
        let dir = try infraTempDir("resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("metrics.jsonl")
        let log = try MetricsLogger(url: url)
        for s in 1...25 { try log.log(record(s)) }
        log.close()
        // The run was killed while writing step 26.
        let h = try FileHandle(forWritingTo: url)
        h.seekToEndOfFile()
        h.write(Data("{\"step\":26,\"loss\":0.0".utf8))
        try h.close()
        // Resume from the checkpoint of step 20.
        let resumed = try MetricsLogger(url: url, resumingAt: 20)
        #expect(resumed.droppedLines == 6)
        #expect(try MetricsLogger.read(url).map(\.step) == Array(1...20))
        for s in 21...22 { try resumed.log(record(s)) }
        resumed.close()
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(try MetricsLogger.read(url).map(\.step) == Array(1...22) && text.hasSuffix("}\n"))
        // Nothing to drop: the file is kept as is.
        let again = try MetricsLogger(url: url, resumingAt: 22)
        #expect(again.droppedLines == 0)
        again.close()
        #expect(try String(contentsOf: url, encoding: .utf8) == text)
        // A fresh run empties it.
        try MetricsLogger(url: url).close()
        #expect(try MetricsLogger.read(url).isEmpty)
    }
}

@Suite struct InfraPlotTests {
    @Test func lossCurvePNGFromMetrics() throws {
        let dir = try infraTempDir("curves")
        defer { try? FileManager.default.removeItem(at: dir) }
        let metrics = dir.appendingPathComponent("metrics.jsonl")
        let log = try MetricsLogger(url: metrics)
        var rng = SystemRandomNumberGenerator()
        for s in stride(from: 10, through: 2000, by: 10) {
            let x = Double(s)
            let clip = 4 * exp(-x / 500) + 0.5 + Double.random(in: -0.15...0.15, using: &rng)
            let dino = 9 * exp(-x / 300) + 1 + Double.random(in: -0.3...0.3, using: &rng)
            let rec = 0.3 * exp(-x / 800) + 0.02 + Double.random(in: -0.01...0.01, using: &rng)
            try log.log(MetricsRecord(step: s, loss: clip + dino + rec, terms: ["clip": clip, "dino": dino, "reconstruction": rec], lr: 3e-4))
        }
        log.close()
        let out = ProcessInfo.processInfo.environment["VTP_PLOT_DIR"].map { URL(fileURLWithPath: $0) } ?? dir
        let png = out.appendingPathComponent("loss_curves.png")
        try TrainingPlots.writeLossCurves(metricsURL: metrics, to: png)
        let image = try RGBImage.load(png)
        #expect(image.width == 900 && image.height == 520)
        let plot = TrainingPlots.lossCurves(try MetricsLogger.read(metrics))
        #expect(plot.logY && plot.series.filter { !$0.name.isEmpty }.map(\.name) == ["loss", "loss/clip", "loss/dino", "loss/reconstruction"])
        #expect(plot.series.count == 8 && plot.series.prefix(4).allSatisfy { $0.name.isEmpty })
        // Smoothing is debiased: the first value is kept, later values move towards the data.
        #expect(TrainingPlots.smoothed([2, 4, 4, 4], 0.5).first == 2 && abs(TrainingPlots.smoothed([2, 4, 4, 4], 0.5)[3] - 3.8666666666666667) < 1e-12)
    }
}
