/// Pre-training of VTP tokenizers: objectives, the joint step, checkpoints and metrics.
public enum VTPTrainingInfo { public static let version = "0.1.0" }
