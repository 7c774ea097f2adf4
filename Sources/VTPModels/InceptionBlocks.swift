import VTPNN
import VTPTensor

// The mixed blocks of pytorch-fid's InceptionV3; each field's key is its name in the checkpoint
// (`Mixed_5b.branch5x5_1.conv.weight`). Average pools leave the padding out of the mean (TensorFlow's pooling).

/// FIDInceptionA (Mixed_5b/c/d): 1×1 | 1×1 → 5×5 | 1×1 → 3×3 → 3×3 | avg-pool 3 → 1×1; out 224 + pool features.
final class InceptionA: InceptionBlock {
    let branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branchPool: InceptionConv
    var items: [ModuleItem] {
        [.child("branch1x1", branch1x1), .child("branch5x5_1", branch5x5_1), .child("branch5x5_2", branch5x5_2),
         .child("branch3x3dbl_1", branch3x3dbl_1), .child("branch3x3dbl_2", branch3x3dbl_2),
         .child("branch3x3dbl_3", branch3x3dbl_3), .child("branch_pool", branchPool)]
    }
    init(_ c: Int, poolFeatures: Int) {
        branch1x1 = InceptionConv(c, 64, kernel: 1)
        branch5x5_1 = InceptionConv(c, 48, kernel: 1)
        branch5x5_2 = InceptionConv(48, 64, kernel: 5, padding: 2)
        branch3x3dbl_1 = InceptionConv(c, 64, kernel: 1)
        branch3x3dbl_2 = InceptionConv(64, 96, kernel: 3, padding: 1)
        branch3x3dbl_3 = InceptionConv(96, 96, kernel: 3, padding: 1)
        branchPool = InceptionConv(c, poolFeatures, kernel: 1)
    }
    func forward(_ x: BlockedActivation) -> BlockedActivation {
        let a = branch1x1(x)
        let b = branch5x5_2(branch5x5_1(x))
        let c = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)))
        let d = branchPool(x.pooled(max: false, kernel: 3, stride: 1, padding: 1))
        return BlockedActivation.concatChannels([a, b, c, d])
    }
}

/// InceptionB (Mixed_6a, torchvision's): 3×3 s2 | 1×1 → 3×3 → 3×3 s2 | max-pool 3/2; halves the size.
final class InceptionB: InceptionBlock {
    let branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3: InceptionConv
    var items: [ModuleItem] {
        [.child("branch3x3", branch3x3), .child("branch3x3dbl_1", branch3x3dbl_1), .child("branch3x3dbl_2", branch3x3dbl_2),
         .child("branch3x3dbl_3", branch3x3dbl_3)]
    }
    init(_ c: Int) {
        branch3x3 = InceptionConv(c, 384, kernel: 3, stride: 2)
        branch3x3dbl_1 = InceptionConv(c, 64, kernel: 1)
        branch3x3dbl_2 = InceptionConv(64, 96, kernel: 3, padding: 1)
        branch3x3dbl_3 = InceptionConv(96, 96, kernel: 3, stride: 2)
    }
    func forward(_ x: BlockedActivation) -> BlockedActivation {
        BlockedActivation.concatChannels([branch3x3(x), branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))), x.pooled(max: true, kernel: 3, stride: 2)])
    }
}

/// FIDInceptionC (Mixed_6b…e): factorised 7×7 branches (1×7 and 7×1), avg-pool branch; out 768.
final class InceptionC: InceptionBlock {
    let branch1x1: InceptionConv
    let branch7x7_1, branch7x7_2, branch7x7_3: InceptionConv
    let branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5: InceptionConv
    let branchPool: InceptionConv
    var items: [ModuleItem] {
        [.child("branch1x1", branch1x1), .child("branch7x7_1", branch7x7_1), .child("branch7x7_2", branch7x7_2),
         .child("branch7x7_3", branch7x7_3), .child("branch7x7dbl_1", branch7x7dbl_1), .child("branch7x7dbl_2", branch7x7dbl_2),
         .child("branch7x7dbl_3", branch7x7dbl_3), .child("branch7x7dbl_4", branch7x7dbl_4),
         .child("branch7x7dbl_5", branch7x7dbl_5), .child("branch_pool", branchPool)]
    }
    init(_ c: Int, channels7x7 c7: Int) {
        branch1x1 = InceptionConv(c, 192, kernel: 1)
        branch7x7_1 = InceptionConv(c, c7, kernel: 1)
        branch7x7_2 = InceptionConv(c7, c7, kernel: (1, 7), padding: (0, 3))
        branch7x7_3 = InceptionConv(c7, 192, kernel: (7, 1), padding: (3, 0))
        branch7x7dbl_1 = InceptionConv(c, c7, kernel: 1)
        branch7x7dbl_2 = InceptionConv(c7, c7, kernel: (7, 1), padding: (3, 0))
        branch7x7dbl_3 = InceptionConv(c7, c7, kernel: (1, 7), padding: (0, 3))
        branch7x7dbl_4 = InceptionConv(c7, c7, kernel: (7, 1), padding: (3, 0))
        branch7x7dbl_5 = InceptionConv(c7, 192, kernel: (1, 7), padding: (0, 3))
        branchPool = InceptionConv(c, 192, kernel: 1)
    }
    func forward(_ x: BlockedActivation) -> BlockedActivation {
        let a = branch1x1(x)
        let b = branch7x7_3(branch7x7_2(branch7x7_1(x)))
        let c = branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x)))))
        let d = branchPool(x.pooled(max: false, kernel: 3, stride: 1, padding: 1))
        return BlockedActivation.concatChannels([a, b, c, d])
    }
}

