import Foundation
import Testing
import VTPModels
@testable import VTPTraining

@Suite struct InfraConfigTests {
    @Test func emptyFileGivesDefaults() throws {
        let c = try TrainConfig.parse(yaml: "")
        #expect(c == TrainConfig())
        #expect(c.model.preset == "tiny")
        #expect(c.model.resolved == VTPConfig.preset("tiny"))
        #expect(c.optimizer.lr == 3e-4 && c.optimizer.betas == [0.9, 0.999])
        #expect(c.objectives.clip.enabled && c.objectives.dino.enabled && c.objectives.reconstruction.enabled && !c.objectives.gan.enabled)
        #expect(c.objectives.dino.centering == .sinkhorn && c.precision == .fp32)
        // Inherited values are resolved.
        #expect(c.data.imageSize == 256 && c.data.globalSize == 256 && c.objectives.clip.batchSize == 64)
        #expect(c.problems().isEmpty)
    }

    // Absent sections inherit from the model that was read (not from the default model).
    @Test func absentSectionsInheritFromTheGivenModel() throws {
        let c = try TrainConfig.parse(yaml: "model: {preset: tiny, image_size: 64}\nschedule: {batch_size: 12}")
        #expect(c.data.imageSize == 64 && c.data.globalSize == 64 && c.objectives.clip.batchSize == 12)
    }

    @Test func readsNestedSections() throws {
        let yaml = """
        model:
          preset: small
          image_size: 64
          vision_patch_size: 8
          decoder_upscale_factor: 8
        data:
          kind: class_folder
          path: /data/imagenet
          global_scale: [0.4, 1]
        objectives:
          clip: {enabled: false}
          dino:
            out_dim: 1024
            centering: ema
            ibot:
              mask_ratio_max: 0.4
          gan:
            enabled: true
            start_step: 1e3
        optimizer:
          lr: 1.5e-4
          betas: [0.9, 0.95]
        precision: bf16
        seed: 7
        """
        // Reading only: GAN with DINO and without init_from is not a valid run (see DecoderGANStageTests).
        let c = try TrainConfig.parse(yaml: yaml, validate: false)
        #expect(c.model.preset == "small")
        #expect(c.model.resolved.visionEmbedDim == 384 && c.model.resolved.imageSize == 64)
        #expect(c.architecture.visionPatchSize == 8 && c.architecture.decoderUpscaleFactor == 8)
        #expect(!c.architecture.trainClip && c.architecture.trainReconstruction)
        #expect(c.data.kind == .classFolder && c.data.path == "/data/imagenet" && c.data.globalScale == [0.4, 1.0])
        #expect(c.data.imageSize == 64 && c.data.globalSize == 64)
        #expect(!c.objectives.clip.enabled && c.objectives.dino.outDim == 1024 && c.objectives.dino.centering == .ema)
        #expect(c.objectives.dino.ibot.maskRatioMax == 0.4 && c.objectives.dino.ibot.maskRatioMin == 0.1)
        #expect(c.objectives.gan.enabled && c.objectives.gan.startStep == 1000)
        #expect(c.optimizer.lr == 1.5e-4 && c.optimizer.betas == [0.9, 0.95] && c.precision == .bf16 && c.seed == 7)
    }

    @Test func fullVTPConfigBlock() throws {
        let c = try TrainConfig.parse(yaml: """
        model:
          vtp_config:
            vision_embed_dim: 64
            vision_depth: 2
            vision_num_heads: 2
            image_size: 32
          vision_depth: 3
        objectives: {clip: {enabled: false}, dino: {enabled: false}, reconstruction: {enabled: true}}
        """)
        #expect(c.model.preset == nil && c.model.vtpConfig?.visionDepth == 2)
        #expect(c.model.resolved.visionDepth == 3 && c.model.resolved.visionEmbedDim == 64)
        #expect(c.model.resolved.decoderEmbedDim == VTPConfig().decoderEmbedDim)  // official default
        #expect(throws: TrainConfigError.self) { try TrainConfig.parse(yaml: "model: {preset: tiny, vtp_config: {image_size: 32}}") }
    }

