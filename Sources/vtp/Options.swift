import ArgumentParser
import Foundation
import VTPDistributed
import VTPEval
import VTPModels
import VTPNN
import VTPTensor

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Model folder (config.json + model.safetensors).")
    var model: String

    @Option(name: .long, help: "RoPE arithmetic: bf16 (as the official PyTorch code) or fp32.")
    var ropePrecision: String = "bf16"

    @OptionGroup var matmul: PrecisionOption

    func validate() throws {
        guard RopePrecision(rawValue: ropePrecision) != nil else { throw ValidationError("--rope-precision must be bf16 or fp32") }
    }

    /// Loads the model with the chosen RoPE precision.
    func load() throws -> VTPModel {
        let m = try VTPModel.load(directory: URL(fileURLWithPath: model))
        m.ropePrecision = RopePrecision(rawValue: ropePrecision) ?? .bf16
        return m
    }
}

/// The arithmetic of the matrix products: fp32, or the bf16 mode (BF16 operands, F32 accumulation; oneDNN's BF16
/// kernels on CPUs with AVX-512-BF16 or AMX, F32 products with a notice elsewhere).
struct PrecisionOption: ParsableArguments {
    @Option(name: .long, help: "Matrix-product arithmetic: fp32, or bf16 (BF16 operands, F32 accumulation; F32 with a notice on CPUs without native BF16).")
    var precision: String = "fp32"

    func validate() throws {
        guard precision == "fp32" || precision == "bf16" else { throw ValidationError("--precision must be fp32 or bf16") }
    }

    /// Runs `body` with the chosen matrix-product precision.
    @discardableResult
    func run<R>(_ body: () throws -> R) rethrows -> R {
        try MatmulMode.with(precision == "bf16" ? .bf16 : .f32, body)
    }
}

/// How input images are turned into model tensors.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: "Square input size (a multiple of the patch size); default: the model's image_size.")
    var size: Int?

    @Option(name: .long, help: "Preprocessing: adm (centre crop, as the official reconstruction), squash (resize to size×size, as zero-shot).")
    var preprocess: String?

    @Option(name: .long, help: "Images per forward pass.")
    var batch: Int = 8

    func validate() throws {
        if let p = preprocess, Preprocessing(rawValue: p) == nil { throw ValidationError("--preprocess must be adm or squash") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let size, size < 1 { throw ValidationError("--size must be positive") }
    }

    func inputs(_ paths: [String]) -> ImageInputs {
        ImageInputs(paths: paths, size: size, preprocessing: preprocess.flatMap(Preprocessing.init(rawValue:)), batch: batch)
    }
}

/// Prints to standard error.
func note(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// Runs `body` with the MPI world (one process when not launched by `mpirun`). Under `mpirun`, an error on one
/// rank ends every rank (MPI_Abort) with its message, instead of leaving the others waiting in a collective.
func onEveryRank(_ body: (Communicator) throws -> Void) throws {
    let world = Distributed.world
    do {
        try body(world)
    } catch where world.size > 1 {
        world.abort(message: "error (rank \(world.rank) of \(world.size)): \(VTP.message(for: error))", code: 1)
    }
}
