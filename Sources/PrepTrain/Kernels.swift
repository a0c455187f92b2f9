#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// Element-wise pieces of the forward and backward passes. Every matrix product goes through
// `BLAS.sgemm`; these loops do the rest, always in a fixed order so that runs are bit-identical.

typealias FloatPointer = UnsafeMutablePointer<Float>

/// RMSNorm over `rows` rows of `dim`: `out = x · rsqrt(mean(x²) + eps) · w`; keeps the reciprocal root.
func rmsNormForward(
  x: FloatPointer, weight w: FloatPointer, out: FloatPointer, inverseRMS: FloatPointer, rows: Int, dim: Int,
  epsilon: Float
) {
  for r in 0..<rows {
    let xr = x + r * dim
    let yr = out + r * dim
    var sum: Float = 0
    for i in 0..<dim { sum += xr[i] * xr[i] }
    let inv = 1 / (sum / Float(dim) + epsilon).squareRoot()
    inverseRMS[r] = inv
    for i in 0..<dim { yr[i] = w[i] * (xr[i] * inv) }
  }
}

/// RMSNorm backward: adds dL/dx into `dx` and dL/dw into `dw`.
func rmsNormBackward(
  x: FloatPointer, weight w: FloatPointer, inverseRMS: FloatPointer, dy: FloatPointer, dx: FloatPointer,
  dw: FloatPointer, rows: Int, dim: Int
) {
  for r in 0..<rows {
    let xr = x + r * dim
    let dyr = dy + r * dim
    let dxr = dx + r * dim
    let inv = inverseRMS[r]
    var dot: Float = 0
    for i in 0..<dim {
      let xhat = xr[i] * inv
      dw[i] += dyr[i] * xhat
      dot += dyr[i] * w[i] * xhat
    }
    dot /= Float(dim)
    for i in 0..<dim {
      let xhat = xr[i] * inv
      dxr[i] += inv * (dyr[i] * w[i] - xhat * dot)
    }
  }
}

/// Adds `bias` (length `dim`) to each of `rows` rows.
func addBias(_ y: FloatPointer, bias: FloatPointer, rows: Int, dim: Int) {
  for r in 0..<rows {
    let yr = y + r * dim
    for i in 0..<dim { yr[i] += bias[i] }
  }
}

/// Adds the column sums of `dy` (rows × dim) into `dBias`.
func accumulateBiasGradient(_ dy: FloatPointer, into dBias: FloatPointer, rows: Int, dim: Int) {
  for r in 0..<rows {
    let dyr = dy + r * dim
    for i in 0..<dim { dBias[i] += dyr[i] }
  }
}

/// Fills the RoPE tables for positions 0..<positions: `cos[p·half + i]`, `sin[p·half + i]` of
/// `p · theta^(-2i/headDim)`, computed in double precision.
func fillRoPETables(cos c: FloatPointer, sin s: FloatPointer, positions: Int, headDim: Int, theta: Double) {
  let half = headDim / 2
  for i in 0..<half {
    let inverseFrequency = 1.0 / pow(theta, Double(2 * i) / Double(headDim))
    for p in 0..<positions {
      let angle = Double(p) * inverseFrequency
      c[p * half + i] = Float(cos(angle))
      s[p * half + i] = Float(sin(angle))
    }
  }
}

/// Rotates each head of `x` (rows × heads·headDim) in place, the rotate-half convention of HF's
/// `apply_rotary_pos_emb`; `inverse` applies the transpose (the backward pass).
func applyRoPE(
  _ x: FloatPointer, rows: Int, heads: Int, headDim: Int, positions: [Int32], cos c: FloatPointer,
  sin s: FloatPointer, inverse: Bool
) {
  let half = headDim / 2
  let stride = heads * headDim
  for t in 0..<rows {
    let table = Int(positions[t]) * half
    for head in 0..<heads {
      let base = x + t * stride + head * headDim
      for i in 0..<half {
        let a = base[i]
        let b = base[i + half]
        let co = c[table + i]
        let si = inverse ? -s[table + i] : s[table + i]
        base[i] = a * co - b * si
        base[i + half] = b * co + a * si
      }
    }
  }
}

/// Row-wise softmax of the lower triangle of a `size`×`size` score matrix; the strict upper
/// triangle (future positions) becomes exactly 0.
func causalSoftmax(_ scores: FloatPointer, size: Int) {
  for i in 0..<size {
    let row = scores + i * size
    var maxValue = row[0]
    for j in 0...i where row[j] > maxValue { maxValue = row[j] }
    var sum: Float = 0
    for j in 0...i {
      let e = expf(row[j] - maxValue)
      row[j] = e
      sum += e
    }
    let scale = 1 / sum
    for j in 0...i { row[j] *= scale }
    for j in (i + 1)..<size { row[j] = 0 }
  }
}

/// Softmax backward on the lower triangle: `dP ← P ⊙ (dP − rowsum(P ⊙ dP))`, 0 above the diagonal.
func causalSoftmaxBackward(probabilities p: FloatPointer, gradient dp: FloatPointer, size: Int) {
  for i in 0..<size {
    let pr = p + i * size
    let dr = dp + i * size
    var dot: Float = 0
    for j in 0...i { dot += pr[j] * dr[j] }
    for j in 0...i { dr[j] = pr[j] * (dr[j] - dot) }
    for j in (i + 1)..<size { dr[j] = 0 }
  }
}

/// SwiGLU: `a = silu(g) · u`.
func swiGLUForward(gate g: FloatPointer, up u: FloatPointer, out a: FloatPointer, count: Int) {
  for i in 0..<count {
    let sigmoid = 1 / (1 + expf(-g[i]))
    a[i] = g[i] * sigmoid * u[i]
  }
}

/// SwiGLU backward: from dL/da, writes dL/dg and dL/du.
func swiGLUBackward(
  gate g: FloatPointer, up u: FloatPointer, da: FloatPointer, dg: FloatPointer, du: FloatPointer, count: Int
) {
  for i in 0..<count {
    let sigmoid = 1 / (1 + expf(-g[i]))
    let silu = g[i] * sigmoid
    du[i] = da[i] * silu
    dg[i] = da[i] * u[i] * sigmoid * (1 + g[i] * (1 - sigmoid))
  }
}

/// Cross-entropy of one row of logits against `target`; replaces the row with
/// `(softmax − onehot) · scale` and returns the loss (natural log), summed in double precision.
func crossEntropyRow(_ logits: FloatPointer, count: Int, target: Int, gradientScale: Float) -> Double {
  var maxValue = logits[0]
  for j in 1..<count where logits[j] > maxValue { maxValue = logits[j] }
  let shifted = Double(logits[target] - maxValue)
  var sum = 0.0
  for j in 0..<count {
    let e = expf(logits[j] - maxValue)
    logits[j] = e
    sum += Double(e)
  }
  let loss = log(sum) - shifted
  let scale = Float(1 / sum) * gradientScale
  for j in 0..<count { logits[j] *= scale }
  logits[target] -= gradientScale
  return loss
}
