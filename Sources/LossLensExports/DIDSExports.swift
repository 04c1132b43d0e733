import DIDS
import LossLensCore

// DIDS: gradient sketches, Fisher diagonal and impact, loss-trajectory fits, domain weights.

@_cdecl("ll_dids_sketch_f64")
public func ll_dids_sketch_f64(
  _ x: UnsafePointer<Double>?, _ m: Int64, _ h: Int64, _ components: Int64, _ kind: Int32, _ seed: UInt64,
  _ topk: Int64, _ columnScale: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  sketch(x, m, h, components, kind, seed, topk, columnScale, out, nThreads, err, errLength)
}

@_cdecl("ll_dids_sketch_f32")
public func ll_dids_sketch_f32(
  _ x: UnsafePointer<Float>?, _ m: Int64, _ h: Int64, _ components: Int64, _ kind: Int32, _ seed: UInt64,
  _ topk: Int64, _ columnScale: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<Float>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  sketch(x, m, h, components, kind, seed, topk, columnScale, out, nThreads, err, errLength)
}

@_cdecl("ll_dids_projection_column_norms")
public func ll_dids_projection_column_norms(
  _ h: Int64, _ components: Int64, _ kind: Int32, _ seed: UInt64, _ out: UnsafeMutablePointer<Double>?,
  _ nThreads: Int32, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let projection = try makeProjection(h, components, kind, seed)
    projection.columnNorms(into: try required(out, "out"), threads: Threading.resolve(nJobs: Int(nThreads)))
  }
}

@_cdecl("ll_dids_fisher_diagonal_f64")
public func ll_dids_fisher_diagonal_f64(
  _ g: UnsafePointer<Double>?, _ n: Int64, _ p: Int64, _ eps: Double, _ out: UnsafeMutablePointer<Double>?,
  _ nThreads: Int32, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  fisherDiagonal(g, n, p, eps, out, nThreads, err, errLength)
}

@_cdecl("ll_dids_fisher_diagonal_f32")
public func ll_dids_fisher_diagonal_f32(
  _ g: UnsafePointer<Float>?, _ n: Int64, _ p: Int64, _ eps: Double, _ out: UnsafeMutablePointer<Float>?,
  _ nThreads: Int32, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  fisherDiagonal(g, n, p, eps, out, nThreads, err, errLength)
}

@_cdecl("ll_dids_impact_f64")
public func ll_dids_impact_f64(
  _ domains: UnsafePointer<Double>?, _ nd: Int64, _ tasks: UnsafePointer<Double>?, _ nt: Int64,
  _ fisher: UnsafePointer<Double>?, _ p: Int64, _ kind: Int32, _ out: UnsafeMutablePointer<Double>?,
  _ nThreads: Int32, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  impact(domains, nd, tasks, nt, fisher, p, kind, out, nThreads, err, errLength)
}

@_cdecl("ll_dids_impact_f32")
public func ll_dids_impact_f32(
  _ domains: UnsafePointer<Float>?, _ nd: Int64, _ tasks: UnsafePointer<Float>?, _ nt: Int64,
  _ fisher: UnsafePointer<Float>?, _ p: Int64, _ kind: Int32, _ out: UnsafeMutablePointer<Double>?,
  _ nThreads: Int32, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  impact(domains, nd, tasks, nt, fisher, p, kind, out, nThreads, err, errLength)
}

@_cdecl("ll_dids_fit_exponential_decay")
public func ll_dids_fit_exponential_decay(
  _ t: UnsafePointer<Double>?, _ y: UnsafePointer<Double>?, _ n: Int64, _ guess: UnsafePointer<Double>?,
  _ lower: UnsafePointer<Double>?, _ upper: UnsafePointer<Double>?, _ maxEvaluations: Int64,
  _ params: UnsafeMutablePointer<Double>?, _ cost: UnsafeMutablePointer<Double>?,
  _ evaluations: UnsafeMutablePointer<Int64>?, _ status: UnsafeMutablePointer<Int32>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    guard n >= 0 else { throw .invalid("the history must not have a negative length") }
    guard maxEvaluations >= 1 else { throw .invalid("max_evaluations must be >= 1") }
    var bounds = ExponentialDecay.Bounds.none
    if let lower { bounds.lower = (lower[0], lower[1], lower[2]) }
    if let upper { bounds.upper = (upper[0], upper[1], upper[2]) }
    let fit = try ExponentialDecay.fit(
      t: try required(t, "t"), y: try required(y, "y"), n: Int(n), guess: guess.map { ($0[0], $0[1], $0[2]) },
      bounds: bounds, maxEvaluations: Int(clamping: maxEvaluations))
    let p = try required(params, "params")
    p[0] = fit.a; p[1] = fit.b; p[2] = fit.c
    try required(cost, "cost").pointee = fit.cost
    try required(evaluations, "evaluations").pointee = Int64(fit.evaluations)
    try required(status, "status").pointee = fit.status.rawValue
  }
}

@_cdecl("ll_dids_potential")
public func ll_dids_potential(
  _ t: UnsafePointer<Double>?, _ y: UnsafePointer<Double>?, _ n: Int64, _ tau: Double, _ authorsCode: Int32,
  _ out: UnsafeMutablePointer<Double>?, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    guard n >= 1 else { throw .invalid("the loss history must not be empty") }
    let ty = try required(t, "t"), yy = try required(y, "y")
    guard Matrix.allFinite(ty, count: Int(n)), Matrix.allFinite(yy, count: Int(n)) else {
      throw .invalid("the loss history contains NaN or infinity")
    }
    try required(out, "out").pointee = try DomainWeights.potential(
      t: ty, y: yy, n: Int(n), tau: tau, authorsCode: authorsCode != 0)
  }
}

