"""A compiled, parallel fast multipole method for the 2-D Laplace kernel (numba).

Computes f(y_i) = Σ_{j≠i} w_j log(y_i − x_j) (complex logarithm) and f'(y_i) = Σ_{j≠i} w_j/(y_i − x_j)
in complex notation z = x + iy, so that Σ_j w_j log|y − x_j| = Re f and its gradient is
(Re f', −Im f'). The method is Greengard–Rokhlin's with complex Laurent/Taylor expansions of order p:

- an adaptive quadtree over Morton-sorted points (leaves of at most ``leaf_size`` points);
- multipole expansions about box centres, scaled by the box side so that every coefficient and
  translation factor stays O(1) at any depth (P2M, M2M);
- interaction lists built level by level, every node of a level in parallel, from its parent's
  near list: a box well separated from the node gives a multipole-to-local translation (M2L);
  otherwise it stays near, and a leaf sums the points of the near leaves directly (P2P).
  Separated: for boxes of one size, not adjacent (the classical criterion: 27 translations and
  9 near boxes per box where the tree is uniform); for boxes of different sizes (adaptive
  trees), (r_T + r_S) ≤ θ |c_T − c_S| with r the half diagonal and θ = 1/2, which keeps the
  error of those pairs below the error of the same-size ones on clustered sets;
- M2L per target node as a real matrix–vector product with the Hankel matrix C(ℓ+k−1, k−1)
  on the scaled coefficients; P2P per leaf over one contiguous copy of its near sources;
- local expansions passed down (L2L) and evaluated at the points (L2P).

Every output value is accumulated by one thread in a fixed order, so the results do not depend on
the number of threads.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
from numba import prange

from kellersegel.fields.base import bounding_box

__all__ = ["laplace_fmm", "order_for_tolerance"]

_LEVELS = 21  # Morton depth: 2 × 21 bits
_THETA = 0.5  # for boxes of different sizes; boxes of one size are separated when not adjacent
_HALF_DIAGONAL = math.sqrt(2.0) / 2.0  # per unit of box side
# reassociation lets the compiler vectorise the sums; no assumption about NaN or infinity
_FASTMATH = {"reassoc", "contract", "arcp", "nsz"}


def order_for_tolerance(tolerance: float) -> int:
    """Expansion order p for a tolerance on max |error of ∇| / max |∇|, at least 6.

    Measured on 2·10⁴ Gaussian points (leaves of 64): the error is at most about
    1.8·10⁻³ × 0.486^p (p = 10: 1.3e-6, 14: 3.9e-8, 16: 1.7e-8, 20: 5.4e-10, 24: 1.4e-11,
    28: 5.8e-13); p is chosen for a tenth of the tolerance under that law.
    """
    return max(6, int(math.ceil(math.log(tolerance / 0.018) / math.log(0.486))))


@numba.njit(cache=True)
def _morton(ix, iy):
    """Interleave the bits of two 21-bit cell indices (x in the odd positions)."""
    key = np.int64(0)
    for b in range(_LEVELS):
        key |= ((ix >> b) & 1) << (2 * b + 1)
        key |= ((iy >> b) & 1) << (2 * b)
    return key


@numba.njit(cache=True, parallel=True)
def _keys(x, y, x0, y0, scale):
    n = x.shape[0]
    keys = np.empty(n, np.int64)
    top = (1 << _LEVELS) - 1
    for i in prange(n):
        ix = min(int((x[i] - x0) * scale), top)
        iy = min(int((y[i] - y0) * scale), top)
        keys[i] = _morton(np.int64(ix), np.int64(iy))
    return keys


@numba.njit(cache=True, parallel=True)
def _gather(points, weights, perm):
    """x, y and w in the order ``perm``."""
    n = perm.shape[0]
    xs = np.empty(n)
    ys = np.empty(n)
    ws = np.empty(n)
    for i in prange(n):
        j = perm[i]
        xs[i] = points[j, 0]
        ys[i] = points[j, 1]
        ws[i] = weights[j]
    return xs, ys, ws


@numba.njit(cache=True, parallel=True)
def _scatter(values, perm, out):
    for i in prange(perm.shape[0]):
        out[perm[i]] = values[i]


def _sorted_keys(keys):
    """Keys in increasing order, the permutation (ties in index order, as a stable argsort) and
    the depth the keys resolve.

    Key and index are packed into one int64 and sorted by value (NumPy's vectorised sort, about
    6× faster than argsort at 10⁶); where 2·21 + log₂ n bits do not fit, the finest levels of
    the key are dropped (points then share the finest cells, the tree stops above them)."""
    n = keys.shape[0]
    index_bits = max(1, int(n - 1).bit_length())
    drop = max(0, 2 * _LEVELS + index_bits - 63)
    drop += drop % 2
    packed = np.sort(((keys >> drop) << index_bits) | np.arange(n, dtype=np.int64))
    perm = packed & ((1 << index_bits) - 1)
    return (packed >> index_bits) << drop, perm, _LEVELS - drop // 2


@numba.njit(cache=True)
def _build_tree(keys, leaf_size, levels, min_level):
    """Nodes of the adaptive quadtree over sorted Morton keys (breadth first); boxes above
    ``min_level`` are split whatever their number of points."""
    n = keys.shape[0]
    cap = max(16, 4 * (n // max(leaf_size, 1) + 1) * 4)
    start = np.empty(cap, np.int64)
    end = np.empty(cap, np.int64)
    level = np.empty(cap, np.int64)
    prefix = np.empty(cap, np.int64)
    child = -np.ones((cap, 4), np.int64)
    parent = -np.ones(cap, np.int64)
    start[0], end[0], level[0], prefix[0] = 0, n, 0, 0
    count = 1
    head = 0
    while head < count:
        node = head
        head += 1
        small = end[node] - start[node] <= leaf_size and level[node] >= min_level
        if small or level[node] >= levels:
            continue
        shift = 2 * (_LEVELS - level[node] - 1)
        lo = start[node]
        for q in range(4):
            bound = (prefix[node] * 4 + q + 1) << shift
            hi = lo + np.searchsorted(keys[lo : end[node]], bound)
            if hi > lo:
                if count >= cap:
                    grow = 2 * cap
                    start = np.concatenate((start, np.empty(grow - cap, np.int64)))
                    end = np.concatenate((end, np.empty(grow - cap, np.int64)))
                    level = np.concatenate((level, np.empty(grow - cap, np.int64)))
                    prefix = np.concatenate((prefix, np.empty(grow - cap, np.int64)))
                    child = np.concatenate((child, -np.ones((grow - cap, 4), np.int64)))
                    parent = np.concatenate((parent, -np.ones(grow - cap, np.int64)))
                    cap = grow
                start[count], end[count] = lo, hi
                level[count] = level[node] + 1
                prefix[count] = prefix[node] * 4 + q
                parent[count] = node
                child[node, q] = count
                count += 1
            lo = hi
    return start[:count], end[:count], level[:count], prefix[:count], child[:count], parent[:count]


@numba.njit(cache=True)
def _centres(level, prefix, x0, y0, side0):
    m = level.shape[0]
    cx = np.empty(m)
    cy = np.empty(m)
    side = np.empty(m)
    for k in range(m):
        ix = 0
        iy = 0
        p = prefix[k]
        for b in range(level[k]):
            ix |= ((p >> (2 * b + 1)) & 1) << b
            iy |= ((p >> (2 * b)) & 1) << b
        s = side0 / (1 << level[k])
        side[k] = s
        cx[k] = x0 + (ix + 0.5) * s
        cy[k] = y0 + (iy + 0.5) * s
    return cx, cy, side


@numba.njit(cache=True)
def _binomials(p):
    c = np.zeros((2 * p + 2, 2 * p + 2))
    for n in range(2 * p + 2):
        c[n, 0] = 1.0
        for k in range(1, n + 1):
            c[n, k] = c[n - 1, k - 1] + c[n - 1, k]
    return c


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _p2m(zs, ws, start, end, leaves, centre, side, p, mult):
    """a_0 = Σ_j q_j, a_k = −Σ_j q_j u_j^k / k (u_j = (x_j − c)/side), the powers of one leaf's
    points advanced together (a loop over the points that vectorises)."""
    for t in prange(leaves.shape[0]):
        node = leaves[t]
        a, b = start[node], end[node]
        inv = 1.0 / side[node]
        ur = (zs[a:b].real - centre[node].real) * inv
        ui = (zs[a:b].imag - centre[node].imag) * inv
        pr = ws[a:b].copy()  # q_j u_j^k
        pi = np.zeros(b - a)
        mult[node, 0] += pr.sum()
        for k in range(1, p + 1):
            sr = 0.0
            si = 0.0
            for j in range(b - a):
                r = pr[j] * ur[j] - pi[j] * ui[j]
                pi[j] = pr[j] * ui[j] + pi[j] * ur[j]
                pr[j] = r
                sr += r
                si += pi[j]
            mult[node, k] -= complex(sr, si) / k


@numba.njit(cache=True, parallel=True)
def _m2m(nodes, child, centre, side, p, binom, mult):
    for t in prange(nodes.shape[0]):
        node = nodes[t]
        for q in range(4):
            ch = child[node, q]
            if ch < 0:
                continue
            delta = (centre[ch] - centre[node]) / side[node]
            a0 = mult[ch, 0]
            mult[node, 0] += a0
            # powers of δ and of the scaled child coefficients ã_k (1/2)^k
            dpow = np.empty(p + 1, np.complex128)
            dpow[0] = 1.0
            for k in range(1, p + 1):
                dpow[k] = dpow[k - 1] * delta
            for ell in range(1, p + 1):
                acc = -a0 * dpow[ell] / ell
                half = 1.0
                for k in range(1, ell + 1):
                    half *= 0.5
                    acc += mult[ch, k] * half * dpow[ell - k] * binom[ell - 1, k - 1]
                mult[node, ell] += acc


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _m2l(first, sources, centre, side, p, shift, inv_ell, mult, local):
    """local_c[ℓ] += (r_c/z0)^ℓ (Σ_k B[ℓ,k] a_k (−r_s/z0)^k − a_0/ℓ), ℓ ≥ 1, and
    local_c[0] += a_0 log(−z0) + Σ_k a_k (−r_s/z0)^k, for every source s in c's list
    (z0 = c_s − c_c, B[ℓ,k] = C(ℓ+k−1, k−1)).

    The sum over k is a real matrix–vector product on the real and imaginary parts, which
    vectorises; each node's expansion is accumulated by one thread in list order."""
    for node in prange(first.shape[0] - 1):
        if first[node + 1] == first[node]:
            continue
        rt = side[node]
        tr = np.empty(p + 1)
        ti = np.empty(p + 1)
        lr = np.zeros(p + 1)
        li = np.zeros(p + 1)
        for e in range(first[node], first[node + 1]):
            s = sources[e]
            z0 = centre[s] - centre[node]
            u = -side[s] / z0
            v = rt / z0
            a0 = mult[s, 0]
            power = 1.0 + 0.0j
            acc0 = a0 * np.log(-z0)
            for k in range(1, p + 1):
                power *= u
                term = mult[s, k] * power
                tr[k] = term.real
                ti[k] = term.imag
                acc0 += term
            lr[0] += acc0.real
            li[0] += acc0.imag
            vpow = 1.0 + 0.0j
            for ell in range(1, p + 1):
                vpow *= v
                sr = -a0.real * inv_ell[ell]
                si = -a0.imag * inv_ell[ell]
                for k in range(1, p + 1):
                    sr += shift[ell, k] * tr[k]
                    si += shift[ell, k] * ti[k]
                lr[ell] += vpow.real * sr - vpow.imag * si
                li[ell] += vpow.real * si + vpow.imag * sr
        for ell in range(p + 1):
            local[node, ell] += complex(lr[ell], li[ell])


