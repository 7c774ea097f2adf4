// port of the GAN part of VQLPIPSWithDiscriminator of CompVis/taming-transformers
// (taming/modules/losses/vqperceptual.py): hinge losses, adaptive weight, delayed start
import VTPTensor

/// The hinge GAN losses of VQGAN (decoder fine-tuning stage), on `PatchDiscriminator` logits of any shape.
///
/// ```
/// L_D = ½ [ mean relu(1 − D(x)) + mean relu(1 + D(x̂)) ]      discriminator (x̂ detached)
/// L_G = −mean D(x̂)                                           generator (decoder)
/// ```
public enum HingeGANLoss {
    /// L_D (scalar) from the logits of real and of (detached) decoded images.
    public static func discriminatorLoss(real: Tensor, fake: Tensor) -> Tensor {
        ((1 - real).relu().mean() + (1 + fake).relu().mean()) * 0.5
    }

    /// L_G (scalar) from the logits of decoded images.
    public static func generatorLoss(fake: Tensor) -> Tensor { -fake.mean() }
}

/// The "vanilla" (non-saturating, softplus) GAN losses of taming-transformers' `vanilla_d_loss`.
///
/// ```
/// L_D = ½ [ mean softplus(−D(x)) + mean softplus(D(x̂)) ]    discriminator (x̂ detached)
/// L_G = −mean D(x̂)                                          generator (as taming, for either L_D)
/// ```
public enum VanillaGANLoss {
    /// L_D (scalar) from the logits of real and of (detached) decoded images.
    public static func discriminatorLoss(real: Tensor, fake: Tensor) -> Tensor {
        (softplus(-real).mean() + softplus(fake).mean()) * 0.5
    }

    /// softplus(x) = log(1 + eˣ) = relu(x) + log(1 + e^−|x|), stable for large |x|; derivative sigmoid(x).
    static func softplus(_ x: Tensor) -> Tensor { x.relu() + ((-x.abs()).exp() + 1).log() }
}

/// How much of the GAN loss the decoder gets: VQGAN's adaptive weight, switched on at `startStep`.
///
/// ```
/// λ = clamp(‖∇_w L_rec‖ / (‖∇_w L_G‖ + 1e-4), 0, 1e4) · discriminatorWeight      w: the decoder's last weight
/// L = L_rec + f(step) · λ · L_G          f = 1 from `startStep` on, else 0 (taming `adopt_weight`)
/// ```
/// λ is a constant (no gradient flows through it). The discriminator's own loss is also gated by f.
public struct AdversarialWeighting: Codable, Equatable, Sendable {
    /// taming `disc_weight`.
    public var discriminatorWeight: Float
    /// taming `disc_start`: the first step with a GAN term.
    public var startStep: Int

    public init(discriminatorWeight: Float = 1, startStep: Int = 0) {
        self.discriminatorWeight = discriminatorWeight
        self.startStep = startStep
    }

    enum CodingKeys: String, CodingKey {
        case discriminatorWeight = "disc_weight", startStep = "disc_start"
    }

    /// f(step): whether the GAN terms are on.
    public func isActive(step: Int) -> Bool { step >= startStep }

    /// λ from the gradients of L_rec and L_G with respect to the last weight (same shape).
    public func adaptiveWeight(reconstructionGradient gr: Tensor, generatorGradient gg: Tensor) -> Float {
        precondition(gr.shape == gg.shape, "AdversarialWeighting: gradients \(gr.shape) and \(gg.shape) differ")
        func norm(_ t: Tensor) -> Double {
            var s = 0.0
            for i in 0..<t.count { s += Double(t.data[i]) * Double(t.data[i]) }
            return s.squareRoot()
        }
        let w = Swift.min(Swift.max(norm(gr) / (norm(gg) + 1e-4), 0), 1e4)
        return Float(w) * discriminatorWeight
    }

    /// Back-propagates L = L_rec + f·λ·L_G into the parameters' `.grad` and returns f·λ.
    ///
    /// Runs `backward()` on L_rec (which accumulates ∇L_rec into every parameter) and, when active, on L_G, reads
    /// both gradients of `lastLayer`, computes λ, and adds (λ − 1)·∇L_G to each of `parameters` (the second
    /// backward already added ∇L_G once). Cost: two backward passes through the decoder where one pass over
    /// L_rec + λ·L_G would do (taming takes three: two `autograd.grad` calls, then the total); memory: the
    /// gradients of one backward. Parameters that get a gradient from L_G but are not in `parameters` (the
    /// discriminator's, unless frozen with `setTrainable(false)`) keep ∇L_G at weight 1: zero them before the
    /// discriminator step.
    /// - Parameters:
    ///   - lastLayer: the decoder's last weight (the pixel decoder's output projection).
    ///   - parameters: the parameters being trained by this loss (they must include `lastLayer`).
    @discardableResult
    public func backward(reconstructionLoss: Tensor, generatorLoss: Tensor, lastLayer: Parameter,
                         parameters: [Parameter], step: Int) -> Float {
        let gRec = reconstructionLoss.backward()
        guard isActive(step: step) else { return 0 }
        let gGen = generatorLoss.backward()
        let zero = Tensor.zeros(lastLayer.shape)
        let lambda = adaptiveWeight(reconstructionGradient: gRec[lastLayer.value] ?? zero,
                                    generatorGradient: gGen[lastLayer.value] ?? zero)
        withNoGrad {
            for p in parameters {
                guard let g = gGen[p.value], let acc = p.grad else { continue }
                p.grad = acc + g * (lambda - 1)
            }
        }
        return lambda
    }
}
