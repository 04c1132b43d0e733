import XCTest
import LossLensCore
@testable import DictionaryLearning

/// `0.5 ‖X − UV‖² + alpha ‖U‖₁` computed directly from the matrices (the naive reference).
private func directCost(_ x: [Double], _ u: [Double], _ v: [Double], n: Int, p: Int, k: Int, alpha: Double) -> Double {
  var total = 0.0
  for i in 0..<n {
    for f in 0..<p {
      var prediction = 0.0
      for a in 0..<k { prediction += u[i * k + a] * v[a * p + f] }
      total += 0.5 * (x[i * p + f] - prediction) * (x[i * p + f] - prediction)
    }
  }
  return total + alpha * u.reduce(0) { $0 + abs($1) }
}

private func gaussianMatrix(_ count: Int, _ rng: inout Xoshiro256) -> [Double] {
  (0..<count).map { _ in rng.nextGaussian() }
}

final class DictionaryLearningTests: XCTestCase {
  /// With an orthonormal dictionary the Lasso solution is soft thresholding of `V x`.
  func testGramLassoOrthonormalIsSoftThresholding() throws {
    var rng = Xoshiro256(seed: 3)
    let p = 6, k = 3
    var v = [Double](repeating: 0, count: k * p)
    for a in 0..<k { v[a * p + 2 * a] = 1 }  // rows e_0, e_2, e_4
    let x = gaussianMatrix(p, &rng)
    var code = [Double](repeating: 0, count: k)
    try SparseCoding.encode(x: x, samples: 1, features: p, dictionary: v, atoms: k, code: &code,
                            alpha: 0.3, positive: false, maxSweeps: 100, tol: 1e-12, threads: 1)
    for a in 0..<k {
      let c = x[2 * a]
      let expected = c > 0.3 ? c - 0.3 : (c < -0.3 ? c + 0.3 : 0)
      XCTAssertEqual(code[a], expected, accuracy: 1e-14)
    }
  }

  /// The coding step's optimality (KKT) conditions hold on random correlated dictionaries.
  func testGramLassoSatisfiesOptimalityConditions() throws {
    for seed in 0..<30 {
      var rng = Xoshiro256(seed: UInt64(seed))
      let n = 5, p = 12, k = 4
      let v = gaussianMatrix(k * p, &rng), x = gaussianMatrix(n * p, &rng)
      let alpha = 0.5, positive = seed % 2 == 1
      var code = [Double](repeating: 0, count: n * k)
      try SparseCoding.encode(x: x, samples: n, features: p, dictionary: v, atoms: k, code: &code,
                              alpha: alpha, positive: positive, maxSweeps: 10_000, tol: 1e-14, threads: 2)
      for i in 0..<n {
        for a in 0..<k {
          // gradient of the smooth part: -V_a (x - Vᵀu)
          var correlation = 0.0
          for f in 0..<p {
            var prediction = 0.0
            for b in 0..<k { prediction += code[i * k + b] * v[b * p + f] }
            correlation += v[a * p + f] * (x[i * p + f] - prediction)
          }
          let u = code[i * k + a]
          if u > 0 { XCTAssertEqual(correlation, alpha, accuracy: 1e-6, "seed \(seed)") }
          else if u < 0 { XCTAssertEqual(correlation, -alpha, accuracy: 1e-6) }
          else if positive { XCTAssertLessThanOrEqual(correlation, alpha + 1e-6) }
          else { XCTAssertLessThanOrEqual(abs(correlation), alpha + 1e-6) }
          if positive { XCTAssertGreaterThanOrEqual(u, 0) }
        }
      }
    }
  }

  /// The fit's costs are the direct costs, never increase, and the atoms meet their constraint.
  func testFitDecreasesCostAndKeepsConstraints() throws {
    for constraint in [AtomConstraint.unitNorm, .simplex] {
      var rng = Xoshiro256(seed: 11)
      let n = 20, p = 15, k = 3
      let x = gaussianMatrix(n * p, &rng).map { constraint == .simplex ? abs($0) : $0 }
      var v = gaussianMatrix(k * p, &rng).map { abs($0) / 10 }
      var u = [Double](repeating: 0, count: n * k)
      var errors = [Double](repeating: .nan, count: 50)
      let options = DictionaryLearning.Options(
        alpha: 0.1, maxIter: 50, tol: 0, constraint: constraint, positiveDict: true, seed: 1)
      let outcome = try DictionaryLearning.fit(
        x: x, samples: n, features: p, dictionary: &v, code: &u, atoms: k, options: options,
        previousCost: .nan, errors: &errors, threads: 2)
      XCTAssertEqual(outcome.iterations, 50)
      for i in 1..<50 { XCTAssertLessThanOrEqual(errors[i], errors[i - 1] * (1 + 1e-12)) }
      XCTAssertEqual(errors[49], directCost(x, u, v, n: n, p: p, k: k, alpha: 0.1), accuracy: 1e-9 * errors[49])
      for a in 0..<k {
        let atom = v[(a * p)..<((a + 1) * p)]
        XCTAssertTrue(atom.allSatisfy { $0 >= 0 })
        if constraint == .simplex {
          XCTAssertEqual(atom.reduce(0, +), 1, accuracy: 1e-12)
        } else {
          XCTAssertLessThanOrEqual(atom.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1 + 1e-12)
        }
      }
    }
  }

  func testBadInputThrowsInsteadOfTrapping() {
    var v = [Double](repeating: 1, count: 4), u = [Double](repeating: 0, count: 2), e = [Double](repeating: 0, count: 1)
    let x: [Double] = [1, .nan, 3, 4]
    let options = DictionaryLearning.Options(alpha: 1, maxIter: 1, tol: 0)
    XCTAssertThrowsError(try DictionaryLearning.fit(
      x: x, samples: 2, features: 2, dictionary: &v, code: &u, atoms: 1, options: options,
      previousCost: .nan, errors: &e, threads: 1))
    var negative = options
    negative.alpha = -1
    XCTAssertThrowsError(try DictionaryLearning.fit(
      x: [1, 2, 3, 4], samples: 2, features: 2, dictionary: &v, code: &u, atoms: 1, options: negative,
      previousCost: .nan, errors: &e, threads: 1))
  }
}