@numba.njit(cache=True, parallel=True)
def _l2l(nodes, parent, centre, side, p, binom, local):
    for t in prange(nodes.shape[0]):
        node = nodes[t]
        par = parent[node]
        delta = (centre[node] - centre[par]) / side[par]
        dpow = np.empty(p + 1, np.complex128)
        dpow[0] = 1.0
        for k in range(1, p + 1):
            dpow[k] = dpow[k - 1] * delta
        half = 1.0
        for k in range(p + 1):
            acc = 0.0j
            for ell in range(k, p + 1):
                acc += local[par, ell] * binom[ell, k] * dpow[ell - k]
            local[node, k] += acc * half
            half *= 0.5


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _l2p(zs, start, end, leaves, centre, side, p, local, potential, out_f, out_df):
    """f and f' of each leaf's local expansion at its points (Horner in u = (y − c)/side, one
    step for all of the leaf's points at a time: a loop that vectorises)."""
    for t in prange(leaves.shape[0]):
        node = leaves[t]
        a, b = start[node], end[node]
        inv = 1.0 / side[node]
        ur = (zs[a:b].real - centre[node].real) * inv
        ui = (zs[a:b].imag - centre[node].imag) * inv
        top = local[node, p]
        fr = np.full(b - a, top.real)
        fi = np.full(b - a, top.imag)
        dr = np.full(b - a, p * top.real)
        di = np.full(b - a, p * top.imag)
        for ell in range(p - 1, -1, -1):
            cr = local[node, ell].real
            ci = local[node, ell].imag
            for j in range(b - a):
                r = fr[j] * ur[j] - fi[j] * ui[j] + cr
                fi[j] = fr[j] * ui[j] + fi[j] * ur[j] + ci
                fr[j] = r
            if ell >= 1:
                for j in range(b - a):
                    r = dr[j] * ur[j] - di[j] * ui[j] + ell * cr
                    di[j] = dr[j] * ui[j] + di[j] * ur[j] + ell * ci
                    dr[j] = r
        for j in range(b - a):
            out_df[a + j] += complex(dr[j], di[j]) * inv
            if potential:
                out_f[a + j] += fr[j]


