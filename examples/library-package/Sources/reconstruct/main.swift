import Foundation
import VTPEval
import VTPModels

// usage: reconstruct MODEL_DIR OUTPUT_DIR IMAGE...   (MODEL_DIR: config.json + model.safetensors)
let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: reconstruct MODEL_DIR OUTPUT_DIR IMAGE...\n".utf8))
    exit(2)
}
do {
    let model = try VTPModel.load(directory: URL(fileURLWithPath: args[0]))
    let inputs = ImageInputs(paths: Array(args.dropFirst(2)), size: model.config.imageSize)
    for r in try Reconstruction.reconstructFiles(model: model, inputs: inputs, outputDirectory: args[1]) {
        print(String(format: "%@ -> %@  PSNR %.2f dB", r.input, r.output.path, r.psnr))
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
