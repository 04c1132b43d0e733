import Synchronization

/// A process-wide request to stop long computations, set from the C boundary (e.g. on Ctrl-C)
/// and polled by iterative kernels between iterations.
public enum Cancellation {
  private static let flag = Atomic<Int>(0)

  /// Asks every running kernel to stop at its next check.
  public static func request() { flag.store(1, ordering: .relaxed) }

  /// Clears a previous request; called before a kernel starts.
  public static func reset() { flag.store(0, ordering: .relaxed) }

  /// `true` once a stop was requested.
  public static var isRequested: Bool { flag.load(ordering: .relaxed) != 0 }

  /// Throws `.cancelled` when a stop was requested.
  public static func check() throws(LossLensError) {
    if isRequested { throw LossLensError(.cancelled, "interrupted") }
  }
}