@numba.njit(cache=True)
def _near_block(node, xs, ys, ws, start, end, first, sources):
    """x, y and w of the points of the node's near list ``sources[first[node]:first[node+1]]``
    copied into one contiguous block, and where the node's own points start in it."""
    count = 0
    for e in range(first[node], first[node + 1]):
        count += end[sources[e]] - start[sources[e]]
    bx = np.empty(count)
    by = np.empty(count)
    bw = np.empty(count)
    own = 0
    k = 0
    for e in range(first[node], first[node + 1]):
        s = sources[e]
        if s == node:
            own = k
        for j in range(start[s], end[s]):
            bx[k] = xs[j]
            by[k] = ys[j]
            bw[k] = ws[j]
            k += 1
    return bx, by, bw, own


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _p2p(xs, ys, ws, start, end, leaves, first, sources, potential, out_f, out_df):
    """Direct sums over each leaf's near list: f' += Σ_j w_j conj(d)/|d|², Re f += ½ Σ_j w_j log|d|²
    (d = y_i − x_j, j ≠ i).

    The list's sources are copied into one contiguous block per leaf, so that the inner loop
    has no branch (the self term is masked by a select) and vectorises; each target's sum runs
    in block order on one thread."""
    for t in prange(leaves.shape[0]):
        node = leaves[t]
        bx, by, bw, own = _near_block(node, xs, ys, ws, start, end, first, sources)
        count = bx.shape[0]
        for i in range(start[node], end[node]):
            skip = own + i - start[node]
            xi = xs[i]
            yi = ys[i]
            gx = 0.0
            gy = 0.0
            for k in range(count):
                dx = xi - bx[k]
                dy = yi - by[k]
                q = bw[k] / (dx * dx + dy * dy) if k != skip else 0.0
                gx += q * dx
                gy += q * dy
            out_df[i] += complex(gx, -gy)
            if potential:
                pot = 0.0
                for k in range(count):
                    dx = xi - bx[k]
                    dy = yi - by[k]
                    pot += bw[k] * math.log(dx * dx + dy * dy) if k != skip else 0.0
                out_f[i] += 0.5 * pot


