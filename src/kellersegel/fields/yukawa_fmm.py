"""A compiled, parallel fast multipole method for the 2-D Yukawa (modified Helmholtz) kernel.

Computes Φ(y_i) = Σ_{j≠i} w_j K_0(κ|y_i − x_j|) and ∇Φ(y_i), so that the Bessel kernel
G_λ = K_0(√λ r)/(2π) of (−Δ + λ) c = ρ gives c = Φ/(2π) with κ = √λ. It reuses the tree and
the interaction lists of the Laplace FMM (:mod:`~kellersegel.fields.laplace_fmm`) and replaces
the expansions by those of Graf's addition theorem (complex notation, w = |w| e^{iβ}):

- multipole about c: Φ(y) = Σ_{n∈ℤ} M_n K_n(κ|y − c|) e^{in arg(y−c)},
  M_n = Σ_j w_j I_n(κ|x_j − c|) e^{−in arg(x_j−c)} (M_{−n} = conj M_n);
- local about c: Φ(y) = Σ_m L_m I_m(κ|y − c|) e^{im arg(y−c)};
- M2L (D = c_t − c_s, |y − c_t| < |D|): L_m = (−1)^m Σ_n M_n K_{n−m}(κ|D|) e^{i(n−m) arg D};
- M2M and L2L from I_n(κ|a + b|) e^{in arg(a+b)} = Σ_m I_{n−m}(κ|a|) e^{i(n−m) arg a} I_m(κ|b|) e^{im arg b};
- the gradient from (∂_x − i∂_y) I_m e^{imβ} = κ I_{m−1} e^{i(m−1)β}.

Coefficients are scaled per level by s = min(κh, 1) (h the box side): M̃_n = M_n / s^|n|,
L̃_m = s^m L_m, so that for κh ≪ 1 every number stays O(1) as in the Laplace case. Boxes larger
than ``_EXPAND_KH``/κ get no expansions (the series would need more than p terms); they stay near
until their children are small enough, and boxes farther apart than ``drop_distance`` do not
interact at all (their contribution is below e^{−κ d} = tolerance/20).

Near field: ∇K_0(κr) = −(d/r²) z K_1(z), z = κr, with z K_1(z) = 1 + q (log q · S_1(q) − R_1(q)),
q = z²/4 and S_1, R_1 the power series of I_1 and of K_1's regular part: one division, one log
(exponent and mantissa from the bits, and the atanh series, so that the loop vectorises) and two
polynomials per pair, for leaves whose near boxes lie within z ≤ 6; K_1 itself elsewhere.

Every output value is accumulated by one thread in a fixed order, so the results do not depend on
the number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from kellersegel.fields.laplace_fmm import (
    _THETA,
    _interaction_lists,
    _near_block,
    _scatter,
    quadtree,
)
from kellersegel.kernels.compiled import bessel_k0, bessel_k1

__all__ = ["yukawa_fmm"]

#: the largest κh of a box with expansions (with it the tests at κ = 0.05 … 100 meet 2e-8 at
#: p = 17, as the Laplace FMM does)
_EXPAND_KH = 2.0
_EULER_GAMMA = 0.5772156649015329
_LN2 = math.log(2.0)
_SQRT2 = math.sqrt(2.0)
_FASTMATH = {"reassoc", "contract", "arcp", "nsz"}


def _series_coefficients(degree: int = 16) -> tuple[np.ndarray, ...]:
    """Taylor coefficients in q = z²/4 of S_0 = I_0, R_0 (K_0's regular part), S_1 = 2I_1/z and
    R_1 (K_1's), so that K_0 = −½ log q · S_0 + R_0 − γ S_0 and z K_1 = 1 + q (log q S_1 − R_1)."""
    k = np.arange(degree + 1, dtype=np.float64)
    fact = np.array([math.factorial(int(i)) for i in k], dtype=np.float64)
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / k[1:])])
    harmonic_next = harmonic + 1.0 / (k + 1.0)
    s0 = 1.0 / fact**2
    r0 = s0 * harmonic
    s1 = 1.0 / (fact * fact * (k + 1.0))
    r1 = s1 * (harmonic + harmonic_next - 2.0 * _EULER_GAMMA)
    return s0, r0, s1, r1


_S0, _R0, _S1, _R1 = _series_coefficients()
# the shorter series where every pair is near (z K_1 within 6·10⁻¹² for z ≤ 1/2, q ≤ 1/16: degree 4
# and 6 terms of the log's atanh series; within 1.2·10⁻¹² for z ≤ 2, q ≤ 1: degree 9 and 7 terms)
_ATANH = 1.0 / np.arange(1.0, 23.0, 2.0)  # atanh(s)/s = Σ s^{2k}/(2k + 1)
_S1_SHORT, _R1_SHORT = _S1[:5].copy(), _R1[:5].copy()
_S1_MID, _R1_MID = _S1[:10].copy(), _R1[:10].copy()
_ATANH_SHORT, _ATANH_MID = _ATANH[:6].copy(), _ATANH[:7].copy()
# reciprocals for the recurrence and the series of Î_m (orders m < 200, series terms k < 80)
_M = np.arange(200.0)
_INV_PAIR = np.concatenate([[0.0], 1.0 / (_M[1:] * (_M[1:] + 1.0))])  # 1/(m(m+1))
_INV_PAIR_SHIFTED = 1.0 / np.maximum(
    np.outer(_M[:80], np.ones(200)) * np.add.outer(_M[:80], _M), 1.0
)  # 1/(k(m+k))


