/// Lists the edges of a spanning tree in the order Prim's algorithm grown from point 0 takes them.
enum PrimOrder {
  /// One direction of a tree edge in the adjacency lists: its weight and far end, by position and
  /// by original index (16 bytes, so a point's list is read in one or two cache lines).
  private struct Arc {
    var weight: Double
    var to: Int32, toOriginal: Int32
  }

  /// Edges `(a, b, weight)` of a tree over `n < 2³¹` points numbered by position, where the point
  /// at position `p` has original index `original[p]`: the edges by original indices, reoriented
  /// (source in the grown tree, target added) and ordered as Prim's algorithm grown from original
  /// point 0 would add them: lightest first, ties to the lowest original target index.
  ///
  /// Positions only decide where a point's edges are stored: with positions that keep points near
  /// in space near in memory (a k-d tree's order), the walk reads memory nearly in order. In a tree
  /// the only grown neighbour of a point being added is the one it is added from, so no visited
  /// flags are kept.
  ///
  /// - Complexity: O(n log n).
  static func order(_ edges: [(Int32, Int32, Double)], pointCount n: Int, original: [Int32]) -> SpanningTree {
    var offset = [Int](repeating: 0, count: n + 1)
    for (a, b, _) in edges { offset[Int(a) + 1] += 1; offset[Int(b) + 1] += 1 }
    for i in 0..<n { offset[i + 1] += offset[i] }
    var fill = offset
    var arcs = [Arc](repeating: Arc(weight: 0, to: 0, toOriginal: 0), count: 2 * edges.count)
    for (a, b, w) in edges {
      arcs[fill[Int(a)]] = Arc(weight: w, to: b, toOriginal: original[Int(b)]); fill[Int(a)] += 1
      arcs[fill[Int(b)]] = Arc(weight: w, to: a, toOriginal: original[Int(a)]); fill[Int(b)] += 1
    }
    fill = []
    var tree = SpanningTree(capacity: edges.count)
    var heap = MinHeap()
    // Adds the point at position `u`, reached from original point `parent`.
    func visit(_ u: Int, from parent: Int32) {
      let source = original[u]
      for e in offset[u]..<offset[u + 1] where arcs[e].toOriginal != parent {
        heap.push(MinHeap.Entry(weight: arcs[e].weight, target: arcs[e].toOriginal, at: arcs[e].to, source: source))
      }
    }
    guard let root = original.firstIndex(of: 0) else { return tree }
    visit(root, from: -1)
    while let entry = heap.pop() {
      tree.source.append(Int(entry.source)); tree.target.append(Int(entry.target)); tree.weight.append(entry.weight)
      visit(Int(entry.at), from: entry.source)
    }
    return tree
  }
}

/// A binary min-heap of Prim's candidate edges ordered by (weight, target).
struct MinHeap {
  /// An edge from the grown tree: its weight, the original indices of its ends, and the position
  /// of the target (where its edges are stored).
  struct Entry {
    var weight: Double
    var target: Int32, at: Int32, source: Int32
  }

  private var items: [Entry] = []

  private static func less(_ a: Entry, _ b: Entry) -> Bool {
    a.weight < b.weight || (a.weight == b.weight && a.target < b.target)
  }

  /// Adds an entry.
  ///
  /// - Complexity: O(log n).
  mutating func push(_ entry: Entry) {
    items.append(entry)
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
  mutating func pop() -> Entry? {
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
