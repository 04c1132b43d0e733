import LossLensCore

/// The nodes of a k-d tree (or of one of its subtrees) while it is built: in pre-order, children
/// by their place in the same lists, key boxes `width` values per node.
struct KDNodes {
  /// First and one-past-last tree position of each node; children (−1 for leaves).
  var start: [Int] = [], end: [Int] = [], left: [Int] = [], right: [Int] = []
  /// Key bounding boxes (nodes × width).
  var low: [Double] = [], high: [Double] = []
  /// Largest number of points in a leaf.
  var largestLeaf = 1
  /// Nodes left unsplit for a subtree built apart (`splicing`), in pre-order.
  var deferred: [Int] = []

  /// Reserves room for the nodes of a subtree over `points` points, so that growing it on another
  /// thread does not allocate there (blocks a worker thread allocates stay in its heap when freed):
  /// every split leaves at least `(leafSize + 1) / 2` points on each side, so there are at most
  /// `2 · points / ((leafSize + 1) / 2) + 1` nodes.
  mutating func reserve(points: Int, width w: Int, leafSize: Int) {
    let nodes = 2 * points / Swift.max(1, (leafSize + 1) / 2) + 1
    start.reserveCapacity(nodes); end.reserveCapacity(nodes); left.reserveCapacity(nodes); right.reserveCapacity(nodes)
    low.reserveCapacity(nodes * w); high.reserveCapacity(nodes * w)
  }

  /// Grows the subtree over tree positions `lo..<hi` of `order` (original indices, reordered in
  /// that range): leaves of at most `leafSize` points, else the widest key dimension split at its
  /// median. The keys are the rows of `points` (`width` features), or the projected `keys` (`width`
  /// per point) when given. A node of more than `leafSize` and at most `deferAtMost` points is left
  /// unsplit, without its box, in `deferred`.
  mutating func grow<S: LossLensReal>(
    _ order: UnsafeMutablePointer<Int32>, _ lo: Int, _ hi: Int, width w: Int, leafSize: Int, deferAtMost: Int,
    points: UnsafePointer<S>, keys: UnsafePointer<Float>?
  ) {
    // Key coordinate `i` of the row-major keys by original index.
    @inline(__always) func key(_ i: Int) -> Double {
      if let keys { return Double(keys[i]) }
      return Double(points[i])
    }
    var stack = [(lo, hi, -1, false)]
    while let (lo, hi, parent, isRight) = stack.popLast() {
      let node = start.count
      start.append(lo); end.append(hi); left.append(-1); right.append(-1)
      if parent >= 0 { if isRight { right[parent] = node } else { left[parent] = node } }
      if hi - lo > leafSize && hi - lo <= deferAtMost {
        low.append(contentsOf: repeatElement(0, count: w)); high.append(contentsOf: repeatElement(0, count: w))
        deferred.append(node)
        continue
      }
      var widest = 0, spread = -1.0
      for k in 0..<w {
        var a = Double.infinity, b = -Double.infinity
        for t in lo..<hi { let v = key(Int(order[t]) * w + k); a = Swift.min(a, v); b = Swift.max(b, v) }
        low.append(a); high.append(b)
        if b - a > spread { spread = b - a; widest = k }
      }
      guard hi - lo > leafSize, spread > 0 else { largestLeaf = Swift.max(largestLeaf, hi - lo); continue }
      let mid = (lo + hi) / 2
      KDNodes.select(order, lo, hi, mid) { key($0 * w + widest) }
      stack.append((mid, hi, node, true))
      stack.append((lo, mid, node, false))
    }
  }

  /// Reorders `a[lo..<hi]` so that position `k` holds the element of rank `k − lo` by `key`.
  private static func select(_ a: UnsafeMutablePointer<Int32>, _ lo: Int, _ hi: Int, _ k: Int, key: (Int) -> Double) {
    var lo = lo, hi = hi - 1
    while lo < hi {
      let pivot = key(Int(a[(lo + hi) / 2]))
      var i = lo, j = hi
      while i <= j {
        while key(Int(a[i])) < pivot { i += 1 }
        while key(Int(a[j])) > pivot { j -= 1 }
        if i <= j { (a[i], a[j]) = (a[j], a[i]); i += 1; j -= 1 }
      }
      if k <= j { hi = j } else if k >= i { lo = i } else { return }
    }
  }

  /// These nodes with each deferred node replaced by the subtree grown for it (`subtrees`, in the
  /// order of `deferred`): the pre-order lists of the whole tree, as one `grow` would make them.
  func splicing(_ subtrees: [KDNodes], width w: Int) -> KDNodes {
    guard !deferred.isEmpty else { return self }
    var subtreeAt = [Int](repeating: -1, count: start.count)
    for (task, node) in deferred.enumerated() { subtreeAt[node] = task }
    // Place of each of these nodes in the whole tree.
    var place = [Int](repeating: 0, count: start.count), next = 0
    for i in 0..<start.count {
      place[i] = next
      next += subtreeAt[i] >= 0 ? subtrees[subtreeAt[i]].start.count : 1
    }
    var whole = KDNodes()
    whole.start.reserveCapacity(next); whole.end.reserveCapacity(next)
    whole.left.reserveCapacity(next); whole.right.reserveCapacity(next)
    whole.low.reserveCapacity(next * w); whole.high.reserveCapacity(next * w)
    whole.largestLeaf = subtrees.reduce(largestLeaf) { Swift.max($0, $1.largestLeaf) }
    for i in 0..<start.count {
      if subtreeAt[i] >= 0 {
        let sub = subtrees[subtreeAt[i]], base = place[i]
        whole.start += sub.start; whole.end += sub.end
        whole.left += sub.left.lazy.map { $0 < 0 ? -1 : $0 + base }
        whole.right += sub.right.lazy.map { $0 < 0 ? -1 : $0 + base }
        whole.low += sub.low; whole.high += sub.high
      } else {
        whole.start.append(start[i]); whole.end.append(end[i])
        whole.left.append(left[i] < 0 ? -1 : place[left[i]]); whole.right.append(right[i] < 0 ? -1 : place[right[i]])
        whole.low += low[(i * w)..<((i + 1) * w)]; whole.high += high[(i * w)..<((i + 1) * w)]
      }
    }
    return whole
  }
}