@numba.njit(cache=True)
def _separated(a, b, centre, side, theta):
    """Boxes of one size: not adjacent (centres two sides apart in x or y). Of different sizes:
    (r_a + r_b) ≤ θ |c_a − c_b|, r the half diagonal (compared squared)."""
    d = centre[a] - centre[b]
    if side[a] == side[b]:
        return max(abs(d.real), abs(d.imag)) > 1.5 * side[a]
    r = (side[a] + side[b]) * _HALF_DIAGONAL
    return r * r <= theta * theta * (d.real * d.real + d.imag * d.imag)


@numba.njit(cache=True)
def _gap(a, b, centre, side):
    """Distance between the closest points of boxes a and b."""
    d = centre[a] - centre[b]
    half = 0.5 * (side[a] + side[b])
    gx = max(abs(d.real) - half, 0.0)
    gy = max(abs(d.imag) - half, 0.0)
    return math.sqrt(gx * gx + gy * gy)


@numba.njit(cache=True)
def _list_kind(c, r, centre, side, is_leaf, rule):
    """Where box r goes for node c: 0 M2L (separated), 1 near (c has children), 2 P2P (both
    leaves), −1 descend r's children (c is a leaf, r is not), 3 dropped.

    ``rule`` = (θ, largest side with expansions, drop distance): boxes larger than the side are
    never separated; boxes farther apart than the drop distance do not interact (both infinite
    for the Laplace kernel; the Yukawa kernel decays as e^{−κr})."""
    theta, expand_side, drop = rule
    if drop < math.inf and _gap(c, r, centre, side) > drop:
        return 3
    if side[c] <= expand_side and side[r] <= expand_side and _separated(c, r, centre, side, theta):
        return 0
    if not is_leaf[c]:
        return 1
    return 2 if is_leaf[r] else -1


