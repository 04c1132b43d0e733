/// The running nearest candidates of the query points of one block, for core distances and the
/// neighbour table: per query a max-heap of the `width` smallest squared distances offered (its
/// root, the `width`-th smallest, is the core distance at the end and prunes the search meanwhile)
/// and the ascending list of the `near` nearest with their tree positions.
///
/// A candidate enters only when strictly nearer than the heap's root, and the list keeps the
/// earlier of equal distances, so the list holds the first `near` candidates by (distance, order
/// offered), exactly as one sorted list of `width` entries would.
struct NearestLists {
  /// Distances kept per query in the heap and in the list.
  let width: Int, near: Int
  private let heap: UnsafeMutablePointer<Double>
  /// Each query's heap root, contiguous for vector loads (`capacity` entries, −∞ past the queries
  /// of the block, so that they never reach a box nor raise the largest bound).
  let bounds: UnsafeMutablePointer<Double>
  /// Queries the buffers hold (a whole number of vectors).
  let capacity: Int
  private let nearest: UnsafeMutablePointer<Double>
  /// Tree positions of the list entries (rows × near), −1 where none yet.
  let position: UnsafeMutablePointer<Int>

  init(rows: Int, width: Int, near: Int) {
    capacity = (rows + 7) / 8 * 8
    self.width = width
    self.near = Swift.min(near, width)
    heap = .allocate(capacity: rows * width)
    heap.initialize(repeating: .infinity, count: rows * width)
    bounds = .allocate(capacity: capacity)
    bounds.initialize(repeating: -.infinity, count: capacity)
    nearest = .allocate(capacity: rows * self.near)
    nearest.initialize(repeating: .infinity, count: rows * self.near)
    position = .allocate(capacity: rows * self.near)
    position.initialize(repeating: -1, count: rows * self.near)
  }

  /// Releases the buffers.
  func deallocate() { heap.deallocate(); bounds.deallocate(); nearest.deallocate(); position.deallocate() }

  /// Empties the lists of the first `rows` queries.
  func reset(rows: Int) {
    heap.update(repeating: .infinity, count: rows * width)
    bounds.update(repeating: .infinity, count: rows)
    (bounds + rows).update(repeating: -.infinity, count: capacity - rows)
    nearest.update(repeating: .infinity, count: rows * near)
    position.update(repeating: -1, count: rows * near)
  }

  /// The `width`-th smallest squared distance offered to query `row` (+∞ until `width` were).
  @inline(__always) func bound(_ row: Int) -> Double { bounds[row] }

  /// The largest bound of the first `rows` queries (since the last `reset(rows:)` with that many).
  @inline(__always) func largestBound(rows: Int) -> Double {
    var top = SIMD8<Double>(repeating: -.infinity)
    for r in Swift.stride(from: 0, to: rows, by: 8) {
      top = pointwiseMax(top, UnsafeRawPointer(bounds + r).loadUnaligned(as: SIMD8<Double>.self))
    }
    return top.max()
  }

  /// Offers tree position `t` at squared distance `d` to query `row`.
  @inline(__always) func offer(_ row: Int, _ d: Double, _ t: Int) {
    let h = heap + row * width
    guard d < h[0] else { return }
    // Replace the root and sift down.
    var i = 0
    while true {
      var c = 2 * i + 1
      if c >= width { break }
      if c + 1 < width && h[c + 1] > h[c] { c += 1 }
      if h[c] <= d { break }
      h[i] = h[c]
      i = c
    }
    h[i] = d
    bounds[row] = h[0]
    let list = nearest + row * near, found = position + row * near
    guard d < list[near - 1] else { return }
    var j = near - 1
    while j > 0 && list[j - 1] > d { list[j] = list[j - 1]; found[j] = found[j - 1]; j -= 1 }
    list[j] = d
    found[j] = t
  }
}