/// InceptionD (Mixed_7a, torchvision's): 1×1 → 3×3 s2 | 1×1 → 1×7 → 7×1 → 3×3 s2 | max-pool 3/2.
final class InceptionD: InceptionBlock {
    let branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4: InceptionConv
    var items: [ModuleItem] {
        [.child("branch3x3_1", branch3x3_1), .child("branch3x3_2", branch3x3_2), .child("branch7x7x3_1", branch7x7x3_1),
         .child("branch7x7x3_2", branch7x7x3_2), .child("branch7x7x3_3", branch7x7x3_3), .child("branch7x7x3_4", branch7x7x3_4)]
    }
    init(_ c: Int) {
        branch3x3_1 = InceptionConv(c, 192, kernel: 1)
        branch3x3_2 = InceptionConv(192, 320, kernel: 3, stride: 2)
        branch7x7x3_1 = InceptionConv(c, 192, kernel: 1)
        branch7x7x3_2 = InceptionConv(192, 192, kernel: (1, 7), padding: (0, 3))
        branch7x7x3_3 = InceptionConv(192, 192, kernel: (7, 1), padding: (3, 0))
        branch7x7x3_4 = InceptionConv(192, 192, kernel: 3, stride: 2)
    }
    func forward(_ x: BlockedActivation) -> BlockedActivation {
        let a = branch3x3_2(branch3x3_1(x))
        let b = branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x))))
        return BlockedActivation.concatChannels([a, b, x.pooled(max: true, kernel: 3, stride: 2)])
    }
}

/// FIDInceptionE_1 (Mixed_7b, average pool) and FIDInceptionE_2 (Mixed_7c, max pool 3/1 in the pool branch):
/// 1×1 | 1×1 → (1×3, 3×1) | 1×1 → 3×3 → (1×3, 3×1) | pool → 1×1; out 320 + 768 + 768 + 192 = 2048.
final class InceptionE: InceptionBlock {
    let maxPool: Bool
    let branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b: InceptionConv
    let branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branchPool: InceptionConv
    var items: [ModuleItem] {
        [.child("branch1x1", branch1x1), .child("branch3x3_1", branch3x3_1), .child("branch3x3_2a", branch3x3_2a),
         .child("branch3x3_2b", branch3x3_2b), .child("branch3x3dbl_1", branch3x3dbl_1), .child("branch3x3dbl_2", branch3x3dbl_2),
         .child("branch3x3dbl_3a", branch3x3dbl_3a), .child("branch3x3dbl_3b", branch3x3dbl_3b), .child("branch_pool", branchPool)]
    }
    init(_ c: Int, maxPool: Bool) {
        self.maxPool = maxPool
        branch1x1 = InceptionConv(c, 320, kernel: 1)
        branch3x3_1 = InceptionConv(c, 384, kernel: 1)
        branch3x3_2a = InceptionConv(384, 384, kernel: (1, 3), padding: (0, 1))
        branch3x3_2b = InceptionConv(384, 384, kernel: (3, 1), padding: (1, 0))
        branch3x3dbl_1 = InceptionConv(c, 448, kernel: 1)
        branch3x3dbl_2 = InceptionConv(448, 384, kernel: 3, padding: 1)
        branch3x3dbl_3a = InceptionConv(384, 384, kernel: (1, 3), padding: (0, 1))
        branch3x3dbl_3b = InceptionConv(384, 384, kernel: (3, 1), padding: (1, 0))
        branchPool = InceptionConv(c, 192, kernel: 1)
    }
    func forward(_ x: BlockedActivation) -> BlockedActivation {
        let a = branch1x1(x)
        let t = branch3x3_1(x)
        let b = BlockedActivation.concatChannels([branch3x3_2a(t), branch3x3_2b(t)])
        let u = branch3x3dbl_2(branch3x3dbl_1(x))
        let c = BlockedActivation.concatChannels([branch3x3dbl_3a(u), branch3x3dbl_3b(u)])
        return BlockedActivation.concatChannels([a, b, c, branchPool(x.pooled(max: maxPool, kernel: 3, stride: 1, padding: 1))])
    }
}
