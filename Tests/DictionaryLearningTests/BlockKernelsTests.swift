import XCTest
import LossLensCore
@testable import DictionaryLearning

final class BlockKernelsTests: XCTestCase {
  /// Block sums of `products` over two column blocks equal the products of the whole matrices.
  func testProductsOfBlocksSumToTheWholeProducts() {
    var rng = Xoshiro256(seed: 11)
    let n = 5, p = 9, k = 3, split = 4
    let x = (0..<(n * p)).map { _ in rng.nextGaussian() }
    let v = (0..<(k * p)).map { _ in abs(rng.nextGaussian()) }
    func columns(_ m: [Double], rows: Int, _ range: Range<Int>) -> [Double] {
      (0..<rows).flatMap { r in range.map { m[r * p + $0] } }
    }
    var cross = [Double](repeating: 0, count: n * k), gram = [Double](repeating: 0, count: k * k)
    var total = (cross: cross, gram: gram)
    for range in [0..<split, split..<p] {
      let xb = columns(x, rows: n, range), vb = columns(v, rows: k, range)
      DictionaryBlocks.products(x: xb, samples: n, columns: range.count, dictionary: vb, atoms: k,
                                cross: &cross, gram: &gram)
      for i in 0..<(n * k) { total.cross[i] += cross[i] }
      for i in 0..<(k * k) { total.gram[i] += gram[i] }
    }
    for i in 0..<n {
      for a in 0..<k {
        let expected = (0..<p).reduce(0.0) { $0 + x[i * p + $1] * v[a * p + $1] }
        XCTAssertEqual(total.cross[i * k + a], expected, accuracy: 1e-12)
      }
    }
    for a in 0..<k {
      for b in 0..<k {
        let expected = (0..<p).reduce(0.0) { $0 + v[a * p + $1] * v[b * p + $1] }
        XCTAssertEqual(total.gram[a * k + b], expected, accuracy: 1e-12)
      }
    }
  }

  /// LDD eq. (11): counts and sums above the exact threshold reproduce it, τ = (Σ_{y>τ} y − 1) / #{y > τ}.
  func testBlockSumsReproduceTheSimplexThreshold() {
    var rng = Xoshiro256(seed: 5)
    let y = (0..<50).map { _ in rng.nextGaussian() }
    var workspace = SimplexProjection.Workspace(capacity: y.count)
    defer { workspace.deallocate() }
    let tau = y.withUnsafeBufferPointer { SimplexProjection.threshold($0, radius: 1, workspace: &workspace) }
    var counts = [Int64](repeating: 0, count: 3), sums = [Double](repeating: 0, count: 3)
    let cuts = [tau + 10, tau, -10]
    y.withUnsafeBufferPointer { values in
      cuts.withUnsafeBufferPointer { SimplexProjection.blockSums(values, shift: 0, thresholds: $0, counts: &counts, sums: &sums) }
    }
    XCTAssertEqual(counts, [0, Int64(y.filter { $0 > tau }.count), 50])
    XCTAssertEqual((sums[1] - 1) / Double(counts[1]), tau, accuracy: 1e-12)
    XCTAssertEqual(sums[2], y.reduce(0, +), accuracy: 1e-12)
  }

  /// A generator rebuilt from `state` continues the same stream.
  func testXoshiroStateResumesTheStream() {
    var a = Xoshiro256(seed: 9)
    _ = a.next()
    var b = Xoshiro256(state: a.state)
    for _ in 0..<10 { XCTAssertEqual(a.next(), b.next()) }
  }
}