@numba.njit(cache=True)
def _push_children(r, child, stack, top):
    """Push r's children (last quadrant first) on ``stack`` above ``top``; the new top."""
    for q in range(3, -1, -1):
        if child[r, q] >= 0:
            stack[top] = child[r, q]
            top += 1
    return top


@numba.njit(cache=True)
def _node_lists(c, near, lo, hi, tree, rule, fill, out, at):
    """The M2L, near and P2P lists of node c from its parent's near list ``near[lo:hi]``
    (``tree`` = (child, centre, side, is_leaf); ``rule`` as in ``_list_kind``).

    Each box of the parent's list stands for itself if it is a leaf, else for its children, and
    goes where ``_list_kind`` says. Counts only (returned) unless ``fill``, then also writes
    list k from ``at[k]`` into ``out[k]`` (k = 0 M2L, 1 near, 2 P2P)."""
    child, centre, side, is_leaf = tree
    counts = np.zeros(3, np.int64)
    stack = np.empty(4 * _LEVELS + 8, np.int64)
    for e in range(lo, hi):
        b = near[e]
        stack[0] = b
        top = 1 if is_leaf[b] else _push_children(b, child, stack, 0)
        while top > 0:
            top -= 1
            r = stack[top]
            kind = _list_kind(c, r, centre, side, is_leaf, rule)
            if kind == 3:
                continue
            if kind < 0:
                top = _push_children(r, child, stack, top)
                continue
            if fill:
                out[kind][at[kind] + counts[kind]] = r
            counts[kind] += 1
    return counts


