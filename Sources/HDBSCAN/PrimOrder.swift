/// Lists the edges of a spanning tree in the order Prim's algorithm grown from point 0 takes them.
enum PrimOrder {
  /// Edges `(a, b, weight)` of a tree over `n` points, reoriented (source in the grown tree,
  /// target added) and ordered as Prim's algorithm on the tree would add them: lightest first,
  /// ties to the lowest target index.
  ///
  /// - Complexity: O(n log n).
  static func order(_ edges: [(Int32, Int32, Double)], pointCount n: Int) -> SpanningTree {
    var offset = [Int](repeating: 0, count: n + 1)
    for (a, b, _) in edges { offset[Int(a) + 1] += 1; offset[Int(b) + 1] += 1 }
    for i in 0..<n { offset[i + 1] += offset[i] }
    var fill = offset
    var neighbour = [Int](repeating: 0, count: 2 * edges.count), weight = [Double](repeating: 0, count: 2 * edges.count)
    for (a32, b32, w) in edges {
      let a = Int(a32), b = Int(b32)
      neighbour[fill[a]] = b; weight[fill[a]] = w; fill[a] += 1
      neighbour[fill[b]] = a; weight[fill[b]] = w; fill[b] += 1
    }
    var tree = SpanningTree(capacity: edges.count)
    var visited = [Bool](repeating: false, count: n)
    var heap = MinHeap()
    func visit(_ u: Int) {
      visited[u] = true
      for e in offset[u]..<offset[u + 1] where !visited[neighbour[e]] {
        heap.push(weight[e], neighbour[e], from: u)
      }
    }
    visit(0)
    while let (w, v, u) = heap.pop() {
      tree.source.append(u); tree.target.append(v); tree.weight.append(w)
      visit(v)
    }
    return tree
  }
}

/// A binary min-heap of (weight, target, source) ordered by (weight, target).
struct MinHeap {
  private var items: [(Double, Int, Int)] = []

  private static func less(_ a: (Double, Int, Int), _ b: (Double, Int, Int)) -> Bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
  }

  /// Adds an entry.
  ///
  /// - Complexity: O(log n).
  mutating func push(_ w: Double, _ target: Int, from source: Int) {
    items.append((w, target, source))
    var i = items.count - 1
    while i > 0 {
      let p = (i - 1) / 2
      guard MinHeap.less(items[i], items[p]) else { break }
      items.swapAt(i, p)
      i = p
    }
  }

  /// Removes the smallest entry.
  ///
  /// - Complexity: O(log n).
  mutating func pop() -> (Double, Int, Int)? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var i = 0
      while true {
        let l = 2 * i + 1, r = l + 1
        var m = i
        if l < items.count && MinHeap.less(items[l], items[m]) { m = l }
        if r < items.count && MinHeap.less(items[r], items[m]) { m = r }
        if m == i { break }
        items.swapAt(i, m)
        i = m
      }
    }
    return top
  }
}