@_cdecl("ll_dids_update")
public func ll_dids_update(
  _ impact: UnsafePointer<Double>?, _ nd: Int64, _ nt: Int64, _ improvement: UnsafePointer<Double>?,
  _ potential: UnsafePointer<Double>?, _ previous: UnsafePointer<Double>?, _ beta: Double,
  _ normalization: Int32, _ impactNormalization: Int32, _ temperature: Double,
  _ probabilities: UnsafeMutablePointer<Double>?, _ utilities: UnsafeMutablePointer<Double>?,
  _ normalizedImpact: UnsafeMutablePointer<Double>?, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (d, t) = try matrixShape(nd, nt, "impact")
    guard d >= 1, t >= 1 else { throw .invalid("impact must have at least one domain and one task") }
    guard let norm = DomainWeights.Normalization(rawValue: normalization) else {
      throw .invalid("normalization must be 0 (softmax) or 1 (linear)")
    }
    guard let impactNorm = DomainWeights.ImpactNormalization(rawValue: impactNormalization) else {
      throw .invalid("impact normalization must be 0 (max_gap), 1 (sum) or 2 (none)")
    }
    guard beta >= 0, beta < 1 else { throw .invalid("beta must be in [0, 1) (got \(beta))") }
    guard temperature > 0, temperature.isFinite else { throw .invalid("temperature must be positive and finite") }
    let i = try required(impact, "impact"), lc = try required(improvement, "improvement")
    let lp = try required(potential, "potential"), prev = try required(previous, "previous")
    guard Matrix.allFinite(i, count: d * t) else { throw .invalid("impact contains NaN or infinity") }
    guard Matrix.allFinite(lc, count: t), Matrix.allFinite(lp, count: t) else {
      throw .invalid("loss improvements and potentials must be finite")
    }
    for k in 0..<d where !(prev[k] > 0) || !prev[k].isFinite {
      throw .invalid("previous probabilities must be positive and finite (entry \(k) is \(prev[k]))")
    }
    let ni = try required(normalizedImpact, "normalized_impact"), u = try required(utilities, "utilities")
    DomainWeights.normalizedImpact(i, nd: d, nt: t, mode: impactNorm, into: ni)
    DomainWeights.utilities(
      normalizedImpact: ni, nd: d, nt: t, improvement: lc, potential: lp, previous: prev, into: u)
    guard Matrix.allFinite(u, count: d) else { throw .invalid("the utilities overflowed") }
    DomainWeights.update(
      utilities: u, previous: prev, nd: d, beta: beta, normalization: norm, temperature: temperature,
      into: try required(probabilities, "probabilities"))
  }
}

private func makeProjection(_ h: Int64, _ components: Int64, _ kind: Int32, _ seed: UInt64) throws(LossLensError)
  -> RandomProjection
{
  guard let k = RandomProjection.Kind(rawValue: kind) else { throw .invalid("kind must be 0 (rademacher) or 1 (gaussian)") }
  guard h > 0, components > 0, components <= Int64(Int32.max) else { throw .invalid("invalid projection shape") }
  return try RandomProjection(inputs: Int(h), components: Int(components), kind: k, seed: seed)
}

private func sketch<T: LossLensReal>(
  _ x: UnsafePointer<T>?, _ m: Int64, _ h: Int64, _ components: Int64, _ kind: Int32, _ seed: UInt64,
  _ topk: Int64, _ columnScale: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<T>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (rows, _) = try matrixShape(m, h, "X")
    _ = try matrixShape(m, components, "out")
    let projection = try makeProjection(h, components, kind, seed)
    try GradientSketch.transform(
      try required(x, "X"), rows: rows, projection: projection, topk: Int(clamping: topk), columnScale: columnScale,
      into: try required(out, "out"), threads: Threading.resolve(nJobs: Int(nThreads)))
  }
}

private func fisherDiagonal<T: LossLensReal>(
  _ g: UnsafePointer<T>?, _ n: Int64, _ p: Int64, _ eps: Double, _ out: UnsafeMutablePointer<T>?,
  _ nThreads: Int32, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (rows, cols) = try matrixShape(n, p, "per_sample_grads")
    try FisherImpact.empiricalFisherDiagonal(
      try required(g, "per_sample_grads"), samples: rows, parameters: cols, epsilon: eps,
      into: try required(out, "out"), threads: Threading.resolve(nJobs: Int(nThreads)))
  }
}

private func impact<T: LossLensReal>(
  _ domains: UnsafePointer<T>?, _ nd: Int64, _ tasks: UnsafePointer<T>?, _ nt: Int64,
  _ fisher: UnsafePointer<T>?, _ p: Int64, _ kind: Int32, _ out: UnsafeMutablePointer<Double>?,
  _ nThreads: Int32, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (d, width) = try matrixShape(nd, p, "domain_grads")
    let (t, _) = try matrixShape(nt, p, "task_grads")
    guard let k = FisherImpact.Kind(rawValue: kind) else { throw .invalid("kind must be 0 (divergence) or 1 (kernel)") }
    try FisherImpact.impact(
      domains: try required(domains, "domain_grads"), nd: d, tasks: try required(tasks, "task_grads"), nt: t,
      fisher: try required(fisher, "fisher_diag"), p: width, kind: k, into: try required(out, "out"),
      threads: Threading.resolve(nJobs: Int(nThreads)))
  }
}