@numba.njit(cache=True, parallel=True)
def _level_lists(lo, hi, parent, parent_lo, near_first, near, tree, rule):
    """The lists of the nodes lo..hi−1 (one level): counts (hi − lo, 3), then the lists
    (M2L, near, P2P) as CSR over those nodes, each node's list built by one thread."""
    m = hi - lo
    counts = np.empty((m, 3), np.int64)
    none = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))
    zero = np.zeros(3, np.int64)
    for t in prange(m):
        a = parent[lo + t] - parent_lo
        counts[t] = _node_lists(lo + t, near, near_first[a], near_first[a + 1], tree, rule, False, none, zero)
    offsets = np.zeros((m + 1, 3), np.int64)
    for t in range(m):
        offsets[t + 1] = offsets[t] + counts[t]
    lists = (
        np.empty(offsets[m, 0], np.int64),
        np.empty(offsets[m, 1], np.int64),
        np.empty(offsets[m, 2], np.int64),
    )
    for t in prange(m):
        a = parent[lo + t] - parent_lo
        _node_lists(lo + t, near, near_first[a], near_first[a + 1], tree, rule, True, lists, offsets[t])
    return offsets, lists


def _interaction_lists(level, parent, child, centre, side, is_leaf, rule):
    """M2L and P2P lists of every node as CSR over node ids (ids run level by level).

    Level-synchronous: a node's lists come from its parent's near list, so the nodes of a level
    are processed in parallel; each list is in a fixed order whatever the number of threads."""
    m = level.shape[0]
    tree = (child, centre, side, is_leaf)
    bounds = np.searchsorted(level, np.arange(level.max() + 2))
    m2l_count = np.zeros(m, np.int64)
    p2p_count = np.zeros(m, np.int64)
    m2l_parts, p2p_parts = [], []
    if is_leaf[0]:
        p2p_count[0] = 1
        p2p_parts.append(np.zeros(1, np.int64))
    near_first = np.array([0, 1], np.int64)
    near = np.zeros(1, np.int64)
    for lv in range(1, len(bounds) - 1):
        lo, hi = int(bounds[lv]), int(bounds[lv + 1])
        offsets, (m2l, near, p2p) = _level_lists(
            lo, hi, parent, int(bounds[lv - 1]), near_first, near, tree, rule
        )
        m2l_count[lo:hi] = np.diff(offsets[:, 0])
        p2p_count[lo:hi] = np.diff(offsets[:, 2])
        near_first = np.ascontiguousarray(offsets[:, 1])
        m2l_parts.append(m2l)
        p2p_parts.append(p2p)
    return (
        np.concatenate(([0], np.cumsum(m2l_count))).astype(np.int64),
        np.concatenate(m2l_parts or [np.zeros(0, np.int64)]),
        np.concatenate(([0], np.cumsum(p2p_count))).astype(np.int64),
        np.concatenate(p2p_parts),
    )


class Quadtree(NamedTuple):
    """Points in Morton order and the adaptive quadtree over them (nodes breadth first)."""

    perm: np.ndarray  # sorted position → input index
    xs: np.ndarray
    ys: np.ndarray
    ws: np.ndarray
    zs: np.ndarray  # xs + i ys
    start: np.ndarray  # node → its points start:end in the sorted order
    end: np.ndarray
    level: np.ndarray
    prefix: np.ndarray  # Morton prefix (the last two bits: the quadrant in the parent)
    child: np.ndarray  # (nodes, 4), −1 where empty
    parent: np.ndarray
    centre: np.ndarray  # complex
    side: np.ndarray
    is_leaf: np.ndarray
    side0: float  # the root's side
    min_level: int  # boxes above it were split whatever their count


