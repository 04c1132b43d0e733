import XCTest
import LossLensCore
@testable import DictionaryLearning

/// The crosses `C = X Vᵀ` an `ImplicitCross` derives after a sweep or an extrapolation equal the
/// streamed product, for every constraint and both gather modes (clipped part or support).
final class ImplicitCrossTests: XCTestCase {
  /// 9000 features: two stripes. `shift` moves the starting atoms: positive values keep most
  /// entries after projection (clipped lists), negative values few (support lists).
  private let n = 7, p = 9000, k = 3

  private func setUp(
    constraint: AtomConstraint, shift: Double, seed: UInt64
  ) -> (x: [Double], v: [Double], work: Workspace<Double>) {
    var rng = Xoshiro256(seed: seed)
    let x = (0..<(n * p)).map { _ in rng.nextGaussian() }
    let scale = constraint == .simplex ? 1 / Double(p) : 1 / Double(p).squareRoot()
    let v = (0..<(k * p)).map { _ in scale * (shift + 0.3 * rng.nextGaussian()) }
    let work = Workspace<Double>(samples: n, features: p, atoms: k)
    for i in 0..<(n * k) { work.code[i] = rng.nextGaussian() }
    for i in 0..<n { work.code[i * k + 2] = 0 }  // atom 2 unused: redrawn, its cross computed directly
    work.refreshUsage()
    work.mirrorCode()
    work.computeSquaredNorms(x: x)
    return (x, v, work)
  }

  private func assertCrossesMatchStreamed(
    _ implicitCross: [Double], x: [Double], v: [Double], message: String
  ) {
    let work = Workspace<Double>(samples: n, features: p, atoms: k)
    work.refreshCross(x: x, dictionary: v, threads: 2)
    let streamed = Array(UnsafeBufferPointer(start: work.cross, count: n * k))
    let size = streamed.map(abs).max()!
    for i in 0..<(n * k) { XCTAssertEqual(implicitCross[i], streamed[i], accuracy: 1e-11 * size, message) }
  }

  func testSweepCrossesEqualTheStreamedProduct() {
    let cases: [(AtomConstraint, Bool, Double)] = [
      (.unitNorm, true, 1), (.unitNorm, true, -1), (.unitNorm, false, 0), (.simplex, true, 1), (.simplex, true, -3),
    ]
    for (constraint, positive, shift) in cases {
      var (x, v, work) = setUp(constraint: constraint, shift: shift, seed: 3)
      work.refreshTarget(x: x, threads: 2)
      work.refreshCross(x: x, dictionary: v, threads: 2)
      let implicit = ImplicitCross(
        x: x, samples: n, features: p, atoms: k, stripes: work.stripes, dataGram: nil, threads: 2)
      var random = Xoshiro256(seed: 1)
      let redrawn = DictionaryUpdate.sweep(
        work, x: x, dictionary: &v, constraint: constraint, positive: positive, implicit: implicit,
        random: &random, threads: 2)
      XCTAssertEqual(redrawn, 1)
      implicit.finish(x: x, into: work.cross, threads: 2)
      let derived = Array(UnsafeBufferPointer(start: work.cross, count: n * k))
      assertCrossesMatchStreamed(derived, x: x, v: v, message: "sweep \(constraint) positive \(positive) shift \(shift)")
    }
  }

  func testExtrapolatedCrossesEqualTheStreamedProduct() {
    for (constraint, shift) in [(AtomConstraint.unitNorm, 1.0), (.unitNorm, -1), (.simplex, 1), (.simplex, -3)] {
      let (x, v, work) = setUp(constraint: constraint, shift: shift, seed: 5)
      var rng = Xoshiro256(seed: 9)
      let previous = v.map { $0 + 0.2 * abs($0) * rng.nextGaussian() }
      work.refreshCross(x: x, dictionary: v, threads: 2)
      let scalars = UnsafeMutablePointer<Double>.allocate(capacity: 3 + n * k)
      let previousSweep = UnsafeMutablePointer<Double>.allocate(capacity: k * p)
      defer {
        scalars.deallocate()
        previousSweep.deallocate()
      }
      let previousWork = Workspace<Double>(samples: n, features: p, atoms: k)
      previousWork.refreshCross(x: x, dictionary: previous, threads: 2)
      scalars.update(from: [0.8, 1, 1], count: 3)
      (scalars + 3).update(from: previousWork.cross, count: n * k)
      previousSweep.update(from: previous, count: k * p)
      let state = ExtrapolationState(scalars: scalars, previousSweep: previousSweep)
      // The route given X Xᵀ from outside behaves as the one that forms it.
      var gram = [Double](repeating: 0, count: n * n)
      for i in 0..<n {
        for j in 0..<n { gram[i * n + j] = (0..<p).reduce(0.0) { $0 + x[i * p + $1] * x[j * p + $1] } }
      }
      let implicit = ImplicitCross(
        x: x, samples: n, features: p, atoms: k, stripes: work.stripes, dataGram: gram, threads: 2)
      let point = ExtrapolatedPoint<Double>(samples: n, features: p, atoms: k)
      point.extrapolate(work, x: x, sweep: v, previous: previousSweep, state: state, into: point.spare,
                        constraint: constraint, positive: true, implicit: implicit, threads: 2)
      let derived = Array(UnsafeBufferPointer(start: point.cross, count: n * k))
      let extrapolated = Array(UnsafeBufferPointer(start: point.spare, count: k * p))
      assertCrossesMatchStreamed(derived, x: x, v: extrapolated, message: "extrapolation \(constraint) shift \(shift)")
      for a in 0..<k {
        let atom = extrapolated[(a * p)..<((a + 1) * p)]
        XCTAssertTrue(atom.allSatisfy { $0 >= 0 })
        if constraint == .simplex { XCTAssertEqual(atom.reduce(0, +), 1, accuracy: 1e-12) }
      }
    }
  }
}
