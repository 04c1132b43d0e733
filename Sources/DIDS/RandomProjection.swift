import LossLensCore

/// DIDS eq. (5) and appendix A: the Johnson–Lindenstrauss projection g̃ = Rᵀ g with R ∈ ℝ^{h×s},
/// generated from a seed in blocks of 256 rows of R, each from its own generator, so any block can be
/// regenerated alone and R is never held whole: the input width h can be in the millions.
///
/// Entries are ±1/√s (Rademacher) or N(0, 1/s) (Gaussian), so E‖Rᵀg‖² = ‖g‖²; with
/// `columnScale` the columns are rescaled (appendix A step 2 normalises them to unit length).
public struct RandomProjection: Sendable {
  /// Distribution of the entries.
  public enum Kind: Sendable {
    case rademacher
    case gaussian
  }

  /// Input width h.
  public let inputs: Int
  /// Output width s.
  public let components: Int
  public let kind: Kind
  public let seed: UInt64

  /// Rows of R per generator.
  public static var blockRows: Int { 256 }
  /// Blocks generated per gemm.
  static var blocksPerPass: Int { 32 }

  /// A projection from `inputs` to `components` dimensions.
  public init(inputs: Int, components: Int, kind: Kind, seed: UInt64) throws(LossLensError) {
    guard inputs > 0 else { throw .invalid("the input width must be positive (got \(inputs))") }
    guard components > 0 else { throw .invalid("n_components must be positive (got \(components))") }
    self.inputs = inputs
    self.components = components
    self.kind = kind
    self.seed = seed
  }

  /// Writes rows `[b·256, min(h, (b+1)·256))` of R into `out` (row-major, `components` wide).
  ///
  /// - Complexity: O(256·s).
  public func block<T: LossLensReal>(_ b: Int, into out: UnsafeMutablePointer<T>) {
    var rng = Xoshiro256(seed: seed &+ UInt64(b) &* 0x9E37_79B9_7F4A_7C15)
    let rows = min(Self.blockRows, inputs - b * Self.blockRows)
    let count = rows * components
    let scale = 1 / Double(components).squareRoot()
    switch kind {
    case .rademacher:
      let signs = [T(scale), T(-scale)]
      var i = 0
      while i < count {
        var bits = rng.next()
        let end = min(i + 64, count)
        while i < end {
          out[i] = signs[Int(bits & 1)]
          bits >>= 1
          i += 1
        }
      }
    case .gaussian:
      // Box–Muller, both deviates of every pair of uniforms.
      var i = 0
      while i < count {
        var u = rng.nextUnit()
        while u <= 0 { u = rng.nextUnit() }
        let radius = (-2 * log(u)).squareRoot() * scale, angle = 2 * Double.pi * rng.nextUnit()
        out[i] = T(radius * cos(angle))
        if i + 1 < count { out[i + 1] = T(radius * sin(angle)) }
        i += 2
      }
    }
  }

  /// Euclidean norm of every column of R (computed block by block).
  ///
  /// - Complexity: O(h·s).
  public func columnNorms(into norms: UnsafeMutablePointer<Double>, threads: Int) {
    let blocks = (inputs + Self.blockRows - 1) / Self.blockRows
    let s = components
    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: blocks * s)
    defer { partial.deallocate() }
    parallelFor(blocks, threads: threads) { range in
      let buffer = UnsafeMutablePointer<Double>.allocate(capacity: Self.blockRows * s)
      defer { buffer.deallocate() }
      for b in range {
        block(b, into: buffer)
        let rows = min(Self.blockRows, inputs - b * Self.blockRows)
        for j in 0..<s {
          var acc = 0.0
          for r in 0..<rows { acc += buffer[r * s + j] * buffer[r * s + j] }
          partial[b * s + j] = acc
        }
      }
    }
    for j in 0..<s {
      var acc = 0.0
      for b in 0..<blocks { acc += partial[b * s + j] }
      norms[j] = acc.squareRoot()
    }
  }

  /// `out (m × s) = X̂ R`, with X̂ the `m × h` rows of `x` restricted to their kept entries:
  /// row i keeps `kept[i·perRow ..< (i+1)·perRow]` (increasing indices). Columns of the result are
  /// multiplied by `columnScale` when given.
  ///
  /// - Complexity: O(m·h·s / threads) in gemms over passes of 8192 input dimensions, plus O(h·s)
  ///   to generate R once.
  public func project<T: LossLensReal>(
    _ x: UnsafePointer<T>, rows m: Int, kept: UnsafePointer<Int32>, perRow: Int,
    columnScale: UnsafePointer<Double>?, into out: UnsafeMutablePointer<T>, threads: Int
  ) {
    let h = inputs, s = components
    let passWidth = Self.blockRows * Self.blocksPerPass
    let dense = UnsafeMutablePointer<T>.allocate(capacity: m * passWidth)
    let r = UnsafeMutablePointer<T>.allocate(capacity: passWidth * s)
    let cursor = UnsafeMutablePointer<Int>.allocate(capacity: m)
    defer { dense.deallocate(); r.deallocate(); cursor.deallocate() }
    out.update(repeating: 0, count: m * s)
    cursor.update(repeating: 0, count: m)
    var start = 0
    while start < h {
      let width = min(passWidth, h - start)
      let firstBlock = start / Self.blockRows
      let blocks = (width + Self.blockRows - 1) / Self.blockRows
      parallelFor(blocks, threads: threads) { range in
        for b in range { block(firstBlock + b, into: r + b * Self.blockRows * s) }
      }
      parallelFor(m, grain: 64, threads: threads) { range in
        for i in range {
          let row = dense + i * width
          row.update(repeating: 0, count: width)
          let indices = kept + i * perRow
          var c = cursor[i]
          while c < perRow, Int(indices[c]) < start + width {
            let column = Int(indices[c])
            row[column - start] = x[i * h + column]
            c += 1
          }
          cursor[i] = c
        }
      }
      T.gemm(
        transA: false, transB: false, m: m, n: s, k: width, alpha: 1, a: dense, lda: width, b: r, ldb: s,
        beta: 1, c: out, ldc: s)
      start += width
    }
    if let columnScale {
      for i in 0..<m {
        for j in 0..<s { out[i * s + j] = T(Double(out[i * s + j]) * columnScale[j]) }
      }
    }
  }
}
