import XCTest
import LossLensCore
@testable import POLCA

/// Naive POLCA (eqs. 4–10) on nested arrays, written from the paper's formulas.
private func naive(
  _ p: [[[Double]]], _ s: [[Double]], _ lambda: [[Double]], tol: Double
) -> (allocation: [[[Double]]], loss: [[[Double]]]) {
  let T = s.count, n = p[0].count, m = s[0].count
  var allocation = p.prefix(T).map { $0.map { $0.map { _ in 0.0 } } }
  for t in 0..<T {
    for b in 0..<m {
      let changes = (0..<n).map { p[t + 1][$0][b] - p[t][$0][b] }
      let aggregate = changes.reduce(0, +), magnitude = changes.map(abs).reduce(0, +)
      for x in 0..<n {
        let share = abs(aggregate) <= tol * magnitude ? 1 / Double(n) : changes[x] / aggregate
        allocation[t][x][b] = p[t][x][b] * s[t][b] + lambda[t][b] / 2 * s[t][b] * s[t][b] * share
      }
    }
  }
  var loss = [allocation[0].map { $0.map { _ in 0.0 } }]
  for t in 0..<T { loss.append(zip(loss[t], allocation[t]).map { zip($0, $1).map(+) }) }
  return (allocation, loss)
}

final class AllocationTests: XCTestCase {
  // POLCA eq. (4)
  func testPOLCAEq4To10MatchNaiveFormulasOverSeeds() throws {
    for seed in 0..<50 {
      var rng = Xoshiro256(seed: UInt64(seed))
      let T = 1 + Int(rng.next() % 6), n = 1 + Int(rng.next() % 7), m = 1 + Int(rng.next() % 4)
      let p = (0...T).map { _ in (0..<n).map { _ in (0..<m).map { _ in rng.nextGaussian() } } }
      let s = (0..<T).map { _ in (0..<m).map { _ in rng.nextGaussian() } }
      let lambda = (0..<T).map { _ in (0..<m).map { _ in rng.nextGaussian() } }
      let flat = p.flatMap { $0.flatMap { $0 } }
      var allocation = [Double](repeating: .nan, count: T * n * m), first = allocation
      var loss = [Double](repeating: .nan, count: (T + 1) * n * m)
      var guarded = [UInt8](repeating: 9, count: T * m)
      try POLCAAllocation.allocate(
        grads: flat, steps: s.flatMap { $0 }, curvatures: lambda.flatMap { $0 }, checkpoints: T, samples: n,
        directions: m, order: 2, shareTolerance: 1e-6, allocation: &allocation, firstOrder: &first,
        projectedLoss: &loss, guarded: &guarded, threads: 2)
      let expected = naive(p, s, lambda, tol: 1e-6)
      for t in 0..<T {
        for x in 0..<n {
          for b in 0..<m {
            let i = (t * n + x) * m + b
            XCTAssertEqual(allocation[i], expected.allocation[t][x][b], accuracy: 1e-9 * max(1, abs(allocation[i])))
            XCTAssertEqual(first[i], p[t][x][b] * s[t][b], accuracy: 1e-12)
          }
        }
      }
      for t in 0...T {
        for x in 0..<n {
          for b in 0..<m {
            XCTAssertEqual(loss[(t * n + x) * m + b], expected.loss[t][x][b], accuracy: 1e-8 * max(1, abs(loss[(t * n + x) * m + b])))
          }
        }
      }
    }
  }

  func testZeroAggregateChangeUsesUniformShare() throws {
    // Two samples whose gradient changes cancel: the ratio is undefined, the share becomes 1/2.
    let p: [Double] = [0, 0, 1, -1]  // (T+1)=2 × n=2 × m=1
    var allocation = [0.0, 0], first = [0.0, 0], loss = [Double](repeating: 0, count: 4)
    var guarded: [UInt8] = [0]
    try POLCAAllocation.allocate(
      grads: p, steps: [2], curvatures: [3], checkpoints: 1, samples: 2, directions: 1, order: 2,
      shareTolerance: 0, allocation: &allocation, firstOrder: &first, projectedLoss: &loss, guarded: &guarded, threads: 1)
    XCTAssertEqual(guarded, [1])
    XCTAssertEqual(allocation, [3, 3])  // 3/2 · 2² · 1/2 each
  }

  func testInvalidInputsThrow() {
    var out = [Double](repeating: 0, count: 8), first = out, loss = out
    var mask = [UInt8](repeating: 0, count: 2)
    XCTAssertThrowsError(try POLCAAllocation.allocate(
      grads: [.nan, 0, 0, 0], steps: [1], curvatures: [1], checkpoints: 1, samples: 2, directions: 1, order: 2,
      shareTolerance: 0, allocation: &out, firstOrder: &first, projectedLoss: &loss, guarded: &mask, threads: 1))
    XCTAssertThrowsError(try POLCAAllocation.allocate(
      grads: [0, 0, 0, 0], steps: [1], curvatures: [1], checkpoints: 1, samples: 2, directions: 1, order: 3,
      shareTolerance: 0, allocation: &out, firstOrder: &first, projectedLoss: &loss, guarded: &mask, threads: 1))
  }
}

final class PerSampleCurvatureTests: XCTestCase {
  // POLCA eq. (5)
  func testPOLCAEq5UsesEachSamplesOwnCurvature() throws {
    // T = 1, n = 2, m = 1: h(x) = λ(x)/2 · s².
    var allocation = [0.0, 0], first = [0.0, 0], loss = [Double](repeating: 0, count: 4)
    var guarded: [UInt8] = [9]
    try POLCAAllocation.allocate(
      grads: [1, -2, 5, 5], steps: [2], curvatures: [3, -1], checkpoints: 1, samples: 2, directions: 1, order: 2,
      shareTolerance: 0, perSampleCurvature: true, allocation: &allocation, firstOrder: &first, projectedLoss: &loss,
      guarded: &guarded, threads: 1)
    XCTAssertEqual(first, [2, -4])
    XCTAssertEqual(allocation, [2 + 6, -4 - 2])
    XCTAssertEqual(guarded, [0])
    XCTAssertEqual(Array(loss[2...]), allocation)
  }
}
