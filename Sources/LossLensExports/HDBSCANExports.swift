import CLossLens
import HDBSCAN
import LossLensCore

/// Runs `body` on the data at `x` seen through `metric`.
private protocol SpaceConsumer {
  func consume<Space: MetricSpace>(_ space: Space) throws(LossLensError)
}

private func withMetricSpace(
  _ x: UnsafePointer<Double>, rows n: Int, cols d: Int, metric: ll_hdbscan_metric, p: Double,
  _ body: some SpaceConsumer
) throws(LossLensError) {
  func features<M: DistanceMetric>(_ metric: M) -> FeatureSpace<M> {
    FeatureSpace(data: x, count: n, dim: d, metric: metric)
  }
  switch metric {
  case LL_HDBSCAN_EUCLIDEAN: try body.consume(features(EuclideanMetric()))
  case LL_HDBSCAN_MANHATTAN: try body.consume(features(ManhattanMetric()))
  case LL_HDBSCAN_CHEBYSHEV: try body.consume(features(ChebyshevMetric()))
  case LL_HDBSCAN_MINKOWSKI:
    guard p >= 1, p.isFinite else { throw .invalid("p must be a finite number >= 1 for minkowski (got \(p))") }
    try body.consume(features(MinkowskiMetric(p: p)))
  case LL_HDBSCAN_COSINE: try body.consume(CosineSpace(data: x, count: n, dim: d))
  case LL_HDBSCAN_PRECOMPUTED:
    guard n == d else { throw .invalid("X must be square for metric='precomputed' (got \(n)x\(d))") }
    try body.consume(PrecomputedSpace(data: x, count: n))
  default: throw unknownCode("metric", metric, expected: "an ll_hdbscan_metric code")
  }
}

/// Core distances and Prim edges of one space, written to the caller's buffers.
private struct SpanningTreeWriter: SpaceConsumer {
  let minSamples: Int, alpha: Double, threads: Int
  let core: UnsafeMutablePointer<Double>, mst: UnsafeMutablePointer<Double>

  func consume<Space: MetricSpace>(_ space: Space) throws(LossLensError) {
    write(try SpanningTreeBuilder.build(space, minSamples: minSamples, alpha: alpha, threads: threads, core: core))
  }

  /// Copies the edges out, once the builder's scratch is handed back (`releaseFreedMemory`).
  func write(_ tree: SpanningTree) {
    releaseFreedMemory()
    for e in 0..<tree.count {
      mst[3 * e] = Double(tree.source[e]); mst[3 * e + 1] = Double(tree.target[e]); mst[3 * e + 2] = tree.weight[e]
    }
  }
}

@_cdecl("ll_hdbscan_mst_options_init")
public func ll_hdbscan_mst_options_init(_ options: InOut<ll_hdbscan_mst_options>) {
  options?.pointee = ll_hdbscan_mst_options(
    metric: LL_HDBSCAN_EUCLIDEAN, p: 2, min_samples: 5, alpha: 1, algorithm: LL_HDBSCAN_PRIM, n_threads: 0)
}

@_cdecl("ll_hdbscan_mst_f64")
public func ll_hdbscan_mst_f64(
  _ x: In<Double>, _ rows: Int64, _ cols: Int64, _ options: In<ll_hdbscan_mst_options>, _ coreOut: InOut<Double>,
  _ mstOut: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  hdbscanMST(x, rows, cols, options, coreOut, mstOut, err, errLength)
}

@_cdecl("ll_hdbscan_mst_f32")
public func ll_hdbscan_mst_f32(
  _ x: In<Float>, _ rows: Int64, _ cols: Int64, _ options: In<ll_hdbscan_mst_options>, _ coreOut: InOut<Double>,
  _ mstOut: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  hdbscanMST(x, rows, cols, options, coreOut, mstOut, err, errLength)
}

