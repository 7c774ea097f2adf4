import Foundation
import Testing
@testable import VTPTraining

@Suite struct InfraScheduleTests {
    @Test func cosineKnownValues() {
        // dinov2 CosineScheduler(base_value=1, final_value=0.1, total_iters=110, warmup_iters=10, start_warmup_value=0)
        let s = CosineSchedule(base: 1, final: 0.1, warmupSteps: 10, totalSteps: 110, warmupStart: 0)
        #expect(s(0) == 0)
        #expect(abs(s(1) - 1.0 / 9) < 1e-12)         // np.linspace(0, 1, 10)[1]
        #expect(s(9) == 1)                           // warm-up end: linspace includes the end point
        #expect(s(10) == 1)                          // cosine starts at base
        #expect(abs(s(60) - 0.55) < 1e-12)           // midpoint of the cosine: (base + final) / 2
        let last = 0.1 + 0.5 * 0.9 * (1 + cos(Double.pi * 99 / 100))
        #expect(abs(s(109) - last) < 1e-12)          // last scheduled step
        #expect(s(110) == 0.1 && s(10_000) == 0.1)   // then final
        // Rising schedule (teacher momentum 0.992 → 1) without warm-up.
        let m = CosineSchedule(base: 0.992, final: 1, totalSteps: 100)
        #expect(abs(m(0) - 0.992) < 1e-12 && abs(m(50) - 0.996) < 1e-12 && m(100) == 1)
        // Freeze steps are zero, then the warm-up.
        let f = CosineSchedule(base: 2, final: 0, warmupSteps: 2, totalSteps: 10, freezeSteps: 3)
        #expect(f(0) == 0 && f(2) == 0 && f(3) == 0 && f(4) == 2 && f(5) == 2)
        // A one-step warm-up is np.linspace(start, base, 1) = [start].
        #expect(CosineSchedule(base: 1, final: 1, warmupSteps: 1, totalSteps: 5, warmupStart: 0.5)(0) == 0.5)
    }

    @Test func warmupThenConstant() {
        let t = CosineSchedule.warmupThenConstant(value: 0.07, warmupStart: 0.04, warmupSteps: 4)
        #expect(t(0) == 0.04 && abs(t(1) - 0.05) < 1e-12 && abs(t(3) - 0.07) < 1e-12 && t(4) == 0.07 && t(1_000_000) == 0.07)
        #expect(CosineSchedule.warmupThenConstant(value: 0.07, warmupStart: 0.04, warmupSteps: 0)(0) == 0.07)
    }

    @Test func schedulesFromConfig() throws {
        let c = try TrainConfig.parse(yaml: """
        schedule: {steps: 100}
        optimizer: {lr: 1e-3, min_lr: 1e-5, warmup_steps: 10, weight_decay: 0.04, weight_decay_end: 0.4, freeze_last_layer_steps: 20}
        teacher: {momentum_start: 0.99, momentum_end: 1.0}
        objectives: {dino: {teacher_temp_start: 0.04, teacher_temp_end: 0.07, teacher_temp_warmup_steps: 31}}
        """)
        let s = TrainingSchedules(config: c)
        let v0 = s.values(at: 0), v9 = s.values(at: 9), v55 = s.values(at: 55), v100 = s.values(at: 100)
        #expect(v0.lr == 0 && v9.lr == 1e-3 && abs(v55.lr - (1e-3 + 1e-5) / 2) < 1e-15 && v100.lr == 1e-5)
        #expect(v0.lastLayerLR == 0 && s.values(at: 19).lastLayerLR == 0 && s.values(at: 20).lastLayerLR == s.values(at: 20).lr)
        #expect(abs(v0.weightDecay - 0.04) < 1e-12 && abs(s.values(at: 50).weightDecay - 0.22) < 1e-12 && v100.weightDecay == 0.4)
        #expect(abs(v0.teacherMomentum - 0.99) < 1e-12 && abs(s.values(at: 50).teacherMomentum - 0.995) < 1e-12 && v100.teacherMomentum == 1)
        #expect(v0.teacherTemp == 0.04 && abs(s.values(at: 15).teacherTemp - 0.055) < 1e-12 && abs(s.values(at: 30).teacherTemp - 0.07) < 1e-12)
        #expect(v100.teacherTemp == 0.07)
    }
}

