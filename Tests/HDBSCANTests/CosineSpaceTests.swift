import LossLensCore
import XCTest

@testable import HDBSCAN

/// `CosineSpace` against the textbook formula, including a zero vector and clipping at 0.
final class CosineSpaceTests: XCTestCase {
  func testDistancesEqualTheFormula() {
    var rng = Xoshiro256(seed: 3)
    let n = 9, dim = 7
    var x = (0..<(n * dim)).map { _ in rng.nextGaussian() }
    for t in 0..<dim { x[t] = 0 }  // row 0: the zero vector
    for t in 0..<dim { x[dim + t] = 2 * x[2 * dim + t] }  // rows 1 and 2 point the same way
    x.withUnsafeBufferPointer { data in
      let space = CosineSpace(data: data.baseAddress!, count: n, dim: dim)
      for i in 0..<n {
        XCTAssertEqual(space.coreCandidate(i, i), 0)
        for j in 0..<n where j != i {
          var dot = 0.0, na = 0.0, nb = 0.0
          for t in 0..<dim {
            dot += x[i * dim + t] * x[j * dim + t]
            na += x[i * dim + t] * x[i * dim + t]
            nb += x[j * dim + t] * x[j * dim + t]
          }
          let expected = na == 0 || nb == 0 ? 1 : max(0, 1 - dot / (na.squareRoot() * nb.squareRoot()))
          XCTAssertEqual(space.distance(i, j), expected, accuracy: 1e-14)
          XCTAssertGreaterThanOrEqual(space.distance(i, j), 0)
        }
      }
      XCTAssertEqual(space.distance(0, 3), 1)
      XCTAssertEqual(space.distance(1, 2), 0, accuracy: 1e-15)
    }
  }
}
