/// Status codes shared with the C contract (`Shims/include/losslens.h`, `ll_status`).
///
/// Every Swift entry point validates what it is handed and reports a status instead of trapping:
/// a trap would take the whole Python interpreter down with it.
public enum StatusCode: Int32, Sendable {
  case ok = 0
  /// An argument has an invalid value or shape (Python `ValueError`).
  case invalidArgument = 1
  /// An argument has an unsupported type (Python `TypeError`).
  case invalidType = 2
  /// A buffer could not be allocated (Python `MemoryError`).
  case outOfMemory = 3
  /// The caller asked the computation to stop (Python `KeyboardInterrupt`).
  case cancelled = 4
  /// A numerical routine failed to converge or LAPACK reported an error (Python `RuntimeError`).
  case numericalFailure = 5
}

/// An error raised by a core routine: a status code and a message that names the offending argument.
public struct LossLensError: Error, Sendable, CustomStringConvertible {
  /// The status code the C boundary returns.
  public var code: StatusCode
  /// A human-readable message, naming the argument at fault.
  public var message: String

  /// Creates an error with a code and a message.
  public init(_ code: StatusCode, _ message: String) {
    self.code = code
    self.message = message
  }

  /// An `invalidArgument` error.
  public static func invalid(_ message: String) -> LossLensError {
    LossLensError(.invalidArgument, message)
  }

  public var description: String { message }
}
