import XCTest
@testable import LossLensCore

/// Every status the C boundary can return, with its message written into the caller's buffer.
final class ExportBoundaryTests: XCTestCase {
  private func call(
    capacity: Int = 64, _ body: () throws(LossLensError) -> Void
  ) -> (status: Int32, message: String) {
    // 'A' everywhere and a guard NUL past the capacity: an unterminated message would show its 'A's.
    var buffer = [CChar](repeating: 65, count: capacity + 1)
    buffer[capacity] = 0
    let status = buffer.withUnsafeMutableBufferPointer { runExport($0.baseAddress, Int64(capacity), body) }
    return (status, String(cString: buffer))
  }

  func testEveryStatusCodeReachesTheCaller() {
    let ok = call {}
    XCTAssertEqual(ok.status, StatusCode.ok.rawValue)
    XCTAssertEqual(ok.message, String(repeating: "A", count: 64), "success leaves the buffer alone")
    let cases: [StatusCode] = [.invalidArgument, .invalidType, .outOfMemory, .cancelled, .numericalFailure]
    for code in cases {
      let (status, message) = call { () throws(LossLensError) in throw LossLensError(code, "X: \(code)") }
      XCTAssertEqual(status, code.rawValue)
      XCTAssertEqual(message, "X: \(code)")
    }
  }

  func testCancellationRequestedDuringACallIsReported() {
    let (status, message) = call { () throws(LossLensError) in
      Cancellation.request()
      try Cancellation.check()
    }
    XCTAssertEqual(status, StatusCode.cancelled.rawValue)
    XCTAssertEqual(message, "interrupted")
  }

  func testEachCallStartsWithACleanCancellationFlag() {
    Cancellation.request()
    XCTAssertEqual(call { () throws(LossLensError) in try Cancellation.check() }.status, StatusCode.ok.rawValue)
  }

  func testMessagesAreTruncatedAndTerminated() {
    let (status, message) = call(capacity: 6) { () throws(LossLensError) in throw .invalid("radius must be > 0") }
    XCTAssertEqual(status, StatusCode.invalidArgument.rawValue)
    XCTAssertEqual(message, "radiu")
    XCTAssertEqual(runExport(nil, 0) { () throws(LossLensError) in throw .invalid("no buffer") },
                   StatusCode.invalidArgument.rawValue)
  }

  func testShapeAndPointerChecks() {
    XCTAssertThrowsError(try matrixShape(-1, 3, "X")) { XCTAssertTrue("\($0)".contains("X has a negative dimension")) }
    XCTAssertThrowsError(try matrixShape(Int64.max / 2, 4, "X")) { XCTAssertTrue("\($0)".contains("too large")) }
    XCTAssertThrowsError(try required(Optional<UnsafePointer<Double>>.none, "out")) {
      XCTAssertTrue("\($0)".contains("out must not be NULL"))
    }
    XCTAssertEqual(try matrixShape(3, 4, "X").0, 3)
  }
}
