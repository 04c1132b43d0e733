import LossLensCore

extension KDTree {
  /// The same table and core distances as `neighbours`, for many features: the tree is cut into
  /// blocks of a few hundred points; each block takes as candidates the leaves its box may reach
  /// within the largest (k+1)-th neighbour distance inside the block, and gemm gives approximate
  /// squared distances `‖a‖² + ‖b‖² − 2a·b` (on centred data) to all of them at once. Every
  /// candidate within a rounding margin of a point's (k+1)-th approximate value is then measured
  /// exactly (feature-order sum), so the table equals the exhaustive search's.
  ///
  /// - Complexity: O(n · c · dim) flops in gemm for c candidates per block, O(n · c) selection work.
  public func neighboursBlocked(k: Int, core: UnsafeMutablePointer<Double>, threads: Int) -> NeighbourTable {
    let width = Swift.min(count, k + 1), last = width - 1
    let table = NeighbourTable(count: count, neighbours: width - 1)
    var mean = [Double](repeating: 0, count: dim)
    var largest = 0.0
    for t in 0..<count {
      let row = source + t * dim
      for f in 0..<dim { mean[f] += Double(row[f]); largest = Swift.max(largest, abs(Double(row[f]))) }
    }
    for f in 0..<dim { mean[f] /= Double(count) }
    // Far above the rounding of centring and of the gemm formula (relative 1e-13 of the scale).
    let margin = 1e-9 * (largest * largest * Double(dim)) + 1e-300
    let rowsMax = Swift.max(256, 2 * width), chunk = 2048
    // Approximate candidates kept per point: the table's width and a few more, so that the
    // candidates within the margin of the (k+1)-th are nearly always among them.
    let kept = width + 8
    let blocks = blockNodes(maxSize: rowsMax)
    parallelFor(blocks.count, threads: threads) { range in
      let queries = CentredRows(capacity: rowsMax, dim: dim), candidates = CentredRows(capacity: chunk, dim: dim)
      let approx = UnsafeMutablePointer<Double>.allocate(capacity: rowsMax * chunk)
      let top = UnsafeMutablePointer<Double>.allocate(capacity: rowsMax * kept)
      let topAt = UnsafeMutablePointer<Int>.allocate(capacity: rowsMax * kept)
      let best = UnsafeMutablePointer<Double>.allocate(capacity: width)
      let found = UnsafeMutablePointer<Int>.allocate(capacity: width)
      var runs: [(Int, Int)] = [], stack: [Int] = []
      defer {
        approx.deallocate(); top.deallocate(); topAt.deallocate(); best.deallocate(); found.deallocate()
      }
      // A block is a node of at most `rowsMax` points, or a larger leaf (keys all equal): its points
      // are taken `rowsMax` at a time, each slice bounded by the whole block's box.
      let slices = blocks[range].lazy.flatMap { block in
        Swift.stride(from: start[block], to: end[block], by: rowsMax).lazy.map { (block, $0) }
      }
      for (block, first) in slices {
        let rows = Swift.min(rowsMax, end[block] - first)
        queries.load(self, pieces: [(first, rows)], mean: mean)
        // Largest (k+1)-th approximate squared distance inside the block bounds every point's.
        selectApproximate(queries, runs: [(first, rows)], columns: rows, candidates: candidates, mean: mean,
                          approx: approx, top: top, at: topAt, width: kept, chunk: chunk)
        var reach = -Double.infinity
        for r in 0..<rows { reach = Swift.max(reach, top[r * kept + last]) }
        reach += 2 * margin
        // Leaves within reach of the block's box, as runs of tree positions.
        runs.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        stack.append(0)
        var columns = 0
        while let node = stack.popLast() {
          if beyond(boxSquared: boxGapSquared(node, block), reach) { continue }
          let l = left[node]
          if l >= 0 { stack.append(right[node]); stack.append(l); continue }
          let s = start[node], e = end[node]
          if let (rs, rl) = runs.last, rs + rl == s { runs[runs.count - 1] = (rs, rl + e - s) } else { runs.append((s, e - s)) }
          columns += e - s
        }
        selectApproximate(queries, runs: runs, columns: columns, candidates: candidates, mean: mean,
                          approx: approx, top: top, at: topAt, width: kept, chunk: chunk)
        // Exact distances to every candidate within twice the margin of the (k+1)-th approximate
        // value: the kept ones when the last kept lies beyond that cutoff, else all candidates.
        for r in 0..<rows {
          let p = first + r, q = point(p)
          for t in 0..<width { best[t] = .infinity; found[t] = -1 }
          @inline(__always) func consider(_ t: Int) {
            let d = distanceSquared(t, q, limit2: best[last])
            guard d < best[last] else { return }
            var i = last
            while i > 0 && best[i - 1] > d { best[i] = best[i - 1]; found[i] = found[i - 1]; i -= 1 }
            best[i] = d
            found[i] = t
          }
          let values = top + r * kept, at = topAt + r * kept
          let cutoff = values[last] + 2 * margin
          if values[kept - 1] > cutoff || columns <= kept {
            for e in 0..<kept where at[e] >= 0 && values[e] <= cutoff { consider(at[e]) }
          } else {
            for (s, len) in runs { for t in s..<(s + len) { consider(t) } }
          }
          core[Int(index[p])] = best[Swift.min(k, last)].squareRoot()
          table.store(p, from: found, available: width)
        }
      }
    }
    return table
  }

