import Foundation
import VTPModels

extension TrainConfig {
    /// Every problem with the combination of settings (empty when the config is usable).
    public func problems() -> [String] {
        var p: [String] = []
        func need(_ ok: Bool, _ message: @autoclosure () -> String) { if !ok { p.append(message()) } }
        let o = objectives, m = vtpConfig, patch = m.visionPatchSize

        // Objectives
        need(o.clip.enabled || o.dino.enabled || o.reconstruction.enabled,
             "at least one of objectives.clip, objectives.dino, objectives.reconstruction must be enabled")
        need(!o.gan.enabled || o.reconstruction.enabled, "objectives.gan needs objectives.reconstruction (it judges reconstructions)")
        if o.gan.enabled {
            need(!o.clip.enabled && !o.dino.enabled,
                 "objectives.gan is the decoder fine-tuning stage (encoder frozen): turn objectives.clip and objectives.dino off (run them in the first stage)")
            need(model.initFrom != nil,
                 "objectives.gan fine-tunes the decoder of a trained encoder: set model.init_from to the first stage's run folder or checkpoint")
        }
        if model.initFrom != nil {
            need(!o.clip.enabled || m.trainClip, "objectives.clip needs the CLIP towers, but the model.init_from checkpoint has none (train_clip: false)")
            need(!(o.reconstruction.enabled || o.gan.enabled) || m.trainReconstruction,
                 "objectives.reconstruction needs a pixel decoder, but the model.init_from checkpoint has none (train_reconstruction: false)")
        }
        if o.reconstruction.enabled || o.gan.enabled {
            need(m.upscaleFactor == patch,
                 "objectives.reconstruction needs model decoder_upscale_factor (\(m.upscaleFactor)) == vision_patch_size (\(patch)) so that reconstructions have the input size; set model.decoder_upscale_factor=\(patch)")
        }
        for (name, w) in [("clip", o.clip.weight), ("dino", o.dino.weight), ("dino.ibot", o.dino.ibot.weight),
                          ("reconstruction", o.reconstruction.weight), ("reconstruction.lpips_weight", o.reconstruction.lpipsWeight),
                          ("gan", o.gan.weight), ("dino.koleo_weight", o.dino.koleoWeight)] {
            need(w >= 0 && w.isFinite, "objectives.\(name) weight must be a finite number >= 0, got \(w)")
        }
        for (name, r) in [("clip", o.clip.dropPath), ("dino", o.dino.dropPath), ("reconstruction", o.reconstruction.dropPath)] {
            need(r >= 0 && r < 1, "objectives.\(name).drop_path must be in [0, 1), got \(r)")
        }
        if o.clip.enabled { need(o.clip.batchSize >= 2, "objectives.clip.batch_size must be at least 2 (contrastive pairs), got \(o.clip.batchSize)") }
        if o.dino.enabled {
            let d = o.dino
            need(d.outDim > 0 && d.hiddenDim > 0 && d.bottleneckDim > 0, "objectives.dino out_dim, hidden_dim and bottleneck_dim must be positive")
            need(d.headLayers >= 1, "objectives.dino.head_layers must be at least 1")
            need(d.studentTemp > 0 && d.teacherTempStart > 0 && d.teacherTempEnd > 0, "objectives.dino temperatures must be positive")
            need(d.teacherTempWarmupSteps >= 0, "objectives.dino.teacher_temp_warmup_steps must be >= 0")
            need(d.centerMomentum >= 0 && d.centerMomentum <= 1, "objectives.dino.center_momentum must be in [0, 1]")
            if d.ibot.enabled {
                let i = d.ibot
                need(0 <= i.maskRatioMin && i.maskRatioMin <= i.maskRatioMax && i.maskRatioMax < 1,
                     "objectives.dino.ibot needs 0 <= mask_ratio_min <= mask_ratio_max < 1, got \(i.maskRatioMin)...\(i.maskRatioMax)")
                need(i.maskProbability >= 0 && i.maskProbability <= 1, "objectives.dino.ibot.mask_probability must be in [0, 1]")
            }
        }
        if o.reconstruction.enabled && o.reconstruction.lpipsWeight > 0 {
            need(!o.reconstruction.lpipsWeightsPath.isEmpty,
                 "objectives.reconstruction.lpips_weight > 0 needs lpips_weights_path (the LPIPS network weights)")
        }
        if o.gan.enabled {
            need(o.gan.startStep >= 0, "objectives.gan.start_step must be >= 0")
            need(o.gan.discLayers >= 1 && o.gan.discChannels >= 1, "objectives.gan disc_layers and disc_channels must be positive")
            need(o.gan.lr >= 0, "objectives.gan.lr must be >= 0")
            needBetas(o.gan.betas, "objectives.gan.betas", &p)
            let out = PatchDiscriminator.outputSize(inputSize: data.imageSize, layers: o.gan.discLayers)
            need(out >= 1, "objectives.gan.disc_layers (\(o.gan.discLayers)) is too deep for \(data.imageSize)-pixel images (the discriminator's output would be empty); use fewer layers")
        }

        // Model
        do { try m.validate() } catch let VTPError.invalidConfig(list) {
            p.append(contentsOf: list.map { "model: \($0)" })
        } catch { p.append("model: \(error)") }

        // Data
        let d = data
        if [.imageFolder, .classFolder, .webdataset].contains(d.kind) {
            need(!d.allPaths.isEmpty, "data.kind \(d.kind.rawValue) needs data.path (or data.paths)")
        }
        need(d.imageSize > 0 && d.imageSize % patch == 0, "data.image_size (\(d.imageSize)) must be a positive multiple of vision_patch_size (\(patch))")
        need(d.evalFraction >= 0 && d.evalFraction < 1, "data.eval_fraction must be in [0, 1), got \(d.evalFraction)")
        need(d.evalImages >= 0, "data.eval_images must be >= 0")
        need(d.workers >= 0, "data.workers must be >= 0")
        need(d.shuffleBuffer >= 1, "data.shuffle_buffer must be at least 1")
        if o.dino.enabled {
            need(d.globalSize > 0 && d.globalSize % patch == 0, "data.global_size (\(d.globalSize)) must be a positive multiple of vision_patch_size (\(patch))")
            need(d.localCropsNumber >= 0, "data.local_crops_number must be >= 0")
            if d.localCropsNumber > 0 {
                need(d.localSize > 0 && d.localSize % patch == 0, "data.local_size (\(d.localSize)) must be a positive multiple of vision_patch_size (\(patch))")
            }
            needScale(d.globalScale, "data.global_scale", &p)
            needScale(d.localScale, "data.local_scale", &p)
        }

        // Optimisation
        let op = optimizer
        need(op.lr > 0 && op.lr.isFinite, "optimizer.lr must be positive, got \(op.lr)")
        need(op.minLR >= 0 && op.minLR <= op.lr, "optimizer.min_lr must be in [0, lr], got \(op.minLR)")
        need(op.warmupSteps >= 0 && op.warmupSteps <= schedule.steps, "optimizer.warmup_steps (\(op.warmupSteps)) must be in [0, schedule.steps (\(schedule.steps))]")
        need(op.weightDecay >= 0 && op.weightDecayEnd >= 0, "optimizer.weight_decay and weight_decay_end must be >= 0")
        needBetas(op.betas, "optimizer.betas", &p)
        need(op.eps > 0, "optimizer.eps must be positive")
        need(op.gradClip >= 0, "optimizer.grad_clip must be >= 0 (0 = off)")
        need(op.freezeLastLayerSteps >= 0, "optimizer.freeze_last_layer_steps must be >= 0")
        need((0...1).contains(teacher.momentumStart) && (0...1).contains(teacher.momentumEnd),
             "teacher.momentum_start and momentum_end must be in [0, 1]")

        // Run
        need(schedule.steps > 0, "schedule.steps must be positive")
        need(schedule.batchSize > 0, "schedule.batch_size must be positive")
        need(schedule.evalEvery >= 0, "schedule.eval_every must be >= 0 (0 = never)")
        need(schedule.logEvery > 0, "schedule.log_every must be positive")
        need(seed >= 0, "seed must be >= 0")
        need(!outputDir.isEmpty, "output_dir must not be empty")
        need(checkpoint.every > 0, "checkpoint.every must be positive")
        need(checkpoint.keepLast >= 1, "checkpoint.keep_last must be at least 1")
        return p
    }

    /// Throws `TrainConfigError.invalid` listing every problem.
    public func validate() throws {
        let p = problems()
        if !p.isEmpty { throw TrainConfigError.invalid(p) }
    }
}

private func needBetas(_ b: [Double], _ name: String, _ p: inout [String]) {
    if b.count != 2 || !b.allSatisfy({ $0 >= 0 && $0 < 1 }) { p.append("\(name) must be two numbers in [0, 1), got \(b)") }
}

private func needScale(_ s: [Double], _ name: String, _ p: inout [String]) {
    if s.count != 2 || !(s[0] > 0 && s[0] <= s[1] && s[1] <= 1) { p.append("\(name) must be [min, max] with 0 < min <= max <= 1, got \(s)") }
}
