import HDBSCAN
import LossLensCore

/// Runs `body` on the data at `x` seen through the metric of C code `code` (`ll_hdbscan_metric`).
private protocol SpaceConsumer {
  func consume<Space: MetricSpace>(_ space: Space) throws(LossLensError)
}

private func withMetricSpace(
  _ x: UnsafePointer<Double>, rows n: Int, cols d: Int, metric code: Int32, p: Double, _ body: some SpaceConsumer
) throws(LossLensError) {
  func features<M: DistanceMetric>(_ metric: M) -> FeatureSpace<M> {
    FeatureSpace(data: x, count: n, dim: d, metric: metric)
  }
  switch code {
  case 0: try body.consume(features(EuclideanMetric()))
  case 1: try body.consume(features(ManhattanMetric()))
  case 2: try body.consume(features(ChebyshevMetric()))
  case 3:
    guard p >= 1, p.isFinite else { throw .invalid("p must be a finite number >= 1 for minkowski (got \(p))") }
    try body.consume(features(MinkowskiMetric(p: p)))
  case 4: try body.consume(features(CosineMetric()))
  case 5:
    guard n == d else { throw .invalid("X must be square for metric='precomputed' (got \(n)x\(d))") }
    try body.consume(PrecomputedSpace(data: x, count: n))
  default: throw .invalid("metric code \(code) is unknown")
  }
}

/// Core distances and Prim edges of one space, written to the caller's buffers.
private struct SpanningTreeWriter: SpaceConsumer {
  let minSamples: Int, alpha: Double, threads: Int
  let core: UnsafeMutablePointer<Double>, mst: UnsafeMutablePointer<Double>

  func consume<Space: MetricSpace>(_ space: Space) throws(LossLensError) {
    write(try SpanningTreeBuilder.build(space, minSamples: minSamples, alpha: alpha, threads: threads, core: core))
  }

  func write(_ tree: SpanningTree) {
    for e in 0..<tree.count {
      mst[3 * e] = Double(tree.source[e]); mst[3 * e + 1] = Double(tree.target[e]); mst[3 * e + 2] = tree.weight[e]
    }
  }
}

@_cdecl("ll_hdbscan_mst")
public func ll_hdbscan_mst(
  _ x: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ metricCode: Int32, _ p: Double,
  _ minSamples: Int64, _ alpha: Double, _ algorithm: Int32, _ nThreads: Int32,
  _ coreOut: UnsafeMutablePointer<Double>?, _ mstOut: UnsafeMutablePointer<Double>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (n, d) = try matrixShape(rows, cols, "X")
    let writer = SpanningTreeWriter(
      minSamples: Int(minSamples), alpha: alpha, threads: Threading.resolve(nJobs: Int(nThreads)),
      core: try required(coreOut, "core_distances"), mst: try required(mstOut, "mst"))
    let data = try required(x, "X")
    guard algorithm >= 0, algorithm <= 2 else { throw .invalid("algorithm code \(algorithm) is unknown") }
    if algorithm == 2 {
      guard metricCode == 0 else { throw .invalid("the k-d tree algorithm supports metric='euclidean' only") }
      writer.write(try SpanningTreeBuilder.buildKDTree(
        data, count: n, dim: d, minSamples: writer.minSamples, alpha: alpha, threads: writer.threads,
        core: writer.core))
    } else {
      try withMetricSpace(data, rows: n, cols: d, metric: metricCode, p: p, writer)
    }
  }
}

