import VTPTraining
import XCTest

/// Known answers of the analytic FLOP counter on a tiny model, computed by hand below.
final class TrainingFLOPsTests: XCTestCase {
    /// 8×8 images, patch 4 (N = 4 patches, n = 5 tokens with CLS), width D = 8, 1 block, MLP ratio 2 (hidden 16),
    /// bottleneck C = 2; decoder width 8, 1 block (MLP, hidden 16), upscale 4; batch B = 2.
    static let model = """
    model:
      preset: tiny
      image_size: 8
      vision_patch_size: 4
      decoder_upscale_factor: 4
      vision_embed_dim: 8
      vision_depth: 1
      vision_num_heads: 2
      vision_mlp_ratio: 2
      vision_ffn_layer: mlp
      vision_feature_bottleneck: 2
      decoder_embed_dim: 8
      decoder_depth: 1
      decoder_num_heads: 2
      decoder_ffn_layer: mlp
      text_embed_dim: 8
      text_depth: 1
      text_num_heads: 2
      text_mlp_ratio: 2
      text_context_length: 4
    schedule: {steps: 10, batch_size: 2}
    optimizer: {warmup_steps: 0}
    """

    /// AE-only, per image: trunk = patch embedding 2·4·48·8 = 3072 + block (8·5·8² = 2560, QKᵀ+PV 4·5²·8 = 800,
    /// MLP 4·5·8·16 = 2560) = 8992; bottleneck 2·4·8·2 = 128; decoder = 1×1 in 2·4·2·8 = 128 + 1×1 out 2·4·8·48
    /// = 3072 + block on 4 tokens (2048 + 512 + 2048 = 4608) = 7808. Forward of B = 2: 17984 + 256 + 15616 =
    /// 33856; trained, ×3 = 101568.
    func testAutoencoderKnownAnswer() throws {
        let c = try TrainConfig.parse(yaml: Self.model + "\nobjectives: {clip: {enabled: false}, dino: {enabled: false}, reconstruction: {enabled: true}}",
                                      validate: false)
        let f = TrainingFLOPs(config: c)
        XCTAssertEqual(TrainingFLOPs.visionTrunk(c.architecture, imageSize: 8), 8992)
        XCTAssertEqual(TrainingFLOPs.pixelDecoder(c.architecture, tokens: 4), 7808)
        XCTAssertEqual(f.towers.map(\.name), ["vision trunk (plain view: reconstruction)", "bottleneck", "pixel decoder"])
        XCTAssertEqual(f.perStep, 101_568)
        XCTAssertEqual(f.total(steps: 10), 1_015_680)
    }

    /// VTP (CLIP + DINO/iBOT + reconstruction), B = 2, 2 local crops of 4 pixels, DINO head 8 → 8 → 4 → 16
    /// prototypes, iBOT mask probability 0.5 at ratios in [0.1, 0.5].
    /// Trained forward: shared plain view 17984; text tower 2 × (block on 4 tokens 4608 + projection 2·8·8 = 128)
    /// = 9472; CLIP projections 2·2·8·8 = 256 + logits 2·2·2·8 = 64 = 320; bottleneck 256; decoder 15616;
    /// 4 global crops 4·8992 = 35968; 4 local crops of N = 1 (patch embedding 768 + block on 2 tokens 1024 + 128
    /// + 1024 = 2944) = 11776; head per row 2·8·8 + 2·8·4 + 2·4·16 = 320 on 8 crops = 2560; iBOT head on
    /// 4·0.5·0.3·4 = 2.4 expected masked patches = 768. Sum 94720, ×3 = 284160.
    /// Teacher (forward only): trunk 35968 + head on 4 rows 1280 + iBOT 768 = 38016. Step: 322176.
    func testVTPKnownAnswer() throws {
        let yaml = Self.model + """

        data: {global_size: 8, local_size: 4, local_crops_number: 2}
        objectives:
          clip: {enabled: true, drop_path: 0}
          reconstruction: {enabled: true, drop_path: 0}
          dino:
            enabled: true
            out_dim: 16
            hidden_dim: 8
            bottleneck_dim: 4
            head_layers: 2
            ibot: {enabled: true, mask_probability: 0.5, mask_ratio_min: 0.1, mask_ratio_max: 0.5}
        """
        let f = TrainingFLOPs(config: try TrainConfig.parse(yaml: yaml, validate: false))
        let byName = Dictionary(uniqueKeysWithValues: f.towers.map { ($0.name, $0) })
        XCTAssertEqual(byName["text tower"]?.forward, 9472)
        XCTAssertEqual(byName["vision trunk (local crops)"]?.forward, 11776)
        XCTAssertEqual(byName["EMA teacher trunk (global crops)"]?.trained, false)
        XCTAssertEqual(byName["DINO head (student)"]?.forward, 2560)
        XCTAssertEqual(byName["iBOT head (teacher, masked patches)"]?.forward ?? 0, 768, accuracy: 1e-9)
        XCTAssertEqual(f.towers.filter(\.trained).reduce(0) { $0 + $1.forward }, 94720, accuracy: 1e-9)
        XCTAssertEqual(f.perStep, 322_176, accuracy: 1e-6)
    }
}
