/// Placeholder; the engine lands here.
public enum VTPTensorVersion { public static let string = "0.1.0" }
