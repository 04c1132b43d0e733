/// Points compared by a dissimilarity: the view every HDBSCAN kernel is generic over.
public protocol MetricSpace: Sendable {
  /// Number of points.
  var count: Int { get }
  /// Distance between points `i` and `j`.
  func distance(_ i: Int, _ j: Int) -> Double
  /// The value ranked for point `i`'s core distance against point `j`: `distance(i, j)`, except
  /// that a precomputed matrix is read by column as the package's `np.partition(axis=0)` does.
  func coreCandidate(_ i: Int, _ j: Int) -> Double
}

/// `count` feature vectors of `dim` values (row-major, caller-owned) under a metric.
public struct FeatureSpace<Metric: DistanceMetric>: MetricSpace, @unchecked Sendable {
  /// Row-major data.
  public let data: UnsafePointer<Double>
  public let count: Int
  /// Number of features.
  public let dim: Int
  /// The metric.
  public let metric: Metric

  /// Wraps a caller-owned buffer; it must outlive the space.
  public init(data: UnsafePointer<Double>, count: Int, dim: Int, metric: Metric) {
    self.data = data
    self.count = count
    self.dim = dim
    self.metric = metric
  }

  @inlinable public func distance(_ i: Int, _ j: Int) -> Double {
    metric.distance(data + i * dim, data + j * dim, dim: dim)
  }

  @inlinable public func coreCandidate(_ i: Int, _ j: Int) -> Double { i == j ? 0 : distance(i, j) }
}

/// A dense n×n matrix of distances (caller-owned).
public struct PrecomputedSpace: MetricSpace, @unchecked Sendable {
  /// Row-major distances.
  public let data: UnsafePointer<Double>
  public let count: Int

  /// Wraps a caller-owned n×n buffer; it must outlive the space.
  public init(data: UnsafePointer<Double>, count: Int) {
    self.data = data
    self.count = count
  }

  @inlinable public func distance(_ i: Int, _ j: Int) -> Double { data[i * count + j] }
  @inlinable public func coreCandidate(_ i: Int, _ j: Int) -> Double { data[j * count + i] }
}
