import Foundation

/// `objectives:` — the joint VTP objective: CLIP + DINO/iBOT + reconstruction (+ optional GAN).
public struct Objectives: Codable, Equatable, Sendable {
    public var clip = ClipObjective()
    public var dino = DinoObjective()
    public var reconstruction = ReconstructionObjective()
    public var gan = GANObjective()

    public init() {}

    /// Names of the enabled objectives (`clip`, `dino`, `ibot`, `reconstruction`, `gan`).
    public var enabledNames: [String] {
        var n: [String] = []
        if clip.enabled { n.append("clip") }
        if dino.enabled { n.append("dino") }
        if dino.enabled && dino.ibot.enabled { n.append("ibot") }
        if reconstruction.enabled { n.append("reconstruction") }
        if gan.enabled { n.append("gan") }
        return n
    }

    /// Problems with the objectives' settings and their combination.
    public func problems() -> [String] {
        unmet((clip.enabled || dino.enabled || reconstruction.enabled,
               "at least one of objectives.clip, objectives.dino, objectives.reconstruction must be enabled"),
              (!gan.enabled || reconstruction.enabled, "objectives.gan needs objectives.reconstruction (it judges reconstructions)"),
              (!gan.enabled || (!clip.enabled && !dino.enabled),
               "objectives.gan is the decoder fine-tuning stage (encoder frozen): turn objectives.clip and objectives.dino off (run them in the first stage)"))
            + clip.problems() + dino.problems() + reconstruction.problems() + gan.problems()
    }
}

/// A loss weight must be a finite number >= 0.
func weightCheck(_ name: String, _ w: Double) -> (Bool, String) {
    (w >= 0 && w.isFinite, "objectives.\(name) weight must be a finite number >= 0, got \(w)")
}

/// A sample-drop rate must be in [0, 1).
func dropPathCheck(_ name: String, _ r: Double) -> (Bool, String) {
    (r >= 0 && r < 1, "objectives.\(name).drop_path must be in [0, 1), got \(r)")
}
