import DIDS
import LossLensCore
import XCTest

/// DIDS kernels against hand-computed values and exact invariants.
final class DIDSTests: XCTestCase {
  func testTopKKeepsLargestMagnitudesWithLowerIndexOnTies() {
    let v: [Double] = [1, -3, 3, 2, -3]
    var scratch = [Double](repeating: 0, count: 5)
    var out = [Int32](repeating: -1, count: 2)
    TopK.indices(of: v, h: 5, count: 2, scratch: &scratch, into: &out)
    XCTAssertEqual(out, [1, 2])
  }

  // DIDS eq. (14)
  func testDIDSEq14RecoversCleanCurve() throws {
    let t = (0..<15).map(Double.init)
    let y = t.map { 2 * exp(-0.3 * $0) + 0.5 }
    let fit = try ExponentialDecay.fit(t: t, y: y, n: t.count, guess: nil)
    XCTAssertEqual(fit.status, .converged)
    XCTAssertEqual(fit.a, 2, accuracy: 1e-8)
    XCTAssertEqual(fit.b, 0.3, accuracy: 1e-8)
    XCTAssertEqual(fit.c, 0.5, accuracy: 1e-8)
    let short = try ExponentialDecay.fit(t: [0, 1], y: [1, 0.5], n: 2, guess: nil)
    XCTAssertEqual(short.status, .tooFewPoints)
  }

  // DIDS eq. (15)
  func testDIDSEq15PaperPotentialFitsADecayNotGrowth() throws {
    // Fell, then jumped at the last record: an unconstrained fit grows exponentially (l_p ≈ −9.6e17).
    let t: [Double] = [0, 1, 2, 3]
    let y: [Double] = [2.3234829902648926, 2.1117637157440186, 1.9031099081039429, 3.845536708831787]
    let lp = try DomainWeights.potential(t: t, y: y, n: 4, tau: 1, authorsCode: false)
    XCTAssertLessThan(abs(lp), 2 * (y.max()! - y.min()!))
    let fit = try ExponentialDecay.fit(t: t, y: y, n: 4, guess: nil, bounds: .decay)
    XCTAssertGreaterThanOrEqual(fit.b, 0)
    XCTAssertEqual(lp, y[3] - fit.value(at: 4), accuracy: 1e-12)
  }

  // DIDS eq. (12)
  func testDIDSEq12DivergenceVanishesOnEqualGradients() throws {
    let g: [Double] = [1, -2, 3, 0.5, 0.25, -1]
    let f: [Double] = [1, 2, 0.5]
    var out = [Double](repeating: -1, count: 4)
    try FisherImpact.impact(domains: g, nd: 2, tasks: g, nt: 2, fisher: f, p: 3, kind: .divergence, into: &out, threads: 1)
    XCTAssertEqual(out[0], 0)
    XCTAssertEqual(out[3], 0)
    // ½ Σ F Δ² for Δ = (−0.5, 2.25, −4).
    XCTAssertEqual(out[1], 0.5 * (0.25 + 2 * 5.0625 + 0.5 * 16), accuracy: 1e-12)
  }

  // DIDS eq. (16)
  func testDIDSEq16SoftmaxEMAIsAProbabilityVector() {
    let u: [Double] = [1, 2, 3]
    let previous: [Double] = [0.2, 0.3, 0.5]
    var out = [Double](repeating: 0, count: 3)
    DomainWeights.update(utilities: u, previous: previous, nd: 3, beta: 0.1, normalization: .softmax, temperature: 1, into: &out)
    let z = u.map { exp($0 - 3) }
    let total = z.reduce(0, +)
    for i in 0..<3 { XCTAssertEqual(out[i], 0.1 * previous[i] + 0.9 * z[i] / total, accuracy: 1e-14) }
  }
}