@intrinsic
def _float_bits(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64 (an LLVM bitcast, which vectorises)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _bits_float(typingctx, n):
    """The float64 of IEEE-754 bits (inverse of ``_float_bits``)."""
    if not isinstance(n, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@numba.njit(cache=True, inline="always", fastmath=_FASTMATH)
def _log_positive(x, atanh=_ATANH):
    """log x for a normal x > 0 without a library call (vectorises): √2 x = 2^e m with e and
    m ∈ [1, 2) from the exponent and mantissa bits, so that x = 2^e μ with μ = m/√2 ∈ [1/√2, √2),
    then log μ = 2 atanh((μ − 1)/(μ + 1)) = 2 atanh((m − √2)/(m + √2)) by its series (error below
    4·10⁻¹⁵ relative to max(1, |log x|), tested)."""
    bits = _float_bits(x * _SQRT2)
    e = np.float64((bits >> 52) - 1023)
    m = _bits_float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    s = (m - _SQRT2) / (m + _SQRT2)
    return e * _LN2 + 2.0 * s * _poly(atanh, s * s)


@numba.njit(cache=True, inline="always")
def _poly(coef, q):
    """Σ_k coef[k] q^k (Horner)."""
    acc = coef[coef.shape[0] - 1]
    for j in range(coef.shape[0] - 2, -1, -1):
        acc = acc * q + coef[j]
    return acc


@numba.njit(cache=True)
def _scaled_i(x, p, out):
    """out[m] = Î_m(x) = m! (2/x)^m I_m(x) for m = 0..p (Î_m → 1 as x → 0), by the recurrence
    Î_{m−1} = Î_m + q Î_{m+1}/(m(m+1)), q = x²/4, downward from two values of the series."""
    q = 0.25 * x * x
    cur = _scaled_i_series(q, p)
    nxt = _scaled_i_series(q, p + 1)
    out[p] = cur
    for m in range(p, 0, -1):
        prev = cur + q * nxt * _INV_PAIR[m]
        nxt = cur
        cur = prev
        out[m - 1] = cur


@numba.njit(cache=True)
def _scaled_i_series(q, m):
    """Î_m = Σ_k q^k m!/(k! (m + k)!)."""
    term = 1.0
    total = 1.0
    for k in range(1, 80):
        term *= q * _INV_PAIR_SHIFTED[k, m]
        total += term
        if term < 1e-17 * total:
            break
    return total


@numba.njit(cache=True)
def _series_terms(q, m):
    """How many terms _scaled_i_series(q, m) sums (enough for every q' ≤ q)."""
    term = 1.0
    total = 1.0
    for k in range(1, 80):
        term *= q * _INV_PAIR_SHIFTED[k, m]
        total += term
        if term < 1e-17 * total:
            return k
    return 79


@numba.njit(cache=True, fastmath=_FASTMATH)
def _scaled_i_block(q, p, out):
    """out[m, j] = Î_m(x_j) for m = 0..p and q_j = x_j²/4, as ``_scaled_i`` does for one x, every
    step taken for all j at a time (loops over j that vectorise)."""
    n = q.shape[0]
    terms = _series_terms(q.max(), p) if n else 0
    nxt = np.ones(n)  # Î_{p+1}
    for m, row in ((p, out[p]), (p + 1, nxt)):
        row[:] = 1.0
        term = np.ones(n)
        for k in range(1, terms + 1):
            c = _INV_PAIR_SHIFTED[k, m]
            for j in range(n):
                term[j] *= q[j] * c
                row[j] += term[j]
    for m in range(p, 0, -1):
        c = _INV_PAIR[m]
        above = out[m + 1] if m < p else nxt
        for j in range(n):
            out[m - 1, j] = out[m, j] + q[j] * above[j] * c


@numba.njit(cache=True)
def _factorials(m):
    out = np.ones(m + 1)
    for j in range(1, m + 1):
        out[j] = out[j - 1] * j
    return out


@numba.njit(cache=True)
def _powers(x, n):
    """x^0 … x^n."""
    out = np.empty(n + 1, type(x))
    out[0] = 1.0
    for j in range(1, n + 1):
        out[j] = out[j - 1] * x
    return out


@numba.njit(cache=True)
def _m2m_operator(kappa, a, s_child, s_parent, p):
    """(p + 1, 2p + 1) matrix: parent's M̃_n (n ≥ 0) from the child's (M̃_{−p} … M̃_p, with
    M̃_{−m} = conj M̃_m), for the child centre c_p + a:
    M_n^parent = Σ_m I_{n−m}(κ|a|) e^{−i(n−m) arg a} M_m^child."""
    y = 0.5 * kappa * abs(a)
    ihat = np.empty(2 * p + 1)
    _scaled_i(2.0 * y, 2 * p, ihat)
    fact = _factorials(2 * p)
    base = ihat / fact * _powers(y / s_parent, 2 * p)
    ratio = _powers(s_child / s_parent, p)
    both = _powers(s_child * s_parent, 2 * p)
    phase = _powers(np.conj(a / abs(a)), 2 * p)
    op = np.zeros((p + 1, 2 * p + 1), np.complex128)
    for n in range(p + 1):
        for m in range(-p, p + 1):
            j = abs(n - m)
            if 0 <= m <= n:
                factor = base[j] * ratio[m]
            elif m > n:
                factor = base[j] * ratio[n] * both[m - n]
            else:
                factor = base[j] * both[-m]
            op[n, m + p] = factor * (phase[n - m] if n >= m else np.conj(phase[m - n]))
    return op


@numba.njit(cache=True)
def _l2l_operator(kappa, a, s_child, s_parent, p):
    """(p + 1, 2p + 1) matrix: the child's L̃_m (m ≥ 0) from the parent's (L̃_{−p} … L̃_p), for
    the child centre c_p + a: L_m^child = Σ_n L_n^parent I_{n−m}(κ|a|) e^{i(n−m) arg a}."""
    y = 0.5 * kappa * abs(a)
    ihat = np.empty(2 * p + 1)
    _scaled_i(2.0 * y, 2 * p, ihat)
    coef = ihat / _factorials(2 * p)
    by_parent = _powers(y / s_parent, 2 * p)
    by_child = _powers(y / s_child, 2 * p)
    ratio = _powers(s_child / s_parent, p)
    child2 = _powers(s_child * s_child, p)
    phase = _powers(a / abs(a), 2 * p)
    op = np.zeros((p + 1, 2 * p + 1), np.complex128)
    for m in range(p + 1):
        for n in range(-p, p + 1):
            j = abs(n - m)
            if n >= m:
                factor = by_parent[j] * ratio[m]
            elif n >= 0:
                factor = by_child[j] * ratio[n] * child2[m - n]
            else:
                factor = by_child[m] * child2[m] * by_parent[-n]
            op[m, n + p] = coef[j] * factor * (phase[n - m] if n >= m else np.conj(phase[m - n]))
    return op


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _p2m(zs, ws, start, end, leaves, centre, kappa, scale, p, mult):
    """M̃_m = Σ_j w_j Î_m(κ|u_j|) (κ/2s)^m/m! conj(u_j)^m, u_j = x_j − c (each order for all of a
    leaf's points at a time)."""
    for t in prange(leaves.shape[0]):
        node = leaves[t]
        a, b = start[node], end[node]
        ur = zs[a:b].real - centre[node].real
        ui = zs[a:b].imag - centre[node].imag
        ihat = np.empty((p + 1, b - a))
        _scaled_i_block(0.25 * kappa * kappa * (ur * ur + ui * ui), p, ihat)
        pr = ws[a:b].copy()  # w_j conj(u_j)^m
        pi = np.zeros(b - a)
        coef = 1.0
        for m in range(p + 1):
            if m > 0:
                coef *= kappa / (2.0 * scale[node] * m)
                for j in range(b - a):
                    r = pr[j] * ur[j] + pi[j] * ui[j]
                    pi[j] = pi[j] * ur[j] - pr[j] * ui[j]
                    pr[j] = r
            sr = 0.0
            si = 0.0
            for j in range(b - a):
                sr += pr[j] * ihat[m, j]
                si += pi[j] * ihat[m, j]
            mult[node, m] += coef * complex(sr, si)


@numba.njit(cache=True)
def _extended(coefficients, p, out):
    """(c_{−p} … c_p) from c_0 … c_p with c_{−m} = conj c_m."""
    for m in range(p + 1):
        out[p + m] = coefficients[m]
        out[p - m] = coefficients[m].conjugate()


@numba.njit(cache=True, inline="always")
def _add_product(op, ext, out):
    """out += op @ ext (op of shape (p + 1, 2p + 1), ext the extended coefficients)."""
    for r in range(op.shape[0]):
        acc = 0.0j
        for c in range(op.shape[1]):
            acc += op[r, c] * ext[c]
        out[r] += acc


@numba.njit(cache=True, parallel=True)
def _m2m(nodes, child, p, ops, mult):
    """Parents' multipoles from their children's: ops[q] for the child in quadrant q."""
    for t in prange(nodes.shape[0]):
        node = nodes[t]
        ext = np.empty(2 * p + 1, np.complex128)
        for q in range(4):
            ch = child[node, q]
            if ch < 0:
                continue
            _extended(mult[ch], p, ext)
            _add_product(ops[q], ext, mult[node])


@numba.njit(cache=True, parallel=True)
def _l2l(nodes, parent, prefix, p, ops, local):
    """Children's locals from their parent's: ops[q] for the child in quadrant q."""
    for t in prange(nodes.shape[0]):
        node = nodes[t]
        q = prefix[node] & 3
        ext = np.empty(2 * p + 1, np.complex128)
        _extended(local[parent[node]], p, ext)
        _add_product(ops[q], ext, local[node])


@numba.njit(cache=True, fastmath=_FASTMATH)
def _translate(coef, d, kappa, ss, st, p, out):
    """out[m] += L̃_m of the multipole ``coef`` (M̃_0 … M̃_p, scale ss) about a centre at −d from
    the target's (scale st): (−1)^m conj(E)^m [Σ_{n<m} g_t[m−n] w^n A_n + w^m Σ_{n≥m} g_s[n−m] A_n
    + v_t^m Σ_{k≥1} K̂_{m+k} v_s^k conj A_k], with d = |d| E, x = κ|d|, K̂_j = K_j(x)(x/2)^j
    (K̂_{j+1} = j K̂_j + (x²/4) K̂_{j−1}), v = 2s/x, w = s_s s_t, g[j] = K̂_j v^j, A_n = M̃_n E^n."""
    x = kappa * abs(d)
    big_e = d / abs(d)
    khat = np.empty(2 * p + 1)
    khat[0] = bessel_k0(x)
    khat[1] = 0.5 * x * bessel_k1(x)
    q = 0.25 * x * x
    for j in range(1, 2 * p):
        khat[j + 1] = j * khat[j] + q * khat[j - 1]
    vs = 2.0 * ss / x
    vt = 2.0 * st / x
    w = ss * st
    gs = np.empty(p + 1)
    gt = np.empty(p + 1)
    a = np.empty(p + 1, np.complex128)
    b = np.empty(p + 1, np.complex128)
    c = np.empty(p + 1, np.complex128)
    ps = 1.0
    pt = 1.0
    pw = 1.0
    epow = 1.0 + 0.0j
    for n in range(p + 1):
        gs[n] = khat[n] * ps
        gt[n] = khat[n] * pt
        a[n] = coef[n] * epow
        b[n] = pw * a[n]
        c[n] = ps * a[n].conjugate()
        ps *= vs
        pt *= vt
        pw *= w
        epow *= big_e
    wm = 1.0
    vtm = 1.0
    rot = 1.0 + 0.0j
    for m in range(p + 1):
        lower = 0.0j
        for n in range(m):
            lower += gt[m - n] * b[n]
        upper = 0.0j
        for n in range(m, p + 1):
            upper += gs[n - m] * a[n]
        mirror = 0.0j
        for k in range(1, p + 1):
            mirror += khat[m + k] * c[k]
        out[m] += rot * (lower + wm * upper + vtm * mirror)
        wm *= w
        vtm *= vt
        rot *= -big_e.conjugate()


@numba.njit(cache=True, fastmath=_FASTMATH)
def _translation_matrix(d, kappa, ss, st, p, out):
    """out (2(p+1), 2(p+1)), real: the map (Re M̃, Im M̃) → (Re L̃, Im L̃) of ``_translate``,
    entry by entry: L̃_m = Σ_n P_mn M̃_n + Σ_{k≥1} Q_mk conj M̃_k with R_m = (−1)^m conj(E)^m,
    P_mn = R_m E^n (g_t[m−n] w^n for n < m, w^m g_s[n−m] for n ≥ m), Q_mk = R_m conj(E)^k
    v_t^m K̂_{m+k} v_s^k (the notation of ``_translate``)."""
    x = kappa * abs(d)
    big_e = d / abs(d)
    khat = np.empty(2 * p + 1)
    khat[0] = bessel_k0(x)
    khat[1] = 0.5 * x * bessel_k1(x)
    q = 0.25 * x * x
    for j in range(1, 2 * p):
        khat[j + 1] = j * khat[j] + q * khat[j - 1]
    vs = 2.0 * ss / x
    vt = 2.0 * st / x
    w = ss * st
    pow_vs = np.empty(p + 1)
    pow_vt = np.empty(p + 1)
    pow_w = np.empty(p + 1)
    pow_e = np.empty(p + 1, np.complex128)
    pow_vs[0] = pow_vt[0] = pow_w[0] = 1.0
    pow_e[0] = 1.0
    for n in range(1, p + 1):
        pow_vs[n] = pow_vs[n - 1] * vs
        pow_vt[n] = pow_vt[n - 1] * vt
        pow_w[n] = pow_w[n - 1] * w
        pow_e[n] = pow_e[n - 1] * big_e
    for m in range(p + 1):
        rot = (-1.0) ** m * pow_e[m].conjugate()
        for n in range(p + 1):
            if n < m:
                alpha = khat[m - n] * pow_vt[m - n] * pow_w[n]
            else:
                alpha = pow_w[m] * khat[n - m] * pow_vs[n - m]
            pc = rot * pow_e[n] * alpha
            qc = rot * pow_e[n].conjugate() * (pow_vt[m] * khat[m + n] * pow_vs[n]) if n >= 1 else 0.0j
            out[m, n] = pc.real + qc.real
            out[m, p + 1 + n] = qc.imag - pc.imag
            out[p + 1 + m, n] = pc.imag + qc.imag
            out[p + 1 + m, p + 1 + n] = pc.real - qc.real


@numba.njit(cache=True, parallel=True)
def _offset_operators(kappa, h, scale, radius, p):
    """Real (2(p+1), 2(p+1)) matrices of the translation between boxes of side h (scale s) at
    offset (i, j) sides, |i|, |j| ≤ radius, max(|i|, |j|) ≥ 2 (index (2R + 1)(i + R) + j + R),
    acting on (Re M̃, Im M̃) and giving (Re L̃, Im L̃)."""
    size = 2 * (p + 1)
    width = 2 * radius + 1
    ops = np.zeros((width * width, size, size))
    for idx in prange(width * width):
        i = idx // width - radius
        j = idx % width - radius
        if max(abs(i), abs(j)) < 2:
            continue
        _translation_matrix(complex(i * h, j * h), kappa, scale, scale, p, ops[idx])
    return ops


def _translation_tables(kappa, side_at, scale_at, entries, coarse, drop, p):
    """Per level the offset matrices of radius 3 (where a node's parent has expansions, its
    separated same-size boxes lie within 3 sides), and for the coarsest level with expansions,
    whose parent has none, those of radius ⌈drop/h⌉ + 1 (bounded by the boxes across the
    domain). A table costs about one translation per offset (``_translation_matrix``) and turns
    the level's ``entries`` into grouped matrix products; levels with fewer than 40 entries per
    offset get a dummy table (radius 0: every translation computed term by term). The threshold
    dates from tables of 2(p + 1) translations per offset; 4 measured the same at 10⁵, κ = 1."""
    size = 2 * (p + 1)
    tables = []
    radii = np.zeros(side_at.shape[0], np.int64)
    for lv in range(side_at.shape[0]):
        radius = 3
        if lv == coarse:
            radius = max(3, min(math.ceil(drop / side_at[lv]) + 1, 2**lv))
        if entries[lv] >= 40 * (2 * radius + 1) ** 2:
            tables.append(_offset_operators(kappa, side_at[lv], scale_at[lv], radius, p))
            radii[lv] = radius
        else:
            tables.append(np.zeros((1, size, size)))
    return numba.typed.List(tables), radii


#: target nodes per M2L block: one table matrix serves every target of a block with a source at
#: its offset (a matrix–matrix product), and the block's buffers stay in the L1 cache
_M2L_BLOCK = 32


@numba.njit(cache=True, inline="always")
def _offset_index(d, h, radius):
    """The table index (2R + 1)(i + R) + j + R of the offset d ≈ (i, j) h, or −1 beyond radius R."""
    i = int(round(d.real / h))
    j = int(round(d.imag / h))
    if max(abs(i), abs(j)) > radius:
        return -1
    return (2 * radius + 1) * (i + radius) + j + radius


@numba.njit(cache=True, fastmath=_FASTMATH)
def _entries_by_offset(lo, hi, first, sources, tree, radius, kappa, scale, p, mult, other):
    """The M2L entries of the targets lo..hi−1 (one level, boxes of side h) grouped by table offset
    (a counting sort: group o is src/tgt[count[o]:count[o + 1]], tgt relative to lo, in list
    order); entries with a box of another size or beyond the radius translated term by term into
    ``other`` (by target, in list order)."""
    centre, side = tree
    h = side[lo]
    offsets = (2 * radius + 1) ** 2
    count = np.zeros(offsets + 1, np.int64)
    for node in range(lo, hi):
        for e in range(first[node], first[node + 1]):
            s = sources[e]
            d = centre[node] - centre[s]
            o = _offset_index(d, h, radius) if side[s] == h else -1
            if o < 0:
                _translate(mult[s], d, kappa, scale[s], scale[node], p, other[node - lo])
            else:
                count[o + 1] += 1
    for o in range(offsets):
        count[o + 1] += count[o]
    fill = count[:offsets].copy()
    src = np.empty(count[offsets], np.int64)
    tgt = np.empty(count[offsets], np.int64)
    for node in range(lo, hi):
        for e in range(first[node], first[node + 1]):
            s = sources[e]
            o = _offset_index(centre[node] - centre[s], h, radius) if side[s] == h else -1
            if o >= 0:
                src[fill[o]] = s
                tgt[fill[o]] = node - lo
                fill[o] += 1
    return count, src, tgt


@numba.njit(cache=True)
def _table_products(count, src, tgt, table, p, mult, acc):
    """acc[tgt] += table[o] (Re M̃, Im M̃)[src] for every group o in turn: one matrix product per
    group, (group rows × 2(p + 1)) @ table[o]ᵀ."""
    size = 2 * (p + 1)
    rows = np.empty((np.diff(count).max(), size))
    for o in range(count.shape[0] - 1):
        k0 = count[o]
        k = count[o + 1] - k0
        if k == 0:
            continue
        for c in range(k):
            for m in range(p + 1):
                rows[c, m] = mult[src[k0 + c], m].real
                rows[c, p + 1 + m] = mult[src[k0 + c], m].imag
        prod = np.dot(rows[:k], table[o].T)
        for c in range(k):
            acc[tgt[k0 + c]] += prod[c]


@numba.njit(cache=True, parallel=True)
def _m2l(first, sources, blocks, tree, kappa, scale, p, tables, mult, local):
    """Every node's local expansion from the multipoles of its M2L list, per block of target
    nodes of one level (``blocks`` = (lo, hi) node ranges): for boxes of one size within the
    table's radius, the entries grouped by offset and each group one product with the offset's
    precomputed real matrix (``tables``), added to the targets offset by offset; for boxes of
    different sizes, ``_translate`` per pair (``tree`` = (level, centre, side)). The order of
    every target's sum is fixed by the lists, the offsets and the blocks (which depend on the
    tree only), whatever the number of threads."""
    level, centre, side = tree
    ops, radii = tables
    block_lo, block_hi = blocks
    for b in prange(block_lo.shape[0]):
        lo = block_lo[b]
        hi = block_hi[b]
        other = np.zeros((hi - lo, p + 1), np.complex128)
        radius = radii[level[lo]]
        count, src, tgt = _entries_by_offset(
            lo, hi, first, sources, (centre, side), radius, kappa, scale, p, mult, other
        )
        acc = np.zeros((hi - lo, 2 * (p + 1)))
        _table_products(count, src, tgt, ops[level[lo]], p, mult, acc)
        for node in range(lo, hi):
            for m in range(p + 1):
                local[node, m] += complex(acc[node - lo, m], acc[node - lo, p + 1 + m]) + other[node - lo, m]


def _m2l_blocks(first, level):
    """(lo, hi) ranges of consecutive nodes of one level, over the nodes with an M2L list (nodes
    run level by level): at most ``_M2L_BLOCK``, and at least 16 blocks where a level has enough
    nodes (the coarse levels translate term by term, so that their work is spread)."""
    bounds = np.searchsorted(level, np.arange(level.max() + 2))
    los, his = [], []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        width = int(min(_M2L_BLOCK, max(1, (b - a) // 16)))
        los.append(np.arange(a, b, width))
        his.append(np.minimum(los[-1] + width, b))
    lo, hi = np.concatenate(los), np.concatenate(his)
    busy = (first[hi] - first[lo]) > 0
    return lo[busy].astype(np.int64), hi[busy].astype(np.int64)


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _l2p(zs, start, end, leaves, centre, kappa, scale, p, local, potential, out_f, out_g):
    """Φ = L̃_0 f_0 + 2 Re Σ_{m≥1} L̃_m f_m and (∂_x − i∂_y)Φ = κ[s L̃_0 conj f_1
    + (1/s) Σ_{m≥1} L̃_m f_{m−1} + s Σ_{m≥1} conj(L̃_m f_{m+1})], f_m = Î_m(κ|w|) (κ/2s)^m/m! w^m
    (one pass over m = 0..p + 1, each f_m for all of a leaf's points at a time)."""
    for t in prange(leaves.shape[0]):
        node = leaves[t]
        a, b = start[node], end[node]
        n = b - a
        s = scale[node]
        wr = zs[a:b].real - centre[node].real
        wi = zs[a:b].imag - centre[node].imag
        ihat = np.empty((p + 2, n))
        _scaled_i_block(0.25 * kappa * kappa * (wr * wr + wi * wi), p + 1, ihat)
        pr = np.ones(n)  # w^m
        pi = np.zeros(n)
        down_r = np.zeros(n)  # Σ L̃_m f_{m−1}
        down_i = np.zeros(n)
        up_r = np.zeros(n)  # Σ L̃_m f_{m+1} and s conj(L̃_0) f_1
        up_i = np.zeros(n)
        val = np.zeros(n)  # ½ Re L̃_0 f_0 + Re Σ_{m≥1} L̃_m f_m
        # what f_m adds to down (L̃_{m+1}/s), to up (s L̃_{m−1}; for m = 1 s conj L̃_0, as the sum is
        # conjugated) and to the potential (L̃_m, and ½ L̃_0 for m = 0, as it is doubled)
        dn = np.zeros(p + 2, np.complex128)
        up = np.zeros(p + 2, np.complex128)
        at = np.zeros(p + 2, np.complex128)
        dn[:p] = local[node, 1 : p + 1] / s
        up[2:] = s * local[node, 1 : p + 1]
        up[1] = s * local[node, 0].conjugate()
        at[1 : p + 1] = local[node, 1 : p + 1]
        at[0] = 0.5 * local[node, 0]
        coef = 1.0
        for m in range(p + 2):
            if m > 0:
                coef *= kappa / (2.0 * s * m)
                for j in range(n):
                    r = pr[j] * wr[j] - pi[j] * wi[j]
                    pi[j] = pr[j] * wi[j] + pi[j] * wr[j]
                    pr[j] = r
            for j in range(n):
                fr = ihat[m, j] * coef * pr[j]
                fi = ihat[m, j] * coef * pi[j]
                down_r[j] += dn[m].real * fr - dn[m].imag * fi
                down_i[j] += dn[m].real * fi + dn[m].imag * fr
                up_r[j] += up[m].real * fr - up[m].imag * fi
                up_i[j] += up[m].real * fi + up[m].imag * fr
                if potential:
                    val[j] += at[m].real * fr - at[m].imag * fi
        for j in range(n):
            # (∂_x − i∂_y)Φ = κ(down + conj(up)): ∂_xΦ = κ Re(down + conj up), ∂_yΦ = −κ Im(...)
            out_g[a + j, 0] += kappa * (down_r[j] + up_r[j])
            out_g[a + j, 1] -= kappa * (down_i[j] - up_i[j])
            if potential:
                out_f[a + j] += 2.0 * val[j]


@numba.njit(cache=True, inline="always", fastmath=_FASTMATH)
def _series_gradient(bx, by, bw, xi, yi, skip, c4, s1, r1, atanh):
    """−Σ_k bw_k (d_k/u_k)(1 + q_k (log q_k S_1(q_k) − R_1(q_k))), d_k = y − b_k, u_k = |d_k|²,
    q_k = c4 u_k, without the term k = skip (one loop that vectorises)."""
    gx = 0.0
    gy = 0.0
    for k in range(bx.shape[0]):
        dx = xi - bx[k]
        dy = yi - by[k]
        u = dx * dx + dy * dy
        q = c4 * u
        corr = c4 * (_log_positive(max(q, 1e-15), atanh) * _poly(s1, q) - _poly(r1, q))
        f = bw[k] * (1.0 / u + corr) if k != skip else 0.0
        gx -= f * dx
        gy -= f * dy
    return gx, gy


@numba.njit(cache=True, inline="always", fastmath=_FASTMATH)
def _bessel_gradient(bx, by, bw, xi, yi, skip, kappa):
    """−Σ_k bw_k κ K_1(κ r_k) d_k/r_k without the term k = skip (K_1 itself: any distance)."""
    gx = 0.0
    gy = 0.0
    for k in range(bx.shape[0]):
        if k == skip:
            continue
        dx = xi - bx[k]
        dy = yi - by[k]
        r = math.sqrt(dx * dx + dy * dy)
        f = bw[k] * kappa * bessel_k1(kappa * r) / r
        gx -= f * dx
        gy -= f * dy
    return gx, gy


@numba.njit(cache=True, inline="always")
def _near_potential(bx, by, bw, xi, yi, skip, kappa, series):
    """Σ_k bw_k K_0(κ r_k) without the term k = skip; K_0 = −½ log q S_0 + R_0 − γ S_0 where
    ``series`` (z ≤ 6), K_0 itself otherwise."""
    c4 = 0.25 * kappa * kappa
    pot = 0.0
    for k in range(bx.shape[0]):
        if k == skip:
            continue
        dx = xi - bx[k]
        dy = yi - by[k]
        u = dx * dx + dy * dy
        if series:
            q = c4 * u
            s0 = _poly(_S0, q)
            pot += bw[k] * (-0.5 * math.log(q) * s0 + _poly(_R0, q) - _EULER_GAMMA * s0)
        else:
            pot += bw[k] * bessel_k0(kappa * math.sqrt(u))
    return pot


@numba.njit(cache=True, inline="always")
def _near_reach(node, first, sources, centre, side):
    """A bound on the distance between a point of the leaf ``node`` and a point of a box of its near
    list: max over the list of |c_s − c_node| + (side_s + side_node)/√2 (the half-diagonals)."""
    reach = 0.0
    for e in range(first[node], first[node + 1]):
        s = sources[e]
        reach = max(reach, abs(centre[s] - centre[node]) + 0.7071067811865476 * (side[s] + side[node]))
    return reach


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _p2p(xs, ys, ws, start, end, leaves, first, sources, tree, kappa, potential, out_f, out_g):
    """Direct sums over each leaf's near list: ∇Φ += −Σ_j w_j (d/r²) z K_1(z), Φ += Σ_j w_j K_0(z)
    (d = y_i − x_j, z = κ|d|, j ≠ i). Where every pair of the leaf has z ≤ 6, by the series in
    q = z²/4 (vectorised; degree 16, within 2·10⁻¹³ of z K_1; shorter where z ≤ 2 and z ≤ 1/2), by K_0 and
    K_1 otherwise (``tree`` = (centre, side))."""
    centre, side = tree
    c4 = 0.25 * kappa * kappa
    for t in prange(leaves.shape[0]):
        node = leaves[t]
        reach = _near_reach(node, first, sources, centre, side)
        bx, by, bw, own = _near_block(node, xs, ys, ws, start, end, first, sources)
        series = kappa * reach <= 6.0
        short = kappa * reach <= 0.5
        mid = kappa * reach <= 2.0
        for i in range(start[node], end[node]):
            skip = own + i - start[node]
            if short:
                gx, gy = _series_gradient(
                    bx, by, bw, xs[i], ys[i], skip, c4, _S1_SHORT, _R1_SHORT, _ATANH_SHORT
                )
            elif mid:
                gx, gy = _series_gradient(bx, by, bw, xs[i], ys[i], skip, c4, _S1_MID, _R1_MID, _ATANH_MID)
            elif series:
                gx, gy = _series_gradient(bx, by, bw, xs[i], ys[i], skip, c4, _S1, _R1, _ATANH)
            else:
                gx, gy = _bessel_gradient(bx, by, bw, xs[i], ys[i], skip, kappa)
            out_g[i, 0] += gx
            out_g[i, 1] += gy
            if potential:
                out_f[i] += _near_potential(bx, by, bw, xs[i], ys[i], skip, kappa, series)


def drop_distance(kappa: float, tolerance: float) -> float:
    """Boxes farther apart than this do not interact: e^{−κd} = tolerance/20."""
    return math.log(20.0 / tolerance) / kappa


def yukawa_fmm(
    points: np.ndarray,
    weights: np.ndarray,
    kappa: float,
    order: int = 17,
    leaf_size: int = 64,
    potential: bool = False,
    tolerance: float = 1e-7,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Φ and ∇Φ at every point with the self term excluded (see the module docstring).

    Parameters
    ----------
    points : ndarray, shape (n, 2)
    weights : ndarray, shape (n,)
    kappa : float
        κ > 0 of K_0(κr) (√λ for (−Δ + λ)).
    order : int
        Expansion order p (as for the Laplace FMM: ``order_for_tolerance``).
    leaf_size : int
        Most points in a leaf box.
    potential : bool
        Also return Φ (else None).
    tolerance : float
        Sets the distance beyond which boxes do not interact (``drop_distance``).

    Returns
    -------
    phi : ndarray, shape (n,), or None
        Σ_{j≠i} w_j K_0(κ|y_i − x_j|).
    gradient : ndarray, shape (n, 2)
    """
    if not kappa > 0:
        raise ValueError(f"kappa must be > 0, got {kappa}")
    points = np.ascontiguousarray(points, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    n = points.shape[0]
    if n == 0:
        return (np.zeros(0) if potential else None), np.zeros((0, 2))
    expand_side = _EXPAND_KH / kappa
    # every leaf gets expansions: boxes larger than expand_side are split whatever their count
    tree = quadtree(points, weights, leaf_size, max_leaf_side=expand_side)
    perm, xs, ys, ws, zs = tree.perm, tree.xs, tree.ys, tree.ws, tree.zs
    start, end, level, prefix, child, parent = (
        tree.start,
        tree.end,
        tree.level,
        tree.prefix,
        tree.child,
        tree.parent,
    )
    centre, side, is_leaf, side0 = tree.centre, tree.side, tree.is_leaf, tree.side0
    p = int(order)
    scale = np.minimum(kappa * side, 1.0)
    m = start.shape[0]
    mult = np.zeros((m, p + 1), np.complex128)
    local = np.zeros((m, p + 1), np.complex128)
    expanded = side <= expand_side
    leaves = np.flatnonzero(is_leaf).astype(np.int64)
    expanded_leaves = np.flatnonzero(is_leaf & expanded).astype(np.int64)
    _p2m(zs, ws, start, end, expanded_leaves, centre, kappa, scale, p, mult)
    depth = int(level.max())
    side_at = side0 / 2.0 ** np.arange(depth + 2)
    scale_at = np.minimum(kappa * side_at, 1.0)

    def quadrant_ops(builder, lv):  # operators between levels lv (parent) and lv + 1 (children)
        h = side_at[lv + 1]
        shifts = [complex(((q >> 1) - 0.5) * h, ((q & 1) - 0.5) * h) for q in range(4)]
        return np.stack([builder(kappa, a, scale_at[lv + 1], scale_at[lv], p) for a in shifts])

    for lv in range(depth, -1, -1):
        nodes = np.flatnonzero((level == lv) & ~is_leaf & expanded).astype(np.int64)
        if nodes.size:
            _m2m(nodes, child, p, quadrant_ops(_m2m_operator, lv), mult)
    rule = (_THETA, expand_side, drop_distance(kappa, tolerance))
    m2l_first, m2l_sources, p2p_first, p2p_sources = _interaction_lists(
        level, parent, child, centre, side, is_leaf, rule
    )
    entries = np.bincount(level, weights=np.diff(m2l_first), minlength=depth + 2)
    ops = _translation_tables(kappa, side_at, scale_at, entries, tree.min_level, rule[2], p)
    blocks = _m2l_blocks(m2l_first, level)
    _m2l(m2l_first, m2l_sources, blocks, (level, centre, side), kappa, scale, p, ops, mult, local)
    for lv in range(1, depth + 1):
        nodes = np.flatnonzero((level == lv) & expanded[parent.clip(0)]).astype(np.int64)
        if nodes.size:
            _l2l(nodes, parent, prefix, p, quadrant_ops(_l2l_operator, lv - 1), local)
    out_f = np.zeros(n)
    out_g = np.zeros((n, 2))
    _l2p(zs, start, end, expanded_leaves, centre, kappa, scale, p, local, potential, out_f, out_g)
    near = (p2p_first, p2p_sources, (centre, side))
    _p2p(xs, ys, ws, start, end, leaves, *near, kappa, potential, out_f, out_g)
    grad = np.empty((n, 2))
    _scatter(out_g[:, 0].copy(), perm, grad[:, 0])
    _scatter(out_g[:, 1].copy(), perm, grad[:, 1])
    if potential:
        f = np.empty(n)
        _scatter(out_f, perm, f)
        return f, grad
    return None, grad
