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
    let capacity = CondensedTree.rowBound(pointCount: n, minClusterSize: minClusterSize)
    let link = try required(linkageOut, "linkage")
    let parent = try required(parentOut, "parent"), child = try required(childOut, "child")
    let lambda = try required(lambdaOut, "lambda_val"), size = try required(sizeOut, "child_size")
    // The dendrogram goes straight to the caller's linkage, and is condensed from there.
    let spans = SingleLinkage.merge(pointCount: n, edge: { e in (Int(mst[3 * e]), Int(mst[3 * e + 1]), mst[3 * e + 2]) }) {
      row, left, right, height, count in
      link[4 * row] = Double(left); link[4 * row + 1] = Double(right)
      link[4 * row + 2] = height; link[4 * row + 3] = Double(count)
    }
    guard spans else { throw .invalid("mst does not span the points") }
    var rows = 0
    CondensedTree.condense(LinkageRows(link, pointCount: n), minClusterSize: minClusterSize) { p, c, value, count in
      guard rows < capacity else { rows += 1; return }
      parent[rows] = Int64(p); child[rows] = Int64(c); lambda[rows] = value; size[rows] = Int64(count)
      rows += 1
    }
    releaseFreedMemory()   // the merge's and the walk's scratch, before the caller's next stage
    guard rows <= capacity else { throw LossLensError(.numericalFailure, "the condensed tree outgrew its bound") }
    try required(condensedRows, "condensed_rows").pointee = Int64(rows)
  }
}

@_cdecl("ll_hdbscan_select_options_init")
public func ll_hdbscan_select_options_init(_ options: InOut<ll_hdbscan_select_options>) {
  options?.pointee = ll_hdbscan_select_options(
    selection: LL_HDBSCAN_EOM, epsilon: 0, max_cluster_size: 0, allow_single_cluster: 0, n_threads: 0)
}

/// A caller's condensed-tree columns.
private struct CondensedRows {
  let parent: UnsafePointer<Int64>, child: UnsafePointer<Int64>, lambda: UnsafePointer<Double>
  let size: UnsafePointer<Int64>, count: Int
}

/// The flat clustering and GLOSH scores of the `rows` over `n` points, checked and read on
/// `threads` threads. The tree rebuilt from the rows is released on return, before the caller
/// writes its outputs.
private func select(
  _ rows: CondensedRows, pointCount n: Int, _ options: SelectionOptions, threads: Int
) throws(LossLensError) -> (FlatClustering, [Double]) {
  let count = rows.count
  // The first malformed row of each part, then of all.
  let parts = Swift.max(1, Swift.min(threads, count / 100_000))
  var firstBad = [Int](repeating: count, count: parts)
  firstBad.withUnsafeMutableBufferPointer { firstBad in
    parallelFor(parts, threads: parts) { range in
      for part in range {
        for r in (count * part / parts)..<(count * (part + 1) / parts) {
          let p = rows.parent[r], c = rows.child[r], size = rows.size[r], n = Int64(n)
          guard p >= n, p < 2 * n, c >= 0, c < 2 * n, c < n || c > p, (c >= n) == (size > 1), size >= 1,
                rows.lambda[r] >= 0 else {
            firstBad[part] = r
            break
          }
        }
      }
    }
  }
  if let r = firstBad.min(), r < count { throw .invalid("condensed tree row \(r) is malformed") }
  // Each point falls out once at most (points are labelled and scored in parallel).
  var seen = [UInt64](repeating: 0, count: n / 64 + 1)
  for r in 0..<count where rows.child[r] < Int64(n) {
    let c = Int(rows.child[r]), bit = UInt64(1) << (c % 64)
    guard seen[c / 64] & bit == 0 else { throw .invalid("condensed tree row \(r) repeats point \(c)") }
    seen[c / 64] |= bit
  }
  func column<T, U>(_ source: UnsafePointer<T>, _ convert: @escaping (T) -> U) -> [U] {
    [U](unsafeUninitializedCapacity: count) { buffer, initialized in
      parallelFor(count, grain: 65536, threads: threads) { range in
        for r in range { (buffer.baseAddress! + r).initialize(to: convert(source[r])) }
      }
      initialized = count
    }
  }
  let tree = CondensedTree(
    pointCount: n, parent: column(rows.parent) { Int($0) }, child: column(rows.child) { Int($0) },
    lambda: column(rows.lambda) { $0 }, childSize: column(rows.size) { Int($0) })
  return (tree.flatClustering(options, threads: threads), tree.outlierScores(threads: threads))
}

@_cdecl("ll_hdbscan_select_f64")
public func ll_hdbscan_select_f64(
  _ parentIn: In<Int64>, _ childIn: In<Int64>, _ lambdaIn: In<Double>, _ sizeIn: In<Int64>, _ rows: Int64,
  _ nPoints: Int64, _ options: In<ll_hdbscan_select_options>, _ labelsOut: InOut<Int64>,
  _ probabilitiesOut: InOut<Double>, _ outlierOut: InOut<Double>, _ persistenceOut: InOut<Double>,
  _ selectedOut: InOut<Int64>, _ clusterCount: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options), workers = threads(o.n_threads)
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
                       allowSingleCluster: o.allow_single_cluster != 0),
      threads: workers)
    releaseFreedMemory()   // the rebuilt tree's pages, before the outputs are written
    let labels = try required(labelsOut, "labels"), probabilities = try required(probabilitiesOut, "probabilities")
    let outlier = try required(outlierOut, "outlier_scores")
    parallelFor(n, grain: 65536, threads: workers) { range in
      for i in range {
        labels[i] = Int64(flat.labels[i]); probabilities[i] = flat.probabilities[i]; outlier[i] = scores[i]
      }
    }
    let persistence = try required(persistenceOut, "persistence"), selected = try required(selectedOut, "selected")
    for k in 0..<flat.selected.count {
      persistence[k] = flat.persistence[k]; selected[k] = Int64(flat.selected[k])
    }
    try required(clusterCount, "n_clusters").pointee = Int64(flat.selected.count)
  }
}
