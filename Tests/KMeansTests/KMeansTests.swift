import KMeans
import LossLensCore
import XCTest

/// Lloyd and Elkan against a naive Lloyd written for the test, plus k-means++ invariants.
final class KMeansTests: XCTestCase {
  /// Three well separated blobs in 3-D.
  func blobs(_ n: Int, seed: UInt64) -> [Double] {
    var rng = Xoshiro256(seed: seed)
    var x = [Double]()
    for i in 0..<n {
      let centre = Double(i % 3) * 5
      for _ in 0..<3 { x.append(centre + rng.nextGaussian()) }
    }
    return x
  }

  /// Textbook Lloyd until the labels stop changing (no empty clusters on these data).
  func naiveLloyd(_ x: [Double], n: Int, d: Int, centers: [Double], k: Int) -> (labels: [Int32], inertia: Double) {
    var c = centers
    var labels = [Int32](repeating: -1, count: n)
    while true {
      var next = labels
      for i in 0..<n {
        var best = 0, bestD = Double.infinity
        for j in 0..<k {
          var s = 0.0
          for a in 0..<d { s += (x[i * d + a] - c[j * d + a]) * (x[i * d + a] - c[j * d + a]) }
          if s < bestD { bestD = s; best = j }
        }
        next[i] = Int32(best)
      }
      if next == labels { break }
      labels = next
      c = [Double](repeating: 0, count: k * d)
      var counts = [Double](repeating: 0, count: k)
      for i in 0..<n {
        counts[Int(labels[i])] += 1
        for a in 0..<d { c[Int(labels[i]) * d + a] += x[i * d + a] }
      }
      for j in 0..<k { for a in 0..<d { c[j * d + a] /= counts[j] } }
    }
    var inertia = 0.0
    for i in 0..<n {
      for a in 0..<d { inertia += pow(x[i * d + a] - c[Int(labels[i]) * d + a], 2) }
    }
    return (labels, inertia)
  }

  func testLloydAndElkanMatchNaiveLloyd() throws {
    let n = 300, d = 3, k = 3
    let x = blobs(n, seed: 1)
    let w = [Double](repeating: 1, count: n)
    let start = Array(x[0..<(k * d)])
    let reference = naiveLloyd(x, n: n, d: d, centers: start, k: k)
    for elkan in [false, true] {
      var centers = start
      var labels = [Int32](repeating: 0, count: n)
      let run = try x.withUnsafeBufferPointer { xb in
        try w.withUnsafeBufferPointer { wb in
          let problem = try KMeansProblem(x: xb.baseAddress!, weights: wb.baseAddress!, n: n, d: d, threads: 2)
          return elkan
            ? try problem.elkan(centers: &centers, k: k, maxIterations: 100, tol: 0, labels: &labels)
            : try problem.lloyd(centers: &centers, k: k, maxIterations: 100, tol: 0, labels: &labels)
        }
      }
      XCTAssertEqual(labels, reference.labels)
      XCTAssertEqual(run.inertia, reference.inertia, accuracy: 1e-9 * reference.inertia)
    }
  }

  func testPlusPlusPicksDistinctRowsAndRejectsTooManyClusters() throws {
    let n = 90, d = 3
    let x = blobs(n, seed: 2)
    let w = [Double](repeating: 1, count: n)
    try x.withUnsafeBufferPointer { xb in
      try w.withUnsafeBufferPointer { wb in
        let problem = try KMeansProblem(x: xb.baseAddress!, weights: wb.baseAddress!, n: n, d: d, threads: 1)
        var centers = [Double](repeating: 0, count: 3 * d)
        var indices = [Int64](repeating: 0, count: 3)
        try problem.plusPlus(k: 3, localTrials: 3, seed: 7, centers: &centers, indices: &indices)
        XCTAssertEqual(Set(indices.map { Int($0) % 3 }).count, 3, "one seed per blob")
        for c in 0..<3 {
          XCTAssertEqual(Array(centers[(c * d)..<((c + 1) * d)]), Array(x[(Int(indices[c]) * d)..<((Int(indices[c]) + 1) * d)]))
        }
        var tooMany = [Double](repeating: 0, count: (n + 1) * d)
        var tooManyIdx = [Int64](repeating: 0, count: n + 1)
        XCTAssertThrowsError(try problem.plusPlus(k: n + 1, localTrials: 2, seed: 0, centers: &tooMany, indices: &tooManyIdx))
      }
    }
  }

  func testRejectsNonFiniteDataAndNegativeWeights() {
    let x = [0.0, .nan, 1, 2]
    let good = [1.0, 1]
    XCTAssertThrowsError(try KMeansProblem(x: x, weights: good, n: 2, d: 2, threads: 1))
    XCTAssertThrowsError(try KMeansProblem(x: [0.0, 1, 2, 3], weights: [1.0, -1], n: 2, d: 2, threads: 1))
  }
}
