import VTPModels
import VTPTensor

/// Which output channels classifier-free guidance mixes.
public enum CFGChannels: String, Codable, Sendable, CaseIterable {
    /// The official `forward_with_cfg`: only channels 0..<3 are guided (DiT's "exact reproducibility" line); the
    /// other channels keep the conditional prediction (first half) and the unconditional one (second half).
    case official
    /// Standard CFG on every channel (the line the official code leaves commented out).
    case all

    /// The default for latents with `channels` channels: `official` up to 4 channels (the SD-VAE case the official
    /// line was written for), `all` above.
    public static func defaultFor(channels: Int) -> CFGChannels { channels > 4 ? .all : .official }
}

/// Classifier-free guidance settings: v = v_uncond + scale·(v_cond − v_uncond) on the guided channels.
public struct Guidance: Equatable, Sendable {
    public var scale: Float
    public var channels: CFGChannels
    /// With a value, guidance is off (the conditional prediction is used) while t < intervalStart
    /// (`cfg_interval=True, cfg_interval_start`); nil applies it at every t (`cfg_interval=None`).
    public var intervalStart: Float?

    public init(scale: Float, channels: CFGChannels = .official, intervalStart: Float? = nil) {
        self.scale = scale
        self.channels = channels
        self.intervalStart = intervalStart
    }
}

extension LightningDiT {
    /// The official `forward_with_cfg(x, t, y, cfg_scale, cfg_interval, cfg_interval_start)`.
    ///
    /// - Parameters:
    ///   - x: [2B, C, H, W]; only the first half is read (and fed twice).
    ///   - t: [2B]; `t[0]` decides the guidance interval.
    ///   - y: [2B], conditional labels then (usually) null labels.
    /// - Returns: [2B, C, H, W]: guided channels identical in both halves; the other channels conditional in the
    ///   first half, unconditional in the second.
    public func forwardWithCFG(_ x: Tensor, t: [Float], y: [Int], guidance g: Guidance) throws -> Tensor {
        guard x.rank == 4, x.shape[0] % 2 == 0, x.shape[0] > 0 else {
            throw VTPError.invalidInput("forward with CFG needs an even batch [2B, C, H, W], got \(x.shape)")
        }
        let b = x.shape[0] / 2, c = config.inChannels
        let half = x.slice(axis: 0, 0..<b)
        let out = try self(Tensor.concat([half, half], axis: 0), t: t, y: y)
        let guided = g.channels == .all ? c : Swift.min(3, c)
        let eps = out.slice(axis: 1, 0..<guided)
        let (cond, uncond) = (eps.slice(axis: 0, 0..<b), eps.slice(axis: 0, b..<(2 * b)))
        var mixed = uncond + (cond - uncond) * g.scale
        if let start = g.intervalStart, let t0 = t.first, t0 < start { mixed = cond }
        let guidedPart = Tensor.concat([mixed, mixed], axis: 0)
        guard guided < c else { return guidedPart }
        return Tensor.concat([guidedPart, out.slice(axis: 1, guided..<c)], axis: 1)
    }
}