@Suite struct InfraGuardTests {
    @Test func finiteValuesPass() throws {
        try NaNGuard.check(step: 3, terms: [("clip", 1.2), ("dino", 3.4)], gradNorm: 2)
        try NaNGuard.check(step: 3, terms: [("total", 0)], gradNorm: nil)
    }

    @Test func namesStepAndTerms() {
        do {
            try NaNGuard.check(step: 120, terms: [("total", .nan), ("clip", 1.0), ("dino", .nan), ("reconstruction", .infinity)],
                               gradNorm: .infinity)
            Issue.record("no error")
        } catch let e as NonFiniteError {
            #expect(e.step == 120 && e.terms == ["total", "dino", "reconstruction", "grad_norm"])
            #expect(e.description.hasPrefix("step 120: non-finite total = nan, dino = nan, reconstruction = inf, grad_norm = inf"))
        } catch { Issue.record("\(error)") }
        #expect(throws: NonFiniteError(step: 7, terms: ["grad_norm"], values: [-.infinity])) {
            try NaNGuard.check(step: 7, terms: [("a", 1)], gradNorm: -.infinity)
        }
    }
}

@Suite struct InfraProgressTests {
    final class Clock { var t = 0.0 }

    @Test func plainLinesEveryNSteps() {
        var out: [String] = []
        let clock = Clock()
        let p = ProgressLine(totalSteps: 2000, interactive: false, everySteps: 10, everySeconds: 1e9, output: { out.append($0) }, now: { clock.t })
        for step in 1...30 {
            clock.t += 0.5
            p.update(step: step, loss: 1.2345, images: 4)
        }
        // The first step (shows the run is alive), then every 10 steps.
        #expect(out.count == 4 && out.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        #expect(out[0] == "step 1/2000  loss 1.234\n")
        #expect(out[3] == "step 30/2000  loss 1.234  8.0 img/s  ETA 16m25s\n")
    }

    @Test func plainLinesEveryNSeconds() {
        var out: [String] = []
        let clock = Clock()
        let p = ProgressLine(totalSteps: 100, interactive: false, everySteps: 1000, everySeconds: 10, output: { out.append($0) }, now: { clock.t })
        for step in 1...100 {
            clock.t += 1
            p.update(step: step)
        }
        // step 1 (first), then every 10 s, and the last step.
        #expect(out.count == 11 && out.last == "step 100/100\n")
    }

    @Test func terminalRewritesOneLine() {
        var out: [String] = []
        let clock = Clock()
        let p = ProgressLine(totalSteps: 10, interactive: true, output: { out.append($0) }, now: { clock.t })
        for step in 1...10 {
            clock.t += 1
            p.update(step: step, loss: 0.5, images: 2)
        }
        p.message("eval: psnr 20.1")
        p.finish()
        #expect(out.prefix(10).allSatisfy { $0.hasPrefix("\r") && $0.hasSuffix("\u{1B}[K") })
        #expect(out[8] == "\rstep 9/10  loss 0.5  2.0 img/s  ETA 1s\u{1B}[K")
        #expect(out[10] == "\r\u{1B}[K" && out[11] == "eval: psnr 20.1\n")
    }

    @Test func smoothedRateAndDurations() {
        let clock = Clock()
        let p = ProgressLine(totalSteps: 1000, interactive: false, output: { _ in }, now: { clock.t })
        p.update(step: 0)
        clock.t = 1; p.update(step: 1)     // 1 step/s
        clock.t = 1.1; p.update(step: 2)   // a burst of 10 steps/s moves the estimate only a little
        #expect(p.stepsPerSecond! > 1 && p.stepsPerSecond! < 1.1)
        #expect(ProgressLine.duration(45) == "45s" && ProgressLine.duration(372) == "6m12s")
        #expect(ProgressLine.duration(7500) == "2h05m" && ProgressLine.duration(3 * 86400 + 4 * 3600) == "3d04h")
    }
}
