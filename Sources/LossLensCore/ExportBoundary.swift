// Helpers for the `@_cdecl` exports (Sources/LossLensExports): they live in the core so that
// XCTest can check every status path without linking the dynamic product.

/// Runs one exported computation: clears the cancellation flag, maps thrown errors to a status
/// code and writes their message into the caller's buffer.
@inlinable
public func runExport(
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64,
  _ body: () throws(LossLensError) -> Void
) -> Int32 {
  Cancellation.reset()
  do {
    try body()
    return StatusCode.ok.rawValue
  } catch {
    writeMessage(error.message, into: err, capacity: errLength)
    return error.code.rawValue
  }
}

/// Copies `message` into a caller-supplied C buffer, truncated and NUL-terminated.
public func writeMessage(_ message: String, into buffer: UnsafeMutablePointer<CChar>?, capacity: Int64) {
  guard let buffer, capacity > 0 else { return }
  var written = 0
  for byte in message.utf8 where written < Int(capacity) - 1 {
    buffer[written] = CChar(bitPattern: byte)
    written += 1
  }
  buffer[written] = 0
}

/// Checks that a required pointer is present.
public func required<T>(_ pointer: T?, _ name: String) throws(LossLensError) -> T {
  guard let pointer else { throw .invalid("\(name) must not be NULL") }
  return pointer
}

/// Checks a pair of sizes and returns them as `Int`.
public func matrixShape(_ rows: Int64, _ cols: Int64, _ name: String) throws(LossLensError) -> (Int, Int) {
  guard rows >= 0, cols >= 0 else { throw .invalid("\(name) has a negative dimension") }
  let (product, overflow) = rows.multipliedReportingOverflow(by: cols)
  guard !overflow, product < Int64(Int.max / 8) else { throw .invalid("\(name) is too large") }
  return (Int(rows), Int(cols))
}
