import XCTest
import LossLensCore
@testable import HDBSCAN

/// Naive O(n³) reference: Kruskal on the full mutual-reachability matrix.
private func kruskalWeights(_ x: [Double], n: Int, dim: Int, k: Int) -> [Double] {
  func d(_ i: Int, _ j: Int) -> Double {
    var s = 0.0
    for t in 0..<dim { s += (x[i * dim + t] - x[j * dim + t]) * (x[i * dim + t] - x[j * dim + t]) }
    return s.squareRoot()
  }
  let core = (0..<n).map { i in (0..<n).map { d(i, $0) }.sorted()[k] }
  var edges: [(Double, Int, Int)] = []
  for i in 0..<n { for j in (i + 1)..<n { edges.append((max(d(i, j), core[i], core[j]), i, j)) } }
  edges.sort { $0.0 < $1.0 }
  var root = Array(0..<n)
  func find(_ a: Int) -> Int { var a = a; while root[a] != a { a = root[a] }; return a }
  var weights: [Double] = []
  for (w, i, j) in edges where find(i) != find(j) {
    root[find(i)] = find(j)
    weights.append(w)
  }
  return weights
}

final class HDBSCANTests: XCTestCase {
  private func randomPoints(seed: UInt64, n: Int, dim: Int) -> [Double] {
    var rng = Xoshiro256(seed: seed)
    return (0..<(n * dim)).map { i in rng.nextGaussian() + Double((i / dim) % 3) * 4 }
  }

  func testPrimMatchesKruskalOnMutualReachability() throws {
    for seed in 0..<5 {
      let n = 60, dim = 3, k = 4
      let x = randomPoints(seed: UInt64(seed), n: n, dim: dim)
      var core = [Double](repeating: 0, count: n)
      let tree = try x.withUnsafeBufferPointer { xb in
        try core.withUnsafeMutableBufferPointer { cb in
          let space = FeatureSpace(data: xb.baseAddress!, count: n, dim: dim, metric: EuclideanMetric())
          return try SpanningTreeBuilder.build(space, minSamples: k, alpha: 1, threads: 2, core: cb.baseAddress!)
        }
      }
      let ours = tree.weight.sorted(), reference = kruskalWeights(x, n: n, dim: dim, k: k)
      XCTAssertEqual(ours.count, n - 1)
      for (a, b) in zip(ours, reference) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }
  }