    @Test func unknownKeyNamesTheNearestOne() {
        do {
            _ = try TrainConfig.parse(yaml: "optimizer:\n  lr: 0.1\n  weight_decai: 0.1\n")
            Issue.record("no error")
        } catch let e as TrainConfigError {
            guard case .unknownKey(let path, let suggestion, _, let line) = e else { Issue.record("\(e)"); return }
            #expect(path == "optimizer.weight_decai" && suggestion == "weight_decay" && line == 3)
            #expect(e.description.contains("did you mean 'weight_decay'"))
        } catch { Issue.record("\(error)") }
        #expect(throws: TrainConfigError.unknownKey(path: "objectivs", suggestion: "objectives", valid: ["model", "data", "objectives", "optimizer", "teacher", "schedule", "precision", "seed", "output_dir", "checkpoint"], line: 1)) {
            try TrainConfig.parse(yaml: "objectivs: {}")
        }
        // Inside model: the official VTPConfig field names are the valid ones.
        do {
            _ = try TrainConfig.parse(yaml: "model:\n  vision_dpeth: 3\n")
            Issue.record("no error")
        } catch let TrainConfigError.unknownKey(path, suggestion, _, _) {
            #expect(path == "model.vision_dpeth" && suggestion == "vision_depth")
        } catch { Issue.record("\(error)") }
        do {
            _ = try TrainConfig.parse(yaml: "objectives:\n  dino:\n    ibot:\n      mask_prob: 0.3\n")
            Issue.record("no error")
        } catch let TrainConfigError.unknownKey(path, suggestion, _, line) {
            #expect(path == "objectives.dino.ibot.mask_prob" && suggestion == "mask_probability" && line == 4)
        } catch { Issue.record("\(error)") }
    }

    @Test func typeErrorsNameTheKeyAndType() {
        func error(_ yaml: String) -> TrainConfigError? {
            do { _ = try TrainConfig.parse(yaml: yaml); return nil } catch { return error as? TrainConfigError }
        }
        let e1 = error("optimizer:\n  lr: fast\n")
        #expect(e1 == .typeMismatch(path: "optimizer.lr", expected: "a number", found: "'fast'", line: 2))
        #expect(e1?.description == "'optimizer.lr' (line 2) must be a number, found 'fast'")
        #expect(error("schedule: {steps: 10.5}") == .typeMismatch(path: "schedule.steps", expected: "an integer", found: "'10.5'", line: 1))
        #expect(error("objectives: {clip: {enabled: maybe}}")?.description.contains("true or false") == true)
        #expect(error("optimizer: 3")?.description.contains("'optimizer'") == true)
        #expect(error("optimizer: {betas: 0.9}")?.description.contains("must be a list") == true)
        guard case .invalidChoice(let p, _, let allowed, let suggestion, _)? = error("data: {kind: imagefolder}") else {
            Issue.record("expected invalidChoice"); return
        }
        #expect(p == "data.kind" && allowed.contains("image_folder") && suggestion == "image_folder")
        #expect(error("model: {preset: larg}")?.description.contains("did you mean 'large'") == true)
        #expect(error("- a\n- b\n")?.description.contains("top level") == true)
        if case .syntax? = error("optimizer: {lr: [1, 2}") {} else { Issue.record("expected a syntax error") }
    }

    @Test func overridesTakeTheFieldType() throws {
        let c = try TrainConfig.parse(yaml: "optimizer: {lr: 0.1}", overrides: [
            "optimizer.lr=3e-4", "objectives.dino.enabled=false", "data.path=/x: y #z", "data.kind=image_folder",
            "optimizer.betas=[0.8, 0.9]", "data.paths=/a.tar,/b.tar", "objectives.dino.ibot.mask_ratio_min=0",
            "schedule.steps=2000", "model.image_size=128", "model.decoder_upscale_factor=16", "data.global_scale=0.5,1",
            "objectives.clip.loss=siglip", "output_dir=/tmp/run",
        ])
        #expect(c.optimizer.lr == 3e-4 && !c.objectives.dino.enabled && c.data.path == "/x: y #z")
        #expect(c.optimizer.betas == [0.8, 0.9] && c.data.paths == ["/a.tar", "/b.tar"] && c.data.globalScale == [0.5, 1])
        #expect(c.objectives.dino.ibot.maskRatioMin == 0 && c.schedule.steps == 2000 && c.outputDir == "/tmp/run")
        #expect(c.model.resolved.imageSize == 128 && c.data.imageSize == 128 && c.architecture.decoderUpscaleFactor == 16)
        #expect(c.objectives.clip.loss == .siglip && c.architecture.initLogitBias == -10)
        // Quoted values are YAML strings.
        #expect(try TrainConfig.parse(yaml: "", overrides: ["data.path=\"a b # c\"", "data.caption_template='{} photo'"]).data.path == "a b # c")
        #expect(try TrainConfig.parse(yaml: "", overrides: ["data.caption_template='{} photo'"]).data.captionTemplate == "{} photo")
        // null puts the default back
        let d = try TrainConfig.parse(yaml: "optimizer: {lr: 0.1}", overrides: ["optimizer.lr=null"])
        #expect(d.optimizer.lr == OptimizerSection().lr)
    }

    @Test func overrideErrorsAreClear() {
        func message(_ o: String) -> String {
            do { _ = try TrainConfig.parse(yaml: "", overrides: [o]); return "" } catch { return "\(error)" }
        }
        #expect(message("optimizer.lr=abc") == "override 'optimizer.lr=abc': 'optimizer.lr' must be a number, found 'abc'")
        #expect(message("optimizer.lrr=1").contains("did you mean 'lr'"))
        #expect(message("objectives.dino.enabled=perhaps").contains("true or false"))
        #expect(message("optimizer.lr.x=1").contains("'optimizer.lr' must be a single value"))
        do {
            _ = try TrainConfig.parse(yaml: "optimizer: {lr: 0.1}", overrides: ["optimizer.lr.x=1"])
            Issue.record("no error")
        } catch { #expect("\(error)".contains("'optimizer.lr' is '0.1', not a section")) }
        #expect(message("optimizer.lr").contains("expected key=value"))
        #expect(message("optimizer..lr=1").contains("not a key path"))
        #expect(message("schedule.steps=1.5").contains("must be an integer"))
        #expect(message("objectives.clip.loss=sigclip").contains("did you mean 'siglip'"))
    }

    @Test func resolvedYAMLRoundTrips() throws {
        let c = try TrainConfig.parse(yaml: """
        model: {preset: tiny, image_size: 64, vision_patch_size: 8, decoder_upscale_factor: 8, vision_init_values: null}
        data: {kind: webdataset, paths: ["/s/a-{000..009}.tar", "yes", "123", "a: b"], caption_template: "photo of {}"}
        objectives: {dino: {teacher_temp_end: 0.0715, ibot: {enabled: false}}, clip: {batch_size: 256}}
        optimizer: {lr: 0.000123456789, min_lr: 1e-7, grad_clip: 0}
        output_dir: "runs/x y"
        """)
        let yaml = c.resolvedYAML()
        let back = try TrainConfig.parse(yaml: yaml)
        #expect(back == c)
        #expect(back.resolvedYAML() == yaml)
        // Every section and every field is written.
        for key in ["model:", "  preset: tiny", "  image_size: 64", "  vision_init_values: null", "data:", "  global_size: 64",
                    "    batch_size: 256", "teacher:", "  momentum_start: 0.992", "checkpoint:", "  keep_last: 3",
                    "  min_lr: 1.0e-07", "  lr: 0.000123456789", "    weight: 1.0", "precision: fp32"] {
            #expect(yaml.contains(key + "\n"), "missing \(key)")
        }
        // Defaults round-trip too, and applying(overrides:) works on a config value.
        #expect(try TrainConfig.parse(yaml: TrainConfig().resolvedYAML()) == TrainConfig())
        let e = try TrainConfig().applying(overrides: ["checkpoint.keep_last=5"])
        #expect(e.checkpoint.keepLast == 5)
    }

    @Test func validationFindsBadCombinations() throws {
        var c = TrainConfig()
        c.objectives.clip.enabled = false; c.objectives.dino.enabled = false; c.objectives.reconstruction.enabled = false
        #expect(c.problems().contains { $0.contains("at least one of") })
        let bad = try TrainConfig.parse(yaml: "model: {vision_patch_size: 8}", validate: false)
        #expect(bad.problems().contains { $0.contains("decoder_upscale_factor (16) == vision_patch_size (8)") })
        #expect(throws: TrainConfigError.self) { try TrainConfig.parse(yaml: "model: {vision_patch_size: 8}") }
        // Without reconstruction the upscale factor does not matter.
        let ok = try TrainConfig.parse(yaml: "model: {vision_patch_size: 8}\nobjectives: {reconstruction: {enabled: false}}")
        #expect(!ok.architecture.trainReconstruction)
        let more = try TrainConfig.parse(yaml: """
        data: {kind: image_folder, image_size: 100, local_scale: [0.5, 0.2]}
        optimizer: {min_lr: 1, betas: [0.9]}
        objectives: {gan: {enabled: true}, reconstruction: {enabled: false, lpips_weight: 1}}
        checkpoint: {keep_last: 0}
        """, validate: false).problems()
        for needle in ["needs data.path", "data.image_size (100)", "data.local_scale", "optimizer.min_lr", "optimizer.betas",
                       "objectives.gan needs objectives.reconstruction", "checkpoint.keep_last"] {
            #expect(more.contains { $0.contains(needle) }, "no problem mentioning \(needle): \(more)")
        }
    }

    @Test func loadsFromFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("infra-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.yaml")
        var c = TrainConfig()
        c.schedule.steps = 1234
        try c.save(to: url)
        #expect(try TrainConfig.load(from: url) == c)
        #expect(try TrainConfig.load(from: url, overrides: ["seed=3"]).seed == 3)
        #expect(throws: TrainConfigError.self) { try TrainConfig.load(from: dir.appendingPathComponent("missing.yaml")) }
    }
}
