import XCTest
import LossLensCore
@testable import DictionaryLearning

final class StripeKernelsTests: XCTestCase {
  /// Shapes that exercise every remainder: odd sample counts, atom counts not a multiple of 4,
  /// stripes not a multiple of the vector width, several cache blocks, stripes not starting at 0.
  private let shapes: [(n: Int, p: Int, k: Int, columns: Range<Int>)] = [
    (1, 7, 1, 0..<7), (3, 9, 5, 2..<9), (4, 600, 4, 13..<600), (7, 1030, 10, 0..<1030), (2, 5, 3, 1..<4),
  ]

  private func random(_ count: Int, _ rng: inout Xoshiro256) -> [Double] {
    (0..<count).map { _ in rng.nextGaussian() }
  }

  /// `cross` equals the textbook sum over the stripe, for every row and atom.
  func testCrossEqualsTheProductOverTheStripe() {
    var rng = Xoshiro256(seed: 3)
    for (n, p, k, columns) in shapes {
      let x = random(n * p, &rng), v = random(k * p, &rng)
      var c = [Double](repeating: .nan, count: n * k)
      StripeKernels.cross(x: x, samples: n, features: p, dictionary: v, atoms: k, columns: columns, into: &c)
      for i in 0..<n {
        for a in 0..<k {
          let expected = columns.reduce(0.0) { $0 + x[i * p + $1] * v[a * p + $1] }
          XCTAssertEqual(c[i * k + a], expected, accuracy: 1e-12, "shape \((n, p, k)) row \(i) atom \(a)")
        }
      }
    }
  }

  /// `target` writes exactly the stripe's columns of `Uᵀ X` and leaves the others untouched.
  func testTargetEqualsTheProductOnTheStripeOnly() {
    var rng = Xoshiro256(seed: 4)
    for (n, p, k, columns) in shapes {
      let x = random(n * p, &rng), u = random(n * k, &rng)
      var b = [Double](repeating: .nan, count: k * p)
      StripeKernels.target(code: u, x: x, samples: n, features: p, atoms: k, columns: columns, into: &b)
      for a in 0..<k {
        for f in 0..<p {
          if columns.contains(f) {
            let expected = (0..<n).reduce(0.0) { $0 + u[$1 * k + a] * x[$1 * p + f] }
            XCTAssertEqual(b[a * p + f], expected, accuracy: 1e-12, "shape \((n, p, k)) atom \(a) feature \(f)")
          } else {
            XCTAssertTrue(b[a * p + f].isNaN, "shape \((n, p, k)) wrote outside the stripe at \(f)")
          }
        }
      }
    }
  }
}