  /// Nodes of at most `maxSize` points (or leaves) that partition the tree, in tree order.
  func blockNodes(maxSize: Int) -> [Int] {
    var blocks: [Int] = [], stack = [0]
    while let node = stack.popLast() {
      if left[node] < 0 || end[node] - start[node] <= maxSize { blocks.append(node); continue }
      stack.append(right[node]); stack.append(left[node])
    }
    return blocks
  }

  /// Splits the candidate `runs` (start, length) into chunks of at most `chunk` columns and calls
  /// `body(firstColumn, endColumn, pieces)` for each.
  func forEachChunk(runs: [(Int, Int)], columns: Int, chunk: Int, _ body: (Int, Int, [(Int, Int)]) -> Void) {
    var pieces: [(Int, Int)] = [], c0 = 0, filled = 0
    for (s, len) in runs {
      var offset = 0
      while offset < len {
        let take = Swift.min(len - offset, chunk - filled)
        pieces.append((s + offset, take))
        offset += take
        filled += take
        if filled == chunk {
          body(c0, c0 + filled, pieces)
          c0 += filled
          filled = 0
          pieces.removeAll(keepingCapacity: true)
        }
      }
    }
    if filled > 0 { body(c0, c0 + filled, pieces) }
  }

  /// For each of the loaded `queries`, the `width` smallest approximate squared distances to the
  /// candidates in `runs` (`columns` in all), ascending, into `top` (rows × width), and their tree
  /// positions into `at` (−1 where fewer candidates). The candidates are centred `chunk` at a time
  /// into `candidates`, and gemm gives `‖a‖² + ‖b‖² − 2a·b` for all pairs of a chunk.
  func selectApproximate(
    _ queries: CentredRows, runs: [(Int, Int)], columns: Int, candidates: CentredRows, mean: [Double],
    approx: UnsafeMutablePointer<Double>, top: UnsafeMutablePointer<Double>, at: UnsafeMutablePointer<Int>,
    width: Int, chunk: Int
  ) {
    let last = width - 1, rows = queries.count
    for i in 0..<(rows * width) { top[i] = .infinity; at[i] = -1 }
    forEachChunk(runs: runs, columns: columns, chunk: chunk) { c0, c1, pieces in
      let span = c1 - c0
      candidates.load(self, pieces: pieces, mean: mean)
      Double.gemm(transA: false, transB: true, m: rows, n: span, k: dim, alpha: -2, a: queries.values, lda: dim,
                  b: candidates.values, ldb: dim, beta: 0, c: approx, ldc: span)
      for r in 0..<rows {
        let best = top + r * width, found = at + r * width, row = approx + r * span, nr = queries.norms[r]
        var threshold = best[last], column = 0
        for (s, len) in pieces {
          for j in 0..<len {
            let d = row[column + j] + nr + candidates.norms[column + j]
            guard d < threshold else { continue }
            var i = last
            while i > 0 && best[i - 1] > d { best[i] = best[i - 1]; found[i] = found[i - 1]; i -= 1 }
            best[i] = d
            found[i] = s + j
            threshold = best[last]
          }
          column += len
        }
      }
    }
  }
}

/// One thread's buffer of points of a `KDTree` in tree order, centred on the data's mean and
/// widened to `Double` (row-major, `capacity` × dim), with their squared norms: the operands of the
/// blocked search's gemm, filled a block at a time so that no centred copy of the data is kept.
final class CentredRows {
  /// Number of features.
  let dim: Int
  /// Centred rows (count × dim) and their squared norms.
  let values: UnsafeMutablePointer<Double>, norms: UnsafeMutablePointer<Double>
  /// Rows loaded.
  private(set) var count = 0

  /// Buffers for at most `capacity` rows of `dim` features.
  init(capacity: Int, dim: Int) {
    self.dim = dim
    values = .allocate(capacity: Swift.max(1, capacity * dim))
    norms = .allocate(capacity: Swift.max(1, capacity))
  }

  deinit { values.deallocate(); norms.deallocate() }

  /// Loads the points of the runs of tree positions `pieces` (start, length; at most `capacity` in
  /// all), minus `mean`.
  func load<S>(_ tree: KDTree<S>, pieces: [(Int, Int)], mean: [Double]) {
    count = 0
    for (s, len) in pieces {
      for t in s..<(s + len) {
        let point = tree.point(t), row = values + count * dim
        var sum = 0.0
        for f in 0..<dim { let v = Double(point[f]) - mean[f]; row[f] = v; sum += v * v }
        norms[count] = sum
        count += 1
      }
    }
  }
}