@_cdecl("ll_hdbscan_condense")
public func ll_hdbscan_condense(
  _ mstIn: UnsafePointer<Double>?, _ orderIn: UnsafePointer<Int64>?, _ nPoints: Int64, _ minClusterSize: Int64,
  _ linkageOut: UnsafeMutablePointer<Double>?,
  _ parentOut: UnsafeMutablePointer<Int64>?, _ childOut: UnsafeMutablePointer<Int64>?,
  _ lambdaOut: UnsafeMutablePointer<Double>?, _ sizeOut: UnsafeMutablePointer<Int64>?,
  _ condensedRows: UnsafeMutablePointer<Int64>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (n, _) = try matrixShape(nPoints, 4, "n_points")
    guard n >= 2 else { throw .invalid("n_points must be >= 2 (got \(n))") }
    guard minClusterSize >= 2 else { throw .invalid("min_cluster_size must be >= 2 (got \(minClusterSize))") }
    let mst = try required(mstIn, "mst"), orderPointer = try required(orderIn, "order")
    var tree = SpanningTree(capacity: n - 1)
    var seen = [Bool](repeating: false, count: n - 1)
    var order = [Int](repeating: 0, count: n - 1)
    for e in 0..<(n - 1) {
      let a = mst[3 * e], b = mst[3 * e + 1], w = mst[3 * e + 2]
      guard a >= 0, a < Double(n), b >= 0, b < Double(n), a == a.rounded(), b == b.rounded(), w >= 0 else {
        throw .invalid("mst row \(e) is malformed")
      }
      tree.source.append(Int(a)); tree.target.append(Int(b)); tree.weight.append(w)
      let o = Int(orderPointer[e])
      guard o >= 0, o < n - 1, !seen[o] else { throw .invalid("order must be a permutation of the mst rows") }
      seen[o] = true
      order[e] = o
    }
    guard tree.isSpanning(pointCount: n) else { throw .invalid("mst does not span the points") }
    let linkage = SingleLinkage(tree: tree, pointCount: n, order: order)
    let link = try required(linkageOut, "linkage")
    for e in 0..<(n - 1) {
      link[4 * e] = Double(linkage.left[e]); link[4 * e + 1] = Double(linkage.right[e])
      link[4 * e + 2] = linkage.distance[e]; link[4 * e + 3] = Double(linkage.size[e])
    }
    let condensed = CondensedTree(linkage: linkage, minClusterSize: Int(minClusterSize))
    let parent = try required(parentOut, "parent"), child = try required(childOut, "child")
    let lambda = try required(lambdaOut, "lambda_val"), size = try required(sizeOut, "child_size")
    for r in 0..<condensed.count {
      parent[r] = Int64(condensed.parent[r]); child[r] = Int64(condensed.child[r])
      lambda[r] = condensed.lambda[r]; size[r] = Int64(condensed.childSize[r])
    }
    try required(condensedRows, "condensed_rows").pointee = Int64(condensed.count)
  }
}

@_cdecl("ll_hdbscan_select")
public func ll_hdbscan_select(
  _ parentIn: UnsafePointer<Int64>?, _ childIn: UnsafePointer<Int64>?, _ lambdaIn: UnsafePointer<Double>?,
  _ sizeIn: UnsafePointer<Int64>?, _ rows: Int64, _ nPoints: Int64,
  _ excessOfMass: Int32, _ epsilon: Double, _ maxClusterSize: Int64, _ allowSingleCluster: Int32,
  _ labelsOut: UnsafeMutablePointer<Int64>?, _ probabilitiesOut: UnsafeMutablePointer<Double>?,
  _ outlierOut: UnsafeMutablePointer<Double>?, _ persistenceOut: UnsafeMutablePointer<Double>?,
  _ selectedOut: UnsafeMutablePointer<Int64>?, _ clusterCount: UnsafeMutablePointer<Int64>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (count, n) = try matrixShape(rows, nPoints, "condensed tree")
    guard n >= 1 else { throw .invalid("n_points must be >= 1") }
    guard epsilon >= 0, epsilon.isFinite else { throw .invalid("cluster_selection_epsilon must be finite and >= 0") }
    let parent = try required(parentIn, "parent"), child = try required(childIn, "child")
    let lambda = try required(lambdaIn, "lambda_val"), size = try required(sizeIn, "child_size")
    var tree = CondensedTree(pointCount: n)
    for r in 0..<count {
      let p = Int(parent[r]), c = Int(child[r])
      guard p >= n, p < 2 * n, c >= 0, c < 2 * n, c < n || c > p, (c >= n) == (size[r] > 1),
            size[r] >= 1 else { throw .invalid("condensed tree row \(r) is malformed") }
      tree.append(parent: p, child: c, lambda: lambda[r], childSize: Int(size[r]))
    }
    let flat = tree.flatClustering(SelectionOptions(
      excessOfMass: excessOfMass != 0, epsilon: epsilon, maxClusterSize: Int(maxClusterSize),
      allowSingleCluster: allowSingleCluster != 0))
    let labels = try required(labelsOut, "labels"), probabilities = try required(probabilitiesOut, "probabilities")
    let outlier = try required(outlierOut, "outlier_scores")
    let scores = tree.outlierScores()
    for i in 0..<n {
      labels[i] = Int64(flat.labels[i]); probabilities[i] = flat.probabilities[i]; outlier[i] = scores[i]
    }
    let persistence = try required(persistenceOut, "persistence"), selected = try required(selectedOut, "selected")
    for k in 0..<flat.selected.count {
      persistence[k] = flat.persistence[k]; selected[k] = Int64(flat.selected[k])
    }
    try required(clusterCount, "n_clusters").pointee = Int64(flat.selected.count)
  }
}