  func testCondensedTreeConservesPointsAndSelectionLabelsEveryPointOnce() throws {
    let n = 90, dim = 2
    let x = randomPoints(seed: 7, n: n, dim: dim)
    var core = [Double](repeating: 0, count: n)
    let mst = try x.withUnsafeBufferPointer { xb in
      try core.withUnsafeMutableBufferPointer { cb in
        let space = FeatureSpace(data: xb.baseAddress!, count: n, dim: dim, metric: EuclideanMetric())
        return try SpanningTreeBuilder.build(space, minSamples: 5, alpha: 1, threads: 1, core: cb.baseAddress!)
      }
    }
    let order = (0..<mst.count).sorted { (mst.weight[$0], $0) < (mst.weight[$1], $1) }
    let linkage = try XCTUnwrap(SingleLinkage(pointCount: n) { e in
      (mst.source[order[e]], mst.target[order[e]], mst.weight[order[e]])
    })
    XCTAssertEqual(linkage.size.last, n)
    let tree = CondensedTree(linkage: linkage, minClusterSize: 10)
    XCTAssertEqual(tree.child.filter { $0 < n }.sorted(), Array(0..<n))
    let flat = tree.flatClustering(SelectionOptions(excessOfMass: true, epsilon: 0, maxClusterSize: 0, allowSingleCluster: false))
    XCTAssertEqual(flat.labels.count, n)
    XCTAssertTrue(flat.labels.allSatisfy { $0 >= -1 && $0 < flat.selected.count })
    XCTAssertTrue(flat.probabilities.allSatisfy { $0 >= 0 && $0 <= 1 })
    XCTAssertTrue(tree.outlierScores().allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  func testBadInputThrowsInsteadOfTrapping() throws {
    let x = [0.0, 1.0]
    var core = [0.0, 0.0]
    try x.withUnsafeBufferPointer { xb in
      try core.withUnsafeMutableBufferPointer { cb in
        let space = FeatureSpace(data: xb.baseAddress!, count: 2, dim: 1, metric: EuclideanMetric())
        XCTAssertThrowsError(try SpanningTreeBuilder.build(space, minSamples: 2, alpha: 1, threads: 1, core: cb.baseAddress!))
        XCTAssertThrowsError(try SpanningTreeBuilder.build(space, minSamples: 1, alpha: 0, threads: 1, core: cb.baseAddress!))
      }
    }
  }
}

final class BoruvkaTests: XCTestCase {
  func testKDTreeBoruvkaMatchesPrimWeightsAndCoreDistances() throws {
    // 24 features: the boxes bound projections on principal axes; alpha < 1 and > 1 (no table seeding).
    for (seed, dim, alpha) in [(1, 2, 1.0), (2, 4, 1.0), (3, 24, 1.0), (4, 3, 0.7), (5, 24, 1.4)] {
      let n = 700, k = 5
      var rng = Xoshiro256(seed: UInt64(seed))
      let x = (0..<(n * dim)).map { i in rng.nextGaussian() + Double((i / dim) % 4) * 3 }
      var coreA = [Double](repeating: 0, count: n), coreB = coreA
      let (prim, boruvka) = try x.withUnsafeBufferPointer { xb in
        try coreA.withUnsafeMutableBufferPointer { ca in
          try coreB.withUnsafeMutableBufferPointer { cb in
            let space = FeatureSpace(data: xb.baseAddress!, count: n, dim: dim, metric: EuclideanMetric())
            return (
              try SpanningTreeBuilder.build(space, minSamples: k, alpha: alpha, threads: 2, core: ca.baseAddress!),
              try SpanningTreeBuilder.buildKDTree(
                xb.baseAddress!, count: n, dim: dim, minSamples: k, alpha: alpha, threads: 2, core: cb.baseAddress!))
          }
        }
      }
      XCTAssertEqual(coreA, coreB)
      XCTAssertEqual(prim.weight.sorted(), boruvka.weight.sorted())
      // A union-find merge meets no cycle in n − 1 edges exactly when they span the points.
      XCTAssertNotNil(SingleLinkage(pointCount: n) { (boruvka.source[$0], boruvka.target[$0], boruvka.weight[$0]) })
    }
  }

  func testKDTreeBuiltOnSeveralThreadsIsTheTreeBuiltOnOne() {
    // Subtrees below the top levels are built apart and spliced in: same nodes, order and boxes.
    for (seed, dim, n) in [(6, 2, 5000), (7, 8, 3001), (8, 24, 2000), (9, 3, 30)] {
      var rng = Xoshiro256(seed: UInt64(seed))
      var x = (0..<(n * dim)).map { i in (rng.nextGaussian() + Double((i / dim) % 4) * 3).rounded() }
      x.withUnsafeMutableBufferPointer { xb in
        let one = KDTree(UnsafePointer(xb.baseAddress!), count: n, dim: dim, threads: 1)
        defer { one.deallocate() }
        for threads in [2, 3] {
          let many = KDTree(UnsafePointer(xb.baseAddress!), count: n, dim: dim, threads: threads)
          defer { many.deallocate() }
          XCTAssertEqual(one.nodeCount, many.nodeCount)
          XCTAssertEqual(one.leaves, many.leaves)
          XCTAssertEqual(Array(UnsafeBufferPointer(start: one.index, count: n)),
                         Array(UnsafeBufferPointer(start: many.index, count: n)))
          for (a, b) in [(one.start, many.start), (one.end, many.end), (one.left, many.left), (one.right, many.right)] {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: a, count: one.nodeCount)),
                           Array(UnsafeBufferPointer(start: b, count: one.nodeCount)))
          }
          let boxes = one.vectorLeaves ? [(one.lower, many.lower), (one.upper, many.upper)] : []
          for (a, b) in boxes {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: a, count: one.nodeCount * one.width)),
                           Array(UnsafeBufferPointer(start: b, count: one.nodeCount * one.width)))
          }
          if !one.vectorLeaves {
            for (a, b) in [(one.lowerKeys, many.lowerKeys), (one.upperKeys, many.upperKeys)] {
              XCTAssertEqual(Array(UnsafeBufferPointer(start: a, count: one.nodeCount * one.width)),
                             Array(UnsafeBufferPointer(start: b, count: one.nodeCount * one.width)))
            }
          }
        }
      }
    }
  }
}