/// `ll_hdbscan_mst_f64`/`_f32`: the k-d tree reads `Float` rows in place; Prim's path, which
/// measures every metric in `Double`, works on a widened copy of them.
private func hdbscanMST<S: LossLensReal>(
  _ x: In<S>, _ rows: Int64, _ cols: Int64, _ options: In<ll_hdbscan_mst_options>, _ coreOut: InOut<Double>,
  _ mstOut: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (n, d) = try matrixShape(rows, cols, "X")
    let writer = SpanningTreeWriter(
      minSamples: Int(o.min_samples), alpha: o.alpha, threads: threads(o.n_threads),
      core: try required(coreOut, "core_distances"), mst: try required(mstOut, "mst"))
    let data = try required(x, "X")
    switch o.algorithm {
    case LL_HDBSCAN_PRIM:
      try withDoubleRows(data, count: n * d) { (rows) throws(LossLensError) in
        try withMetricSpace(rows, rows: n, cols: d, metric: o.metric, p: o.p, writer)
      }
    case LL_HDBSCAN_BORUVKA_KDTREE:
      guard o.metric == LL_HDBSCAN_EUCLIDEAN else {
        throw .invalid("the k-d tree algorithm supports metric='euclidean' only")
      }
      writer.write(try SpanningTreeBuilder.buildKDTree(
        data, count: n, dim: d, minSamples: writer.minSamples, alpha: o.alpha, threads: writer.threads,
        core: writer.core))
    default:
      throw unknownCode("algorithm", o.algorithm, expected: "0 (LL_HDBSCAN_PRIM) or 2 (LL_HDBSCAN_BORUVKA_KDTREE)")
    }
  }
}

/// Runs `body` on the `count` values at `x` as `Double`: in place, or widened into a copy for `Float`.
private func withDoubleRows<S: LossLensReal>(
  _ x: UnsafePointer<S>, count: Int, _ body: (UnsafePointer<Double>) throws(LossLensError) -> Void
) throws(LossLensError) {
  if S.self == Double.self {
    try body(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self))
    return
  }
  let copy = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, count))
  defer { copy.deallocate() }
  for i in 0..<count { copy[i] = Double(x[i]) }
  try body(copy)
}

@_cdecl("ll_hdbscan_condense_options_init")
public func ll_hdbscan_condense_options_init(_ options: InOut<ll_hdbscan_condense_options>) {
  options?.pointee = ll_hdbscan_condense_options(min_cluster_size: 5)
}

/// The single-linkage tree of `n − 1` checked, sorted `mst` rows, written to `linkageOut`, and that
/// tree condensed. The linkage is released on return, before the caller copies the condensed rows out.
private func condense(
  _ mst: UnsafePointer<Double>, pointCount n: Int, minClusterSize: Int, linkageOut: InOut<Double>
) throws(LossLensError) -> CondensedTree {
  guard let linkage = SingleLinkage(pointCount: n, edge: { e in (Int(mst[3 * e]), Int(mst[3 * e + 1]), mst[3 * e + 2]) })
  else { throw .invalid("mst does not span the points") }
  let link = try required(linkageOut, "linkage")
  for e in 0..<(n - 1) {
    link[4 * e] = Double(linkage.left[e]); link[4 * e + 1] = Double(linkage.right[e])
    link[4 * e + 2] = linkage.distance[e]; link[4 * e + 3] = Double(linkage.size[e])
  }
  let condensed = CondensedTree(linkage: linkage, minClusterSize: minClusterSize)
  guard condensed.count <= CondensedTree.rowBound(pointCount: n, minClusterSize: minClusterSize) else {
    throw LossLensError(.numericalFailure, "the condensed tree outgrew its bound")
  }
  return condensed
}

@_cdecl("ll_hdbscan_condense_f64")
public func ll_hdbscan_condense_f64(
  _ mstIn: In<Double>, _ nPoints: Int64, _ options: In<ll_hdbscan_condense_options>, _ linkageOut: InOut<Double>,
  _ parentOut: InOut<Int64>, _ childOut: InOut<Int64>, _ lambdaOut: InOut<Double>, _ sizeOut: InOut<Int64>,
  _ condensedRows: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let minClusterSize = Int(try readOptions(options).min_cluster_size)
    let (n, _) = try matrixShape(nPoints, 4, "n_points")
    guard n >= 2 else { throw .invalid("n_points must be >= 2 (got \(n))") }
    guard minClusterSize >= 2 else { throw .invalid("min_cluster_size must be >= 2 (got \(minClusterSize))") }
    // The rows are read in place: checked once here, then handed to the merge as they are.
    let mst = try required(mstIn, "mst")
    var previous = 0.0
    for e in 0..<(n - 1) {
      let a = mst[3 * e], b = mst[3 * e + 1], w = mst[3 * e + 2]
      guard a >= 0, a < Double(n), b >= 0, b < Double(n), a == a.rounded(), b == b.rounded(), w >= 0 else {
        throw .invalid("mst row \(e) is malformed")
      }
      guard w >= previous else { throw .invalid("mst rows must be sorted by weight (row \(e) is lighter than row \(e - 1))") }
      previous = w
    }
    let condensed = try condense(mst, pointCount: n, minClusterSize: minClusterSize, linkageOut: linkageOut)
    releaseFreedMemory()   // the linkage's pages, before the condensed rows are written
    let parent = try required(parentOut, "parent"), child = try required(childOut, "child")
    let lambda = try required(lambdaOut, "lambda_val"), size = try required(sizeOut, "child_size")
    for r in 0..<condensed.count {
      parent[r] = Int64(condensed.parent[r]); child[r] = Int64(condensed.child[r])
      lambda[r] = condensed.lambda[r]; size[r] = Int64(condensed.childSize[r])
    }
    try required(condensedRows, "condensed_rows").pointee = Int64(condensed.count)
  }
}

