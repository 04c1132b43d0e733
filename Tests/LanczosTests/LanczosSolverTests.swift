import XCTest
import LossLensCore
@testable import Lanczos

/// A random symmetric matrix Q diag(values) Qᵀ (Q from the eigenvectors of a random symmetric matrix).
private func symmetricMatrix(values: [Double], seed: UInt64) throws -> [Double] {
  let n = values.count
  var rng = Xoshiro256(seed: seed)
  var g = (0..<(n * n)).map { _ in rng.nextGaussian() }
  for i in 0..<n { for j in 0..<i { g[i * n + j] = g[j * n + i] } }
  _ = try g.withUnsafeMutableBufferPointer { try SymmetricEigen.decompose($0.baseAddress!, n: n) }
  var a = [Double](repeating: 0, count: n * n)
  for r in 0..<n {
    for i in 0..<n { for j in 0..<n { a[i * n + j] += values[r] * g[r * n + i] * g[r * n + j] } }
  }
  return a
}

private func residualNorm(_ a: [Double], _ v: ArraySlice<Double>, _ lambda: Double) -> Double {
  let n = v.count
  let vs = Array(v)
  var total = 0.0
  for i in 0..<n {
    var s = -lambda * vs[i]
    for j in 0..<n { s += a[i * n + j] * vs[j] }
    total += s * s
  }
  return total.squareRoot()
}

final class LanczosSolverTests: XCTestCase {
  // Lanczos [Krylov relation]
  func testTopEigenpairsMatchFullDecompositionForEveryTarget() throws {
    let n = 120
    let values = (0..<n).map { Double($0 % 2 == 0 ? 1 : -1) * pow(0.95, Double($0)) * 10 }
    let a = try symmetricMatrix(values: values, seed: 3)
    for target in [LanczosTarget.largestAlgebraic, .largestMagnitude, .smallestAlgebraic] {
      let k = 5
      let solver = try a.withUnsafeBufferPointer { ab in
        try LanczosSolver.solveDense(
          ab.baseAddress!, dimension: n, options: LanczosOptions(count: k, target: target, tolerance: 1e-10),
          start: nil, deflation: nil, deflationCount: 0)
      }
      let expected = Array(values.sorted { target.key($0) < target.key($1) }.prefix(k))
      XCTAssertEqual(solver.convergedCount, k)
      for i in 0..<k {
        XCTAssertEqual(solver.values[i], expected[i], accuracy: 1e-8, "\(target)")
        let v = solver.vectors[(i * n)..<((i + 1) * n)]
        XCTAssertLessThan(residualNorm(a, v, solver.values[i]), 1e-8)
        XCTAssertEqual(solver.residuals[i], residualNorm(a, v, solver.values[i]), accuracy: 1e-8)
      }
    }
  }

  // Lanczos [deflation]
  func testDeflationReturnsEigenpairsOfTheComplement() throws {
    let n = 60
    let values = (0..<n).map { Double(n - $0) }
    let a = try symmetricMatrix(values: values, seed: 5)
    let first = try a.withUnsafeBufferPointer { ab in
      try LanczosSolver.solveDense(ab.baseAddress!, dimension: n, options: LanczosOptions(count: 3, tolerance: 1e-12),
                                   start: nil, deflation: nil, deflationCount: 0)
    }
    let second = try a.withUnsafeBufferPointer { ab in
      try first.vectors.withUnsafeBufferPointer { bb in
        try LanczosSolver.solveDense(ab.baseAddress!, dimension: n, options: LanczosOptions(count: 3, tolerance: 1e-12),
                                     start: nil, deflation: bb.baseAddress!, deflationCount: 3)
      }
    }
    XCTAssertEqual(first.values, [60, 59, 58].map(Double.init), accuracy: 1e-9)
    XCTAssertEqual(second.values, [57, 56, 55].map(Double.init), accuracy: 1e-9)
    for i in 0..<3 {
      for j in 0..<3 {
        var d = 0.0
        for c in 0..<n { d += first.vectors[i * n + c] * second.vectors[j * n + c] }
        XCTAssertEqual(d, 0, accuracy: 1e-12)
      }
    }
  }

  func testFullSpaceAndLowRankOperatorsFinish() throws {
    // Rank-2 operator in dimension 8, all 8 pairs asked: the run passes two invariant subspaces.
    let values = [5.0, 2.0, 0, 0, 0, 0, 0, 0]
    let a = try symmetricMatrix(values: values, seed: 9)
    let solver = try a.withUnsafeBufferPointer { ab in
      try LanczosSolver.solveDense(ab.baseAddress!, dimension: 8, options: LanczosOptions(count: 8),
                                   start: nil, deflation: nil, deflationCount: 0)
    }
    XCTAssertEqual(solver.convergedCount, 8)
    XCTAssertEqual(solver.values, values, accuracy: 1e-12)
  }

  func testInvalidArgumentsThrowInsteadOfTrapping() {
    let a = [Double](repeating: 1, count: 16)
    XCTAssertThrowsError(try LanczosSolver(dimension: 4, options: LanczosOptions(count: 5), start: nil, deflation: nil, deflationCount: 0))
    XCTAssertThrowsError(try LanczosSolver(dimension: 4, options: LanczosOptions(count: 1, tolerance: -1), start: nil, deflation: nil, deflationCount: 0))
    let notOrthonormal = [Double](repeating: 1, count: 8)
    XCTAssertThrowsError(try LanczosSolver(dimension: 4, options: LanczosOptions(count: 1), start: nil, deflation: notOrthonormal, deflationCount: 2))
    let zero = [Double](repeating: 0, count: 4)
    XCTAssertThrowsError(try LanczosSolver(dimension: 4, options: LanczosOptions(count: 1), start: zero, deflation: nil, deflationCount: 0))
    var nan = a
    nan[3] = .nan
    XCTAssertThrowsError(try LanczosSolver.solveDense(nan, dimension: 4, options: LanczosOptions(count: 1), start: nil, deflation: nil, deflationCount: 0))
  }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
  XCTAssertEqual(a.count, b.count, file: file, line: line)
  for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
