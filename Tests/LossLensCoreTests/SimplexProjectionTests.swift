import XCTest
@testable import LossLensCore

/// Sort-based projection (Held, Wolfe and Crowder 1974): the naive O(n log n) reference.
private func referenceProjection(_ y: [Double], radius: Double) -> [Double] {
  let u = y.sorted(by: >)
  var cumulative = 0.0, tau = 0.0
  for (j, value) in u.enumerated() {
    cumulative += value
    let candidate = (cumulative - radius) / Double(j + 1)
    if value - candidate > 0 { tau = candidate }
  }
  return y.map { max($0 - tau, 0) }
}

final class SimplexProjectionTests: XCTestCase {
  // Simplex [projection]
  func testMatchesSortReferenceOverSeeds() throws {
    for seed in 0..<200 {
      var rng = Xoshiro256(seed: UInt64(seed))
      let rows = 1 + Int(rng.next() % 40), cols = 1 + Int(rng.next() % 7)
      let radius = 0.1 + 3 * rng.nextUnit()
      let x = (0..<(rows * cols)).map { _ in rng.nextGaussian() * (seed % 3 == 0 ? 10 : 1) }
      var out = [Double](repeating: .nan, count: rows * cols)
      try x.withUnsafeBufferPointer { xb in
        try out.withUnsafeMutableBufferPointer { ob in
          try SimplexProjection.project(
            xb.baseAddress!, rows: rows, cols: cols, axis: 0, radius: radius, into: ob.baseAddress!, threads: 2)
        }
      }
      for c in 0..<cols {
        let column = (0..<rows).map { x[$0 * cols + c] }
        let expected = referenceProjection(column, radius: radius)
        var sum = 0.0
        for r in 0..<rows {
          XCTAssertEqual(out[r * cols + c], expected[r], accuracy: 1e-12, "seed \(seed)")
          XCTAssertGreaterThanOrEqual(out[r * cols + c], 0)
          sum += out[r * cols + c]
        }
        XCTAssertEqual(sum, radius, accuracy: 1e-12 * max(1, radius) * Double(rows))
      }
    }
  }

  func testRowsAndFloat32() throws {
    let x: [Float] = [0.2, 0.9, -1.0, 3.0, 3.0, 3.0]
    var out = [Float](repeating: 0, count: 6)
    try SimplexProjection.project(x, rows: 2, cols: 3, axis: 1, radius: 1, into: &out, threads: 1)
    XCTAssertEqual(out[0], 0.15, accuracy: 1e-6)
    XCTAssertEqual(out[1], 0.85, accuracy: 1e-6)
    XCTAssertEqual(out[2], 0)
    for v in out[3...] { XCTAssertEqual(v, 1.0 / 3, accuracy: 1e-6) }
  }

  func testPointOnSimplexIsFixed() throws {
    let x = [0.1, 0.2, 0.3, 0.4]
    var out = [Double](repeating: 0, count: 4)
    try SimplexProjection.project(x, rows: 4, cols: 1, axis: 0, radius: 1, into: &out, threads: 1)
    for i in 0..<4 { XCTAssertEqual(out[i], x[i], accuracy: 1e-15) }
  }

  func testErrorsInsteadOfTraps() {
    var out = [Double](repeating: 0, count: 4)
    let bad: [(([Double], Int, Int, Int, Double), String)] = [
      (([1, .nan, 2, 3], 2, 2, 0, 1), "NaN"),
      (([1, 2, 3, .infinity], 2, 2, 0, 1), "NaN or infinity"),
      (([1, 2, 3, 4], 2, 2, 2, 1), "axis"),
      (([1, 2, 3, 4], 2, 2, 0, -1), "radius"),
      (([], 0, 2, 0, 1), "empty"),
    ]
    for ((x, rows, cols, axis, radius), fragment) in bad {
      XCTAssertThrowsError(
        try SimplexProjection.project(x, rows: rows, cols: cols, axis: axis, radius: radius, into: &out, threads: 1)
      ) { error in
        let e = error as! LossLensError
        XCTAssertEqual(e.code, .invalidArgument)
        XCTAssertTrue(e.message.contains(fragment), e.message)
      }
    }
  }
}

final class SimplexProjectionMagnitudeTests: XCTestCase {
  /// Entries far larger than the radius still give a point of the simplex (sum = radius).
  func testHugeEntriesStayOnTheSimplex() throws {
    for scale in [1e29, 1e150, 1e300] {
      let x = [1.25 * scale, -1.3 * scale, 1.25 * scale * (1 + 1e-15)]
      var out = [Double](repeating: .nan, count: 3)
      try SimplexProjection.project(x, rows: 3, cols: 1, axis: 0, radius: 1, into: &out, threads: 1)
      XCTAssertEqual(out.reduce(0, +), 1, accuracy: 1e-15, "scale \(scale)")
      XCTAssertTrue(out.allSatisfy { $0 >= 0 })
    }
  }
}
