import LossLensCore

/// DIDS §4.1 TopK: the indices of the `count` entries of largest magnitude of a vector (ties broken
/// by the lower index), in increasing index order.
public enum TopK {
  /// Writes the kept indices of the length-`h` vector `v` into `out` (capacity `count`).
  ///
  /// - Complexity: O(h) expected (quickselect on the magnitudes), O(h) scratch.
  public static func indices<T: LossLensReal>(
    of v: UnsafePointer<T>, h: Int, count: Int, scratch: UnsafeMutablePointer<T>, into out: UnsafeMutablePointer<Int32>
  ) {
    if count >= h {
      for c in 0..<h { out[c] = Int32(c) }
      return
    }
    for c in 0..<h { scratch[c] = abs(v[c]) }
    let threshold = select(scratch, h, rank: h - count)  // the count-th largest magnitude
    var above = 0
    for c in 0..<h where abs(v[c]) > threshold { above += 1 }
    var tiesLeft = count - above
    var written = 0
    for c in 0..<h {
      let m = abs(v[c])
      if m > threshold || (m == threshold && tiesLeft > 0) {
        if m == threshold { tiesLeft -= 1 }
        out[written] = Int32(c)
        written += 1
      }
    }
  }

  /// The value of rank `rank` (0-based, ascending) of `a[0..<n]`, reordering `a` (Hoare quickselect).
  static func select<T: Comparable>(_ a: UnsafeMutablePointer<T>, _ n: Int, rank: Int) -> T {
    var lo = 0, hi = n - 1
    while lo < hi {
      let pivot = a[lo + (hi - lo) / 2]
      var i = lo, j = hi
      while i <= j {
        while a[i] < pivot { i += 1 }
        while pivot < a[j] { j -= 1 }
        if i <= j {
          a.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      if rank <= j { hi = j } else if rank >= i { lo = i } else { return a[rank] }
    }
    return a[rank]
  }
}

private extension UnsafeMutablePointer {
  func swapAt(_ i: Int, _ j: Int) {
    let t = self[i]
    self[i] = self[j]
    self[j] = t
  }
}