@_cdecl("ll_hdbscan_select_options_init")
public func ll_hdbscan_select_options_init(_ options: InOut<ll_hdbscan_select_options>) {
  options?.pointee = ll_hdbscan_select_options(
    selection: LL_HDBSCAN_EOM, epsilon: 0, max_cluster_size: 0, allow_single_cluster: 0)
}

/// A caller's condensed-tree columns.
private struct CondensedRows {
  let parent: UnsafePointer<Int64>, child: UnsafePointer<Int64>, lambda: UnsafePointer<Double>
  let size: UnsafePointer<Int64>, count: Int
}

/// The flat clustering and GLOSH scores of the checked `rows` over `n` points. The tree rebuilt from
/// the rows is released on return, before the caller writes its outputs.
private func select(
  _ rows: CondensedRows, pointCount n: Int, _ options: SelectionOptions
) throws(LossLensError) -> (FlatClustering, [Double]) {
  var tree = CondensedTree(pointCount: n, capacity: rows.count)
  for r in 0..<rows.count {
    let p = Int(rows.parent[r]), c = Int(rows.child[r]), size = rows.size[r]
    guard p >= n, p < 2 * n, c >= 0, c < 2 * n, c < n || c > p, (c >= n) == (size > 1),
          size >= 1 else { throw .invalid("condensed tree row \(r) is malformed") }
    tree.append(parent: p, child: c, lambda: rows.lambda[r], childSize: Int(size))
  }
  return (tree.flatClustering(options), tree.outlierScores())
}

@_cdecl("ll_hdbscan_select_f64")
public func ll_hdbscan_select_f64(
  _ parentIn: In<Int64>, _ childIn: In<Int64>, _ lambdaIn: In<Double>, _ sizeIn: In<Int64>, _ rows: Int64,
  _ nPoints: Int64, _ options: In<ll_hdbscan_select_options>, _ labelsOut: InOut<Int64>,
  _ probabilitiesOut: InOut<Double>, _ outlierOut: InOut<Double>, _ persistenceOut: InOut<Double>,
  _ selectedOut: InOut<Int64>, _ clusterCount: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (count, n) = try matrixShape(rows, nPoints, "condensed tree")
    guard n >= 1 else { throw .invalid("n_points must be >= 1") }
    let excessOfMass: Bool
    switch o.selection {
    case LL_HDBSCAN_EOM: excessOfMass = true
    case LL_HDBSCAN_LEAF: excessOfMass = false
    default: throw unknownCode("selection", o.selection, expected: "0 (LL_HDBSCAN_EOM) or 1 (LL_HDBSCAN_LEAF)")
    }
    guard o.epsilon >= 0, o.epsilon.isFinite else {
      throw .invalid("cluster_selection_epsilon must be finite and >= 0")
    }
    let (flat, scores) = try select(
      CondensedRows(parent: try required(parentIn, "parent"), child: try required(childIn, "child"),
                    lambda: try required(lambdaIn, "lambda_val"), size: try required(sizeIn, "child_size"),
                    count: count),
      pointCount: n,
      SelectionOptions(excessOfMass: excessOfMass, epsilon: o.epsilon, maxClusterSize: Int(o.max_cluster_size),
                       allowSingleCluster: o.allow_single_cluster != 0))
    releaseFreedMemory()   // the rebuilt tree's pages, before the outputs are written
    let labels = try required(labelsOut, "labels"), probabilities = try required(probabilitiesOut, "probabilities")
    let outlier = try required(outlierOut, "outlier_scores")
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
