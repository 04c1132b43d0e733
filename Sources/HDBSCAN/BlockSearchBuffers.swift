import LossLensCore

/// One thread's buffers for Borůvka's searches from a block of points (`BoruvkaRound`): the keys
/// of the block's points by feature, so that their squared gaps to a leaf's box are computed eight
/// points per vector, and, for a tree that keeps no columns (above `KDTree.projectionThreshold`
/// features), a copy of the leaf being scanned by feature, so that the caller's rows of a leaf
/// that several of the block's points scan are read once and measured eight points per vector.
final class BlockSearchBuffers<S: LossLensReal> {
  typealias Lanes = SIMD8<Double>
  /// Points whose keys the block buffer holds (a whole number of vectors).
  static var blockCapacity: Int { (BoruvkaRound<S>.searchBlock + 7) / 8 * 8 }
  /// Most points of a leaf copied: larger leaves (many equal keys) are measured from the rows, so
  /// that the copy stays small whatever the data.
  static var copyCapacity: Int { 256 }

  private let tree: KDTree<S>
  /// Keys of the block's points by feature (width × blockCapacity), and their squared gaps to the
  /// last box measured.
  private let keys: UnsafeMutablePointer<Double>
  let gaps: UnsafeMutablePointer<Double>
  /// Points of the block loaded.
  private var blockCount = 0
  /// The leaf's points by feature, widened (dim × leafStride; empty when the tree keeps columns).
  private let leaf: UnsafeMutablePointer<Double>, leafStride: Int
  /// Tree positions of the leaf copied (empty range: none).
  private var leafRange = 0..<0
  /// Squared distances from one point to the candidates of a leaf (a whole number of vectors).
  let distances: UnsafeMutablePointer<Double>
  /// Key of one point (`width` values), for points searched alone or blocks larger than the buffer.
  let key: UnsafeMutablePointer<Double>

  /// Buffers for searches over `tree`.
  init(_ tree: KDTree<S>) {
    self.tree = tree
    let capacity = BlockSearchBuffers.blockCapacity
    keys = .allocate(capacity: tree.width * capacity)
    keys.initialize(repeating: 0, count: tree.width * capacity)
    gaps = .allocate(capacity: capacity)
    leafStride = (Swift.min(tree.leafCapacity, BlockSearchBuffers.copyCapacity) + 7) / 8 * 8
    let leafValues = tree.vectorLeaves ? 1 : tree.dim * leafStride
    leaf = .allocate(capacity: leafValues)
    leaf.initialize(repeating: 0, count: leafValues)
    distances = .allocate(capacity: (tree.leafCapacity + 7) / 8 * 8)
    key = .allocate(capacity: tree.width)
  }

  deinit { keys.deallocate(); gaps.deallocate(); leaf.deallocate(); distances.deallocate(); key.deallocate() }

  /// Loads the keys of tree positions `first..<end` (at most `blockCapacity`).
  func loadBlock(_ first: Int, _ end: Int) {
    blockCount = end - first
    let capacity = BlockSearchBuffers.blockCapacity
    for p in first..<end {
      tree.loadKey(p, into: key)
      for k in 0..<tree.width { keys[k * capacity + p - first] = key[k] }
    }
  }

  /// Writes to `gaps` the squared key distance from each loaded point to the box of `node`,
  /// computed as `KDTree.boxDistanceSquared` computes it (coordinate order, no fused operations).
  func measureGaps(to node: Int) {
    let capacity = BlockSearchBuffers.blockCapacity, width = tree.width, at = node * width
    for first in Swift.stride(from: 0, to: blockCount, by: Lanes.scalarCount) {
      var sum = Lanes()
      for k in 0..<width {
        let q = UnsafeRawPointer(keys + k * capacity + first).loadUnaligned(as: Lanes.self)
        let low, high: Double
        if tree.vectorLeaves {
          low = tree.lower[at + k]; high = tree.upper[at + k]
        } else {
          low = Double(tree.lowerKeys[at + k]) * tree.keyScale; high = Double(tree.upperKeys[at + k]) * tree.keyScale
        }
        var gap = Lanes(repeating: low) - q
        let above = q - Lanes(repeating: high)
        gap.replace(with: above, where: above .> gap)
        gap.replace(with: 0, where: gap .< Lanes())
        sum += gap * gap
      }
      UnsafeMutableRawPointer(gaps + first).storeBytes(of: sum, as: Lanes.self)
    }
  }

  /// Writes to `distances` the squared distances from `q` to the points of `leaf` in tree order,
  /// each summed in feature order as `KDTree.distanceSquared` sums it: from the tree's columns
  /// when it keeps them, else from a copy of the leaf, made when another leaf was copied last (or
  /// from the rows for a leaf of more than `copyCapacity` points).
  func measure(_ q: UnsafePointer<S>, toLeaf leaf: Int) {
    let s = tree.start[leaf], e = tree.end[leaf]
    if tree.vectorLeaves {
      tree.distancesSquared(s, e, q, into: distances)
      return
    }
    if e - s > BlockSearchBuffers.copyCapacity {
      for t in s..<e { distances[t - s] = tree.distanceSquared(t, q) }
      return
    }
    if leafRange != s..<e { copy(s, e) }
    for first in Swift.stride(from: 0, to: e - s, by: Lanes.scalarCount) {
      var sum = Lanes()
      for k in 0..<tree.dim {
        let column = UnsafeRawPointer(self.leaf + k * leafStride + first).loadUnaligned(as: Lanes.self)
        let v = column - Lanes(repeating: Double(q[k]))
        sum += v * v
      }
      UnsafeMutableRawPointer(distances + first).storeBytes(of: sum, as: Lanes.self)
    }
  }

  /// Copies the points of tree positions `s..<e` by feature, widened.
  private func copy(_ s: Int, _ e: Int) {
    for t in s..<e {
      let row = tree.point(t)
      for k in 0..<tree.dim { leaf[k * leafStride + t - s] = Double(row[k]) }
    }
    leafRange = s..<e
  }
}