def quadtree(points, weights, leaf_size: int, max_leaf_side: float = math.inf) -> Quadtree:
    """The tree of the points (at most ``leaf_size`` per leaf where the Morton depth allows, and
    no leaf larger than ``max_leaf_side``)."""
    (x0, y0), upper = bounding_box(points)
    extent = float((upper - (x0, y0)).max())
    side0 = extent * (1.0 + 1e-9) if extent > 0 else 1.0
    keys = _keys(points[:, 0], points[:, 1], x0, y0, (1 << _LEVELS) / side0)
    keys, perm, levels = _sorted_keys(keys)
    xs, ys, ws = _gather(points, weights, perm)
    min_level = 0
    if side0 > max_leaf_side:
        min_level = min(math.ceil(math.log2(side0 / max_leaf_side)), levels)
    start, end, level, prefix, child, parent = _build_tree(keys, leaf_size, levels, min_level)
    cx, cy, side = _centres(level, prefix, x0, y0, side0)
    is_leaf = np.all(child < 0, axis=1)
    return Quadtree(
        perm, xs, ys, ws, xs + 1j * ys, start, end, level, prefix, child, parent, cx + 1j * cy,
        side, is_leaf, side0, min_level,
    )  # fmt: skip


def laplace_fmm(
    points: np.ndarray,
    weights: np.ndarray,
    order: int = 17,
    leaf_size: int = 64,
    potential: bool = False,
) -> tuple[np.ndarray | None, np.ndarray]:
    """f and f' at every point with the self term excluded (see the module docstring).

    Parameters
    ----------
    points : ndarray, shape (n, 2)
    weights : ndarray, shape (n,)
    order : int
        Expansion order p (error O(0.486^p) relative to the largest field, see
        ``order_for_tolerance``).
    leaf_size : int
        Most points in a leaf box.
    potential : bool
        Also return f (else None).

    Returns
    -------
    f : ndarray, shape (n,), or None
        Re f = Σ_{j≠i} w_j log|y_i − x_j| (the imaginary part is not computed).
    df : complex ndarray, shape (n,)
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    n = points.shape[0]
    if n == 0:
        return (np.zeros(0) if potential else None), np.zeros(0, np.complex128)
    tree = quadtree(points, weights, leaf_size)
    perm, xs, ys, ws, zs = tree.perm, tree.xs, tree.ys, tree.ws, tree.zs
    start, end, level, child, parent = tree.start, tree.end, tree.level, tree.child, tree.parent
    centre, side, is_leaf = tree.centre, tree.side, tree.is_leaf
    p = int(order)
    binom = _binomials(p)
    m = start.shape[0]
    mult = np.zeros((m, p + 1), np.complex128)
    local = np.zeros((m, p + 1), np.complex128)
    leaves = np.flatnonzero(is_leaf).astype(np.int64)
    _p2m(zs, ws, start, end, leaves, centre, side, p, mult)
    depth = int(level.max())
    by_level = [np.flatnonzero((level == lv) & ~is_leaf).astype(np.int64) for lv in range(depth + 1)]
    for lv in range(depth, -1, -1):
        if by_level[lv].size:
            _m2m(by_level[lv], child, centre, side, p, binom, mult)
    m2l_first, m2l_sources, p2p_first, p2p_sources = _interaction_lists(
        level, parent, child, centre, side, is_leaf, (_THETA, math.inf, math.inf)
    )
    shift = np.zeros((p + 1, p + 1))
    shift[1:, 1:] = binom[np.add.outer(np.arange(1, p + 1), np.arange(p)), np.arange(p)]
    inv_ell = np.zeros(p + 1)
    inv_ell[1:] = 1.0 / np.arange(1, p + 1)
    _m2l(m2l_first, m2l_sources, centre, side, p, shift, inv_ell, mult, local)
    for lv in range(1, depth + 1):
        nodes = np.flatnonzero(level == lv).astype(np.int64)
        if nodes.size:
            _l2l(nodes, parent, centre, side, p, binom, local)
    out_f = np.zeros(n)
    out_df = np.zeros(n, np.complex128)
    _l2p(zs, start, end, leaves, centre, side, p, local, potential, out_f, out_df)
    _p2p(xs, ys, ws, start, end, leaves, p2p_first, p2p_sources, potential, out_f, out_df)
    df = np.empty(n, np.complex128)
    _scatter(out_df, perm, df)
    if potential:
        f = np.empty(n)
        _scatter(out_f, perm, f)
        return f, df
    return None, df
