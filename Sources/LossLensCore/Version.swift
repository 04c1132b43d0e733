/// Version of the Swift core and of the C ABI it exports (`LL_ABI_VERSION` in `losslens.h`).
public enum LossLensVersion {
  /// The library version, kept equal to the Python package's `__version__`.
  public static let library = "0.1.0"
  /// The C ABI version; the extension refuses a library with a different one.
  public static let abi: Int32 = 3
}
