import Foundation
import VTPModels
import VTPNN
import VTPTensor

/// Everything with weights in a run: the student (the VTP model being trained, plus its DINO head) and the EMA
/// teacher (a copy of the trunk and the head).
public final class TrainModels {
    public let student: VTPModel
    public let studentHead: DINOHead?
    public let teacher: VisionTransformer?
    public let teacherHead: DINOHead?

    /// The student is `model` (a resumed run's), else the `model.init_from` weights, else a fresh initialisation.
    /// Towers no enabled objective uses are frozen; with the GAN stage on, everything but the pixel decoder is.
    public init(config: TrainConfig, model: VTPModel? = nil) throws {
        let vtp = config.architecture
        if let model {
            student = model
        } else {
            student = try VTPModel(config: vtp, seed: config.rngSeed)
            if let path = config.model.initFrom { try InitialWeights.load(into: student, from: path) }
        }
        Self.freezeUnused(student, objectives: config.objectives)
        let dino = config.objectives.dino
        if dino.enabled {
            var rng = RNG(seed: config.rngSeed &+ 0xD1)
            let head = DINOHeadConfig(inputDimensions: vtp.visionEmbedDim, prototypes: dino.outDim, layers: dino.headLayers,
                                      hiddenDimensions: dino.hiddenDim, bottleneckDimensions: dino.bottleneckDim)
            studentHead = DINOHead(config: head, rng: &rng)
            var rng2 = RNG(seed: 0)
            let t = VisionTransformer(config: vtp, rng: &rng2)
            let th = DINOHead(config: head, rng: &rng2)
            EMA.copy(from: student.trunk, to: t)
            EMA.copy(from: studentHead!, to: th)
            t.setTrainable(false)
            th.setTrainable(false)
            (teacher, teacherHead) = (t, th)
        } else {
            (studentHead, teacher, teacherHead) = (nil, nil, nil)
        }
    }

    /// Sets `requiresGrad` off for the parameters no enabled objective trains.
    static func freezeUnused(_ m: VTPModel, objectives o: Objectives) {
        if o.gan.enabled {
            m.setTrainable(false)
            m.pixelDecoder?.setTrainable(true)
            return
        }
        if !o.clip.enabled {
            m.text?.setTrainable(false)
            m.visualProj?.setTrainable(false)
            m.logitScale?.requiresGrad = false
            m.logitBias?.requiresGrad = false
        }
        if !o.reconstruction.enabled { m.pixelDecoder?.setTrainable(false) }
    }

    /// The parameters the optimizer updates.
    public var trainable: [(String, Parameter)] {
        var out = student.namedParameters().filter { $0.1.requiresGrad }
        if let h = studentHead { out += h.namedParameters(prefix: "dino_head").filter { $0.1.requiresGrad } }
        return out
    }

    /// θ_teacher ← m·θ_teacher + (1 − m)·θ_student (trunk and head).
    public func updateTeacher(momentum: Float) {
        guard let teacher, let teacherHead, let studentHead else { return }
        EMA.update(target: teacher, source: student.trunk, momentum: momentum)
        EMA.update(target: teacherHead, source: studentHead, momentum: momentum)
    }

    /// Adds the teacher and the head weights to a checkpoint state.
    public func save(into state: inout TrainingState) {
        if let studentHead { state.add(module: studentHead, prefix: "dino_head") }
        if let teacher { state.add(module: teacher, prefix: "teacher") }
        if let teacherHead { state.add(module: teacherHead, prefix: "teacher_head") }
    }

    public func restore(from state: TrainingState) throws {
        if let studentHead { try state.restore(module: studentHead, prefix: "dino_head") }
        if let teacher { try state.restore(module: teacher, prefix: "teacher") }
        if let teacherHead { try state.restore(module: teacherHead, prefix: "teacher_head") }
    }
}
