"""F0 tracking: normalised cross-correlation candidates, a dynamic-programming path, voicing.

:func:`track_f0` follows RAPT (Talkin 1995). Candidate periods are peaks of the normalised
cross-correlation function (NCCF), found on a decimated signal and refined on the full-rate
signal. A Viterbi pass over the candidates plus an "unvoiced" state then picks one period, or
none, per frame. It weighs the local evidence against the cost of F0 jumps and voicing changes.

Frame grid
----------
``n_frames = ceil(len(x) / hop)``. Frame ``i``'s analysis is centred on sample
``i * hop + hop // 2`` (:mod:`callscan.kernels.framing`). Samples outside the signal count as zeros.

Signals
-------
The input ``x`` is analysed at the full rate and at a coarse rate ``sample_rate / D``, where
``D = round(sample_rate / coarse_rate)``:

1. Coarse signal: a Blackman-windowed sinc low-pass (cut-off ``coarse_band`` × coarse rate),
   evaluated at every ``D``-th sample.
2. Low cut: the coarse signal minus its running mean over ``1 / lowcut_hz`` seconds. The
   full-rate signal minus the same running mean, interpolated linearly. The box filter has
   nulls at multiples of ``lowcut_hz``, so the difference removes DC, drift and rumble
   (-9 dB at ``lowcut_hz / 2``, -20 dB at ``lowcut_hz / 4``). Every harmonic at or above
   ``lowcut_hz`` keeps its level within ±1.7 dB.
3. Whitened signal: each hop block of the low-cut coarse signal is inverse-filtered with an
   order-``lpc_order`` linear predictor (autocorrelation method, Hann window of
   ``lpc_window_s`` centred on the block, white-noise correction ``lpc_noise_floor``).
   Flattening the spectral envelope evens out the harmonics, so a dominant second harmonic
   cannot make half the period look periodic. A dominant second harmonic comes from a first
   formant near 2·F0, or from a fundamental that a 300 Hz telephone high-pass removed.

Every output sample depends only on input samples within a fixed distance, and running sums
restart in every hop block. So a frame's result does not depend on which other frames are
analysed, and gating only skips work.

Candidates (per analysed frame)
-------------------------------
NCCF at integer lag ``k`` over a window of ``W`` samples, with both segments placed
symmetrically about the frame centre ``c`` (RAPT eq. 1, centred)::

    a = c - (W + k) // 2,   b = a + k
    phi(k) = sum_j x[a+j] x[b+j] / sqrt(sum_j x[a+j]^2 sum_j x[b+j]^2)

At a fractional lag ``k + mu``, the second segment is interpolated between samples: linearly
on the full-rate signal, with a 4-point (cubic) Lagrange interpolator on the whitened coarse
signal, whose flat spectrum reaches close to its Nyquist frequency. All correlations use the
low-cut signals, so DC offsets, drift and rumble do not read as periodicity.

The coarse NCCF is computed for every lag of the search range. Its local maxima above
``cand_ratio`` × the frame maximum are refined on the full-rate NCCF: hill-climbing from the
coarse estimate (parabolic vertex), then parabolic interpolation of the full-rate peak gives
a sub-sample period (YIN step 5). The candidate's NCCF ``p`` is the larger of the parabola's
peak value and the NCCF evaluated at that fractional period. The parabola underestimates the
sharp peaks of bright voices with short periods. The candidate's whitened NCCF ``w`` is
evaluated on ``xw`` at the same period. The ``n_cands`` candidates with the highest RAPT
score ``p (1 - lag_weight L / L_max)`` are kept (period ``L``, longest period ``L_max``).

Path costs (lower is better)
----------------------------
Voiced candidate ``j`` (period ``L_j`` samples, NCCF ``p_j``, whitened NCCF ``w_j``)::

    1 - g p_j (1 - lag_weight L_j / L_max) + octave_weight (max_k w_k - w_j)

This is RAPT's local cost plus a penalty for periodicity that does not survive spectral
flattening. ``g`` compensates an additive noise floor. A frame ``s`` dB above the channel's
background level ``B`` holds the share ``1 - 10^(-s/10)`` of its power in something other than
background, and its NCCF cannot exceed that share. ``g`` is the inverse of that share, with
``s`` taken as at least ``noise_snr_min_db``: closer to the floor the share is lost in the
background's own level fluctuations. ``g`` applies only in frames that are not quiet
(``q = 0`` below): near a low floor, the background's own structure (hum, breath) decides the
NCCF, not noise.

Unvoiced::

    voiced_bias + max_j g p_j - silence_weight q

This is RAPT's unvoiced cost minus a silence term ``q`` in [0, 1]. ``q`` rises as the frame
is both far below the channel's speech level ``S`` (ramp from ``S - quiet_db`` down to
``S - silence_db``) and close to its background level ``B`` (ramp from ``B + floor_quiet_db``
down to ``B + floor_silence_db``). ``S`` is the ``speech_pct`` percentile of the levels of all
frames. ``B`` is the ``floor_pct`` percentile of the frames above ``floor_min_db``: digital
silence (exact zeros, codec discontinuous transmission) is no background level. The frame level
is the DC-removed power of the frame's own hop interval, in dB. Both references come from all
frames, gated or not.

Transitions: voiced to voiced costs ``jump_cost × |log2(L_j / L_k)|`` (per octave of change).
Unvoiced to voiced costs ``voicing_cost + amp_cost / r``, and voiced to unvoiced
``voicing_cost + amp_cost × r``. ``r`` is the RMS ratio of the ``amp_span_s`` after the frame
to the ``amp_span_s`` before it, so onsets are cheap where the level rises and offsets where it
falls (RAPT).

References
----------
D. Talkin, "A robust algorithm for pitch tracking (RAPT)", in *Speech Coding and Synthesis*,
W. B. Kleijn and K. K. Paliwal (eds.), Elsevier, 1995, pp. 495-518.

A. de Cheveigné and H. Kawahara, "YIN, a fundamental frequency estimator for speech and
music", *J. Acoust. Soc. Am.* 111(4), 2002, pp. 1917-1930.

J. D. Markel, "The SIFT algorithm for fundamental frequency estimation", *IEEE Trans. Audio
Electroacoust.* 20(5), 1972, pp. 367-377 (inverse filtering before the correlation).
"""

import math
from typing import NamedTuple

import numpy as np

from callscan.kernels._jit import kernel
from callscan.kernels.framing import n_frames

_SIMD = 16
"""Windows and filters are padded to multiples of this many samples (vectorised sums)."""


# ---------------------------------------------------------------------------- kernels


@kernel
def _dilate(mask, radius, out):
    """``out[t]`` is True when any of ``mask[t - radius : t + radius + 1]`` is True."""
    n = mask.shape[0]
    last = -radius - 1  # largest True index seen so far
    for b in range(min(radius, n)):
        if mask[b]:
            last = b
    for t in range(n):
        b = t + radius
        if b < n and mask[b]:
            last = b
        out[t] = last >= t - radius


@kernel
def _decimate(xp, taps, half, factor, hop, need, out):
    """Low-pass FIR evaluated at every ``factor``-th sample, in the hop blocks marked in ``need``.

    ``out[k] = sum_j taps[j] * xp[k * factor - half + j]``. ``taps`` is centred on index
    ``half`` (zeros may follow, up to a multiple of the vector width).
    Block ``b`` holds the coarse samples ``k`` with ``b * hop <= k * factor < (b + 1) * hop``.
    """
    nt = taps.shape[0]
    for b in range(need.shape[0]):
        if not need[b]:
            continue
        k0 = (b * hop + factor - 1) // factor
        k1 = ((b + 1) * hop + factor - 1) // factor
        for k in range(k0, k1):
            start = k * factor - half
            seg = xp[start:start + nt]
            acc = np.float32(0.0)
            for j in range(nt):
                acc += taps[j] * seg[j]
            out[k] = acc


@kernel
def _lowcut(xc, factor, hop, half, need, mean, out):
    """Subtract the running mean of ``2 * half + 1`` coarse samples, in the blocks in ``need``.

    ``mean[k]`` receives the running mean itself, ``out[k] = xc[k] - mean[k]``. Each block's
    sum starts afresh, so a sample's value does not depend on which blocks are computed.
    """
    inv = 1.0 / (2 * half + 1)
    for b in range(need.shape[0]):
        if not need[b]:
            continue
        k0 = (b * hop + factor - 1) // factor
        k1 = ((b + 1) * hop + factor - 1) // factor
        if k1 <= k0:
            continue
        win = xc[k0 - half:k0 + half + 1]
        s = 0.0
        for j in range(2 * half + 1):
            s += win[j]
        for k in range(k0, k1):
            m = s * inv
            mean[k] = m
            out[k] = xc[k] - m
            s += float(xc[k + half + 1]) - float(xc[k - half])


@kernel
def _lowcut_full(xp, mean, factor, hop, need, out):
    """Full-rate low cut in the hop blocks marked in ``need``.

    ``out[n] = xp[n] - mean(n / factor)``, the coarse running mean interpolated linearly
    between coarse samples ``k = n // factor`` and ``k + 1``.
    """
    step = 1.0 / factor
    for b in range(need.shape[0]):
        if not need[b]:
            continue
        n0 = b * hop
        n1 = n0 + hop
        # one pass over the block's samples, moving on to the next coarse sample (``r``
        # back to 0) every ``factor`` samples
        k = n0 // factor
        r = n0 - k * factor
        m0 = mean[k]
        dm = (mean[k + 1] - m0) * step
        for n in range(n0, n1):
            out[n] = xp[n] - (m0 + r * dm)
            r += 1
            if r == factor and n + 1 < n1:
                r = 0
                k += 1
                m0 = mean[k]
                dm = (mean[k + 1] - m0) * step


@kernel
def _lpc(seg, order, r, a, tmp, noise_floor):
    """Predictor ``a[0..order]`` (``a[0] = 1``) of the windowed ``seg``, by Levinson-Durbin.

    ``r[0]`` is raised by the fraction ``noise_floor`` (white-noise correction): the
    predictor models the spectrum plus a white floor at that fraction of the power (-20 dB
    for 0.01), so it cannot cancel a few strong harmonics outright. Returns False for a
    silent segment (``a`` is then the identity filter).
    """
    w = seg.shape[0]
    for k in range(order + 1):
        u = seg[:w - k]
        v = seg[k:]
        acc = 0.0
        for j in range(w - k):
            acc += u[j] * v[j]
        r[k] = acc
    for k in range(order + 1):
        a[k] = 0.0
    a[0] = 1.0
    if r[0] <= 1e-20:
        return False
    err = r[0] * (1.0 + noise_floor)
    for k in range(1, order + 1):
        acc = r[k]
        for j in range(1, k):
            acc += a[j] * r[k - j]
        refl = -acc / err
        for j in range(1, k):
            tmp[j] = a[j] + refl * a[k - j]
        for j in range(1, k):
            a[j] = tmp[j]
        a[k] = refl
        err *= 1.0 - refl * refl
        if err <= 0.0:
            break
    return True


@kernel
def _whiten(xc, factor, hop, win, order, noise_floor, need, out):
    """Inverse-filter each hop block of the coarse signal with its own LPC predictor.

    Block ``b``'s predictor comes from a Hann window of ``win`` coarse samples centred on the
    block centre. It filters the block's coarse samples:
    ``out[k] = xc[k] + sum_{j=1..order} a[j] xc[k - j]``.
    """
    r = np.zeros(order + 1)
    a = np.zeros(order + 1)
    tmp = np.zeros(order + 1)
    seg = np.empty(win)
    hann = np.empty(win)
    for j in range(win):
        hann[j] = 0.5 - 0.5 * math.cos(2.0 * math.pi * (j + 0.5) / win)
    for b in range(need.shape[0]):
        if not need[b]:
            continue
        centre = (b * hop + hop // 2 + factor // 2) // factor
        src = xc[centre - win // 2:centre - win // 2 + win]
        for j in range(win):
            seg[j] = src[j] * hann[j]
        _lpc(seg, order, r, a, tmp, noise_floor)
        k0 = (b * hop + factor - 1) // factor
        k1 = ((b + 1) * hop + factor - 1) // factor
        for k in range(k0, k1):
            acc = float(xc[k])
            for j in range(1, order + 1):
                acc += a[j] * xc[k - j]
            out[k] = acc


@kernel
def _prefix_sq(x, start, length, out):
    """``out[k] = sum(x[start : start + k] ** 2)`` for ``k = 0 .. length``, in float64."""
    acc = 0.0
    out[0] = 0.0
    for k in range(length):
        v = float(x[start + k])
        acc += v * v
        out[k + 1] = acc


@kernel(inline=True)
def _segment_products(x, p, base, centre, win, lag):
    """The sums of the centred NCCF of ``x`` at integer ``lag``: the cross-product of the two
    segments and their energies, the energies from the prefix sums ``p`` (``p[k]`` is the sum of
    squares of ``x[base : base + k]``)."""
    a = centre - (win + lag) // 2
    b = a + lag
    # slices indexed from range(): no negative-index wraparound, so the sum vectorises
    xa = x[a:a + win]
    xb = x[b:b + win]
    s = np.float32(0.0)
    for j in range(win):
        s += xa[j] * xb[j]
    return s, p[a - base + win] - p[a - base], p[b - base + win] - p[b - base]


@kernel
def _normalised(sab, saa, sbb):
    """Cross-correlation ``sab`` normalised by the energies ``saa`` and ``sbb``, clipped to [-1, 1]."""
    e = float(saa) * float(sbb)
    if e <= 1e-40:
        return 0.0
    return min(1.0, max(-1.0, float(sab) / math.sqrt(e)))


@kernel
def _nccf_direct(x, centre, win, lag):
    """Centred NCCF of ``x`` at integer ``lag``, all three sums in one pass."""
    a = centre - (win + lag) // 2
    xa = x[a:a + win]
    xb = x[a + lag:a + lag + win]
    sab = np.float32(0.0)
    saa = np.float32(0.0)
    sbb = np.float32(0.0)
    for j in range(win):
        sab += xa[j] * xb[j]
        saa += xa[j] * xa[j]
        sbb += xb[j] * xb[j]
    return _normalised(sab, saa, sbb)


@kernel
def _nccf_frac(x, centre, win, lag):
    """Centred NCCF at a fractional ``lag``: the second segment interpolated linearly."""
    l0 = int(math.floor(lag))
    mu = np.float32(lag - l0)
    a = centre - (win + l0) // 2
    xa = x[a:a + win]
    b0 = x[a + l0:a + l0 + win]
    b1 = x[a + l0 + 1:a + l0 + 1 + win]
    sab = np.float32(0.0)
    saa = np.float32(0.0)
    sbb = np.float32(0.0)
    for j in range(win):
        v = b0[j] + mu * (b1[j] - b0[j])
        sab += xa[j] * v
        saa += xa[j] * xa[j]
        sbb += v * v
    return _normalised(sab, saa, sbb)


@kernel
def _nccf_cubic(x, centre, win, lag):
    """Centred NCCF at a fractional ``lag``, second segment by 4-point (cubic) Lagrange
    interpolation: used on the whitened coarse signal, whose spectrum reaches close to its
    Nyquist frequency, where linear interpolation would blur it."""
    l0 = int(math.floor(lag))
    mu = lag - l0
    c0 = np.float32(-mu * (mu - 1.0) * (mu - 2.0) / 6.0)
    c1 = np.float32((mu + 1.0) * (mu - 1.0) * (mu - 2.0) / 2.0)
    c2 = np.float32(-(mu + 1.0) * mu * (mu - 2.0) / 2.0)
    c3 = np.float32((mu + 1.0) * mu * (mu - 1.0) / 6.0)
    a = centre - (win + l0) // 2
    xa = x[a:a + win]
    bm = x[a + l0 - 1:a + l0 - 1 + win]
    b0 = x[a + l0:a + l0 + win]
    b1 = x[a + l0 + 1:a + l0 + 1 + win]
    b2 = x[a + l0 + 2:a + l0 + 2 + win]
    sab = np.float32(0.0)
    saa = np.float32(0.0)
    sbb = np.float32(0.0)
    for j in range(win):
        v = c0 * bm[j] + c1 * b0[j] + c2 * b1[j] + c3 * b2[j]
        sab += xa[j] * v
        saa += xa[j] * xa[j]
        sbb += v * v
    return _normalised(sab, saa, sbb)


@kernel
def _candidates(xp, xc, xw, centres, gate, factor, win_f, win_c, lag_min, lag_max,
                lag_lo_c, lag_hi_c, cand_ratio, lag_weight, cand_lag, cand_corr, cand_white,
                n_cand):
    """Period candidates of every gated frame (definitions in the module docstring).

    Parameters
    ----------
    xp, xc, xw : ndarray of float32
        Low-cut full-rate, low-cut coarse and whitened coarse signal (:func:`_signals`), in
        padded coordinates: ``xc[k]`` sits at full-rate sample ``k * factor``.
    centres : ndarray of int64, shape (n_frames,)
        Frame centres as full-rate padded sample indices.
    gate : ndarray of bool, shape (n_frames,)
        Frames to analyse; the others get no candidates.
    factor : int
        Decimation factor ``D``.
    win_f, win_c : int
        NCCF window in full-rate and in coarse samples.
    lag_min, lag_max : float
        Accepted period range in full-rate samples (``sr / fmax`` … ``sr / fmin``).
    lag_lo_c, lag_hi_c : int
        Coarse lags searched (one beyond the range on each side, so edge peaks are seen).
    cand_ratio : float
        Coarse peaks below ``cand_ratio`` × the frame's coarse maximum are ignored.
    lag_weight : float
        Candidates are ranked by ``cand_corr * (1 - lag_weight * lag / lag_max)``.
    cand_lag, cand_corr, cand_white : ndarray of float64, shape (n_frames, n_cands)
        Out: period in full-rate samples (fractional), full-rate NCCF peak value, whitened
        NCCF; best rank first.
    n_cand : ndarray of int64, shape (n_frames,)
        Out: candidates found per frame (0 … n_cands).
    """
    n_cands = cand_lag.shape[1]
    keys = np.empty(n_cands)
    nl = lag_hi_c - lag_lo_c + 1
    buf = np.empty(nl)
    sab = np.empty(nl, dtype=np.float32)
    e1 = np.empty(nl)
    e2 = np.empty(nl)
    hc = (win_c + lag_hi_c + 2) // 2 + 2
    pc = np.empty(2 * hc + 1)
    lo_f = max(2, int(math.floor(lag_min)) - 1)
    hi_f = int(math.ceil(lag_max)) + 1
    for i in range(centres.shape[0]):
        n_cand[i] = 0
        if not gate[i]:
            continue
        c = centres[i]
        cc = (c + factor // 2) // factor
        # coarse NCCF over the whole lag range
        _prefix_sq(xc, cc - hc, 2 * hc, pc)
        tiny = 1e-9 * pc[2 * hc] + 1e-30
        # the NCCF at every lag in two passes: the cross-products and segment energies
        # first, then the normalisation (which then vectorises across lags); segments whose
        # energy is at or below ``tiny`` count as silence (NCCF 0)
        for k in range(nl):
            sab[k], e1[k], e2[k] = _segment_products(xc, pc, cc - hc, cc, win_c, lag_lo_c + k)
        for k in range(nl):  # selects rather than branches: the loop vectorises
            ok = e1[k] > tiny and e2[k] > tiny
            q = sab[k] / (math.sqrt(e1[k] * e2[k]) if ok else 1.0)
            buf[k] = min(1.0, max(-1.0, q)) if ok else 0.0
        vmax = 0.0
        for k in range(nl):
            vmax = max(vmax, buf[k])
        if vmax <= 0.0:
            continue
        thr = cand_ratio * vmax
        m = 0
        for k in range(1, nl - 1):
            v = buf[k]
            if not (v > thr and v >= buf[k - 1] and v > buf[k + 1]):
                continue
            # start from the vertex of the parabola through the coarse peak
            den = buf[k - 1] - 2.0 * v + buf[k + 1]
            d = 0.5 * (buf[k - 1] - buf[k + 1]) / den if den < 0.0 else 0.0
            g = int(round((lag_lo_c + k + d) * factor))
            g = min(max(g, lo_f + 1), hi_f - 1)
            # hill-climb the full-rate NCCF, at most ``factor`` steps
            rm = _nccf_direct(xp, c, win_f, g - 1)
            r0 = _nccf_direct(xp, c, win_f, g)
            rp = _nccf_direct(xp, c, win_f, g + 1)
            for _ in range(factor):
                if rp > r0 and rp >= rm and g + 1 < hi_f:
                    g += 1
                    rm = r0
                    r0 = rp
                    rp = _nccf_direct(xp, c, win_f, g + 1)
                elif rm > r0 and g - 1 > lo_f:
                    g -= 1
                    rp = r0
                    r0 = rm
                    rm = _nccf_direct(xp, c, win_f, g - 1)
                else:
                    break
            if r0 < rm or r0 < rp or r0 <= 0.0:
                continue  # still climbing at the search limit: no peak in range
            den = rm - 2.0 * r0 + rp
            d = 0.0
            pk = r0
            if den < 0.0:
                d = 0.5 * (rm - rp) / den
                pk = min(1.0, r0 - 0.25 * (rm - rp) * d)
            lag = g + d
            if lag < lag_min or lag > lag_max:
                continue
            # two coarse peaks may climb to the same full-rate peak: keep it once
            dup = False
            for j in range(m):
                if abs(cand_lag[i, j] - lag) < 1.0:
                    dup = True
            if dup:
                continue
            # parabolic interpolation underestimates sharp peaks (bright voices, short
            # periods): take the NCCF evaluated at the fractional lag when it is higher
            pk = max(pk, _nccf_frac(xp, c, win_f, lag))
            # rank by RAPT's lag-weighted score: of equally periodic multiples of a period
            # (a steady tone), the shorter ones are kept
            key = pk * (1.0 - lag_weight * lag / lag_max)
            if m == n_cands and key <= keys[m - 1]:
                continue
            wv = _nccf_cubic(xw, cc, win_c, lag / factor)
            # insert, keeping the list sorted by key, descending
            if m < n_cands:
                m += 1
            j = m - 1
            while j > 0 and keys[j - 1] < key:
                keys[j] = keys[j - 1]
                cand_corr[i, j] = cand_corr[i, j - 1]
                cand_lag[i, j] = cand_lag[i, j - 1]
                cand_white[i, j] = cand_white[i, j - 1]
                j -= 1
            keys[j] = key
            cand_corr[i, j] = pk
            cand_lag[i, j] = lag
            cand_white[i, j] = wv
        n_cand[i] = m


@kernel
def _frame_levels(x, hop, out):
    """DC-removed power of each frame's own hop interval, in dB re full scale."""
    n = x.shape[0]
    for i in range(out.shape[0]):
        a = i * hop
        seg = x[a:min(a + hop, n)]
        cnt = seg.shape[0]
        s = np.float32(0.0)
        s2 = np.float32(0.0)
        for m in range(cnt):
            s += seg[m]
            s2 += seg[m] * seg[m]
        p = (float(s2) - float(s) * float(s) / cnt) / cnt if cnt > 0 else 0.0
        out[i] = 10.0 * math.log10(max(p, 0.0) + 1e-20)


@kernel
def _amp_ratio(level, span, out):
    """RMS ratio of the ``span`` frames after each frame to the ``span`` frames before it."""
    n = level.shape[0]
    power = np.empty(n)
    for i in range(n):
        power[i] = 10.0 ** (level[i] / 10.0)
    for i in range(n):
        before = 0.0
        after = 0.0
        for j in range(1, span + 1):
            before += power[max(i - j, 0)]
            after += power[min(i + j, n - 1)]
        out[i] = math.sqrt((after + 1e-20) / (before + 1e-20))


@kernel
def _viterbi(cand_lag, cand_corr, cand_white, n_cand, level, rr, speech_level, floor_level,
             lag_max, lag_weight, octave_weight, jump_cost, voicing_cost, amp_cost,
             voiced_bias, quiet_db, silence_db, floor_quiet_db, floor_silence_db,
             silence_weight, noise_snr_min_db, back, lag_out):
    """Least-cost path through the candidates and an unvoiced state (module docstring).

    ``back`` (int32, shape (n_frames, n_cands + 1)) is scratch for back-pointers.
    Out: ``lag_out[i]`` is the chosen period in samples, 0.0 for unvoiced.
    """
    n = n_cand.shape[0]
    kmax = cand_lag.shape[1]
    uv = kmax  # index of the unvoiced state
    prev = np.empty(kmax + 1)
    cur = np.empty(kmax + 1)
    local = np.empty(kmax)
    loglag = np.empty(kmax)
    prev_loglag = np.empty(kmax)
    inv_ln2 = 1.0 / math.log(2.0)
    max_share_noise = 10.0 ** (-noise_snr_min_db / 10.0)
    prev_m = 0
    for i in range(n):
        m = n_cand[i]
        lv = level[i]
        qs = (speech_level - quiet_db - lv) / (silence_db - quiet_db)
        qb = (floor_level + floor_quiet_db - lv) / (floor_quiet_db - floor_silence_db)
        q = min(max(min(qs, qb), 0.0), 1.0)
        gain = 1.0
        if q <= 0.0:
            gain = 1.0 / (1.0 - min(10.0 ** ((floor_level - lv) / 10.0), max_share_noise))
        wmax = 0.0
        for j in range(m):
            wmax = max(wmax, cand_white[i, j])
            loglag[j] = math.log(cand_lag[i, j]) * inv_ln2
        best_score = 0.0
        for j in range(m):
            score = gain * cand_corr[i, j]
            best_score = max(best_score, score)
            local[j] = (1.0 - score * (1.0 - lag_weight * cand_lag[i, j] / lag_max)
                        + octave_weight * (wmax - cand_white[i, j]))
        cost_uv = voiced_bias + best_score - silence_weight * q
        if i == 0:
            for j in range(m):
                cur[j] = local[j]
                back[i, j] = uv
            cur[uv] = cost_uv
            back[i, uv] = uv
        else:
            onset = voicing_cost + amp_cost / rr[i]
            offset = voicing_cost + amp_cost * rr[i]
            for j in range(m):
                best = prev[uv] + onset
                arg = uv
                for p in range(prev_m):
                    c = prev[p] + jump_cost * abs(loglag[j] - prev_loglag[p])
                    if c < best:
                        best = c
                        arg = p
                cur[j] = best + local[j]
                back[i, j] = arg
            best = prev[uv]
            arg = uv
            for p in range(prev_m):
                c = prev[p] + offset
                if c < best:
                    best = c
                    arg = p
            cur[uv] = best + cost_uv
            back[i, uv] = arg
        for j in range(m):
            prev[j] = cur[j]
            prev_loglag[j] = loglag[j]
        prev[uv] = cur[uv]
        prev_m = m
    if n == 0:
        return
    s = uv
    best = prev[uv]
    for j in range(prev_m):
        if prev[j] < best:
            best = prev[j]
            s = j
    for i in range(n - 1, -1, -1):
        lag_out[i] = 0.0 if s == uv else cand_lag[i, s]
        s = back[i, s]


# ---------------------------------------------------------------------------- wrapper


def _lowpass_taps(sample_rate, cutoff_hz):
    """Blackman-windowed sinc, unit DC gain, two cut-off periods each side of the centre.

    Returns the taps zero-padded to a multiple of the vector width, and the centre index.
    """
    half = int(math.ceil(2.0 * sample_rate / cutoff_hz))
    t = np.arange(-half, half + 1, dtype=np.float64)
    taps = np.sinc(2.0 * cutoff_hz / sample_rate * t) * np.blackman(2 * half + 1)
    taps /= taps.sum()
    padded = np.zeros(_SIMD * -(-taps.shape[0] // _SIMD), dtype=np.float32)
    padded[:taps.shape[0]] = taps
    return padded, half


def _check_positive(name, value):
    if not (isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value)
            and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


class _Geometry(NamedTuple):
    """Sizes in samples derived from the parameters (see :func:`_geometry`)."""

    hop: int
    factor: int  # decimation factor D
    lag_min: float  # accepted period range, full-rate samples
    lag_max: float
    win_f: int  # NCCF window, full-rate samples
    win_c: int  # NCCF window, coarse samples
    lag_lo_c: int  # coarse lags searched
    lag_hi_c: int
    lpc_order: int
    lpc_win: int  # LPC window, coarse samples
    taps: np.ndarray  # coarse low-pass, float32, zero-padded
    half_taps: int  # index of its centre tap
    half_box: int  # low cut: running mean over 2 * half_box + 1 coarse samples
    r_h: int  # hop blocks of low-cut full-rate signal needed around an analysed frame
    r_w: int  # ... of whitened coarse signal
    r_l: int  # ... of low-cut coarse signal
    r_c: int  # ... of coarse signal
    r_pad: int  # zero padding on each side, in hop blocks
    lpc_noise_floor: float  # white-noise correction of the predictor


def _geometry(sr, hop, fmin, fmax, window_s, coarse_rate, coarse_band, lowcut_hz, lpc_order,
              lpc_window_s, lpc_noise_floor):
    """Window, lag and padding sizes for a rate and hop (validated parameters)."""
    factor = max(1, int(round(sr / coarse_rate)))
    lag_min = sr / fmax
    lag_max = sr / fmin
    win_f = _SIMD * max(1, -(-int(round(window_s * sr)) // _SIMD))
    win_c = _SIMD * max(1, -(-int(round(window_s * sr / factor)) // _SIMD))
    lag_lo_c = max(1, int(math.floor(lag_min / factor)) - 1)
    lag_hi_c = int(math.ceil(lag_max / factor)) + 1
    lpc_order = int(lpc_order)
    lpc_win = max(lpc_order + 1, int(round(lpc_window_s * sr / factor)))
    taps, half_taps = _lowpass_taps(sr, coarse_band * sr / factor)
    half_box = max(1, int(round(sr / factor / (2.0 * lowcut_hz))))
    # how far (full-rate samples) each stage reads around what it serves, then how many hop
    # blocks of each signal an analysed frame needs around it
    reach_f = (win_f + int(lag_max) + 3) // 2 + 2
    reach_c = ((win_c + lag_hi_c + 2) // 2 + 3) * factor
    reach_lpc = (lpc_win // 2 + lpc_order + 2) * factor
    r_h = -(-reach_f // hop) + 1                                   # low-cut full rate
    r_w = -(-reach_c // hop) + 1                                   # whitened
    r_l = max(r_w + -(-reach_lpc // hop) + 1, r_h + 1)             # low-cut coarse
    r_c = r_l + -(-(half_box + 2) * factor // hop) + 1             # coarse
    r_pad = max(r_h, r_c + -(-(taps.shape[0] + factor) // hop)) + 2
    return _Geometry(hop, factor, lag_min, lag_max, win_f, win_c, lag_lo_c, lag_hi_c,
                     lpc_order, lpc_win, taps, half_taps, half_box, r_h, r_w, r_l, r_c, r_pad,
                     float(lpc_noise_floor))


def _buffer(scratch, name, n):
    """An uninitialised float32 array of ``n`` samples: ``scratch[name]`` (or its start) when
    it is long enough, else a new array kept there. ``scratch`` None: always a new array."""
    a = None if scratch is None else scratch.get(name)
    if a is None or a.shape[0] < n:
        a = np.empty(n, dtype=np.float32)
        if scratch is not None:
            scratch[name] = a
    return a[:n]


def _signals(xf, gate, geo, scratch=None):
    """Full-rate, coarse and whitened signals (low cut), and the frame centres.

    All in padded coordinates: ``xf[m]`` is at index ``pad + m`` of the full-rate arrays and
    coarse sample ``k`` at full-rate index ``k * factor``. Only the hop blocks that gated frames
    read are computed; the rest of each array is left as it was (the buffers come from
    ``scratch``, see :func:`_buffer`, and are reused from block to block): every stage reads
    only blocks that the stage before it computed (the radii of :func:`_geometry`), so their
    contents never matter.
    """
    hop = geo.hop
    nf = gate.shape[0]
    n_blocks = nf + 2 * geo.r_pad
    pad = geo.r_pad * hop
    frame_mask = np.zeros(n_blocks, dtype=np.bool_)
    frame_mask[geo.r_pad:geo.r_pad + nf] = gate
    need = {}
    for name, radius in (("h", geo.r_h), ("w", geo.r_w), ("l", geo.r_l), ("c", geo.r_c)):
        need[name] = np.empty(n_blocks, dtype=np.bool_)
        _dilate(frame_mask, radius, need[name])
    n_full = n_blocks * hop + geo.taps.shape[0] + geo.factor
    xp = _buffer(scratch, "xp", n_full)  # the signal with zeros around it
    xp[:pad] = 0.0
    xp[pad:pad + xf.shape[0]] = xf
    xp[pad + xf.shape[0]:] = 0.0
    n_coarse = n_full // geo.factor + 1
    xc = _buffer(scratch, "xc", n_coarse)
    _decimate(xp, geo.taps, geo.half_taps, geo.factor, hop, need["c"], xc)
    mean = _buffer(scratch, "mean", n_coarse)
    xl = _buffer(scratch, "xl", n_coarse)
    _lowcut(xc, geo.factor, hop, geo.half_box, need["l"], mean, xl)
    xw = _buffer(scratch, "xw", n_coarse)
    _whiten(xl, geo.factor, hop, geo.lpc_win, geo.lpc_order, geo.lpc_noise_floor, need["w"], xw)
    xh = _buffer(scratch, "xh", n_full)
    _lowcut_full(xp, mean, geo.factor, hop, need["h"], xh)
    centres = pad + np.arange(nf, dtype=np.int64) * hop + hop // 2
    return xh, xl, xw, centres


def track_f0(x, sample_rate, hop, *, gate=None, params=None):
    """Fundamental frequency per frame of one channel (RAPT-style NCCF + Viterbi tracker).

    The algorithm, its costs and references are in the :mod:`callscan.kernels.pitch` docstring.

    Parameters
    ----------
    x : array_like of real, shape (n_samples,)
        One channel, full scale ±1, finite. Integers are accepted as they are: apart from
        ``floor_min_db``, nothing depends on the absolute level.
    sample_rate : float
        Hz; any rate above ``2 * fmax_hz`` (8000 and 16000 are the supported call rates).
    hop : int
        Frame hop in samples (10 ms: 80 at 8 kHz, 160 at 16 kHz).
    gate : array_like of bool, shape (n_frames,), optional
        Frames to analyse (for instance the channel's speech activity). Frames outside the
        gate are unvoiced and cost almost nothing. Inside it, the result is the same as
        without a gate wherever the frames outside it are unvoiced anyway.
    params : callscan.params.PitchParams, optional
        The search range (``fmin_hz``, ``fmax_hz``) and the tracker's tuning, each
        documented there; the defaults when omitted.

    Returns
    -------
    f0_hz : ndarray of float32, shape (n_frames,)
        F0 in Hz, NaN where unvoiced. ``n_frames = ceil(len(x) / hop)``.
    voiced : ndarray of bool, shape (n_frames,)
        True where a period was chosen.

    Raises
    ------
    ValueError
        For a signal that is not 1-D, real and finite, a bad rate, hop or range, or a gate of
        the wrong length.
    """
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(
            f"x must be one channel (1-D); got shape {arr.shape}. "
            "For multichannel audio call track_f0 once per channel (channels first: x[c])."
        )
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"x must hold real numbers; got dtype {arr.dtype}")
    tracker = F0Tracker(sample_rate, hop, params)
    hop = tracker.hop
    xf = np.ascontiguousarray(arr, dtype=np.float32)
    n = xf.shape[0]
    nf = n_frames(n, hop)
    if gate is None:
        g = np.ones(nf, dtype=np.bool_)
    else:
        g = np.ascontiguousarray(gate, dtype=np.bool_)
        if g.shape != (nf,):
            raise ValueError(
                f"gate must have one entry per frame: shape ({nf},) for {n} samples at hop "
                f"{hop} (ceil(n / hop)); got shape {g.shape}"
            )
    if nf == 0:
        return np.full(0, np.nan, dtype=np.float32), np.zeros(0, dtype=np.bool_)
    if not np.isfinite(xf).all():
        raise ValueError("x contains NaN or infinite samples; replace or drop them first")
    level = tracker.levels(xf)
    speech_level, floor_level = tracker.references(level)
    return tracker.path(tracker.candidates(xf, g), level, speech_level, floor_level, tracker.ratios(level, 0, nf))


class Candidates(NamedTuple):
    """Period candidates of a run of frames (:meth:`F0Tracker.candidates`).

    ``lag``, ``corr``, ``white``: shape (n_frames, n_cands), float64 (period in full-rate
    samples, NCCF, whitened NCCF); ``n``: shape (n_frames,), int64, candidates per frame
    (0 outside the gate).
    """

    lag: np.ndarray
    corr: np.ndarray
    white: np.ndarray
    n: np.ndarray

    def __getitem__(self, key):
        if isinstance(key, slice):
            return Candidates(self.lag[key], self.corr[key], self.white[key], self.n[key])
        return tuple.__getitem__(self, key)

    @staticmethod
    def join(parts):
        """The candidates of consecutive runs of frames, as one."""
        return Candidates(*(np.concatenate([getattr(p, k) for p in parts]) for k in Candidates._fields))


class F0Tracker:
    """:func:`track_f0` in stages, for signals processed a block at a time.

    Candidates are local: a frame's candidates depend only on the samples within
    ``context_frames`` hops of it, so a long signal can be cut into blocks (each with that
    many hops of real samples on both sides) and the candidates of each block's own frames
    joined. Levels are the frame levels of the whole signal; the references (speech and
    background level) come from all of them, and each frame's RMS ratio from its neighbours. The path is the Viterbi pass; it may
    be run on any run of frames that starts and ends with a frame without candidates
    (outside the gate): the only state there is "unvoiced", so the path on each side of such
    a frame does not depend on the other side.

    ``params`` is a ``callscan.params.PitchParams`` (the defaults when omitted), as for
    :func:`track_f0`.
    """

    def __init__(self, sample_rate, hop, params=None):
        if params is None:
            from callscan.params import PitchParams

            params = PitchParams()
        p = params
        fmin, fmax = p.fmin_hz, p.fmax_hz
        window_s, coarse_rate, coarse_band, lowcut_hz = p.window_s, p.coarse_rate_hz, p.coarse_band, p.lowcut_hz
        lpc_order, lpc_window_s, lpc_noise_floor = p.lpc_order, p.lpc_window_s, p.lpc_noise_floor
        n_cands, cand_ratio, lag_weight = p.n_cands, p.cand_ratio, p.lag_weight
        octave_weight, jump_cost, voicing_cost, amp_cost = p.octave_weight, p.jump_cost, p.voicing_cost, p.amp_cost
        amp_span_s, voiced_bias, silence_weight = p.amp_span_s, p.voiced_bias, p.silence_weight
        speech_pct, floor_pct, floor_min_db = p.speech_pct, p.floor_pct, p.floor_min_db
        quiet_db, silence_db = p.quiet_db, p.silence_db
        floor_quiet_db, floor_silence_db, noise_snr_min_db = p.floor_quiet_db, p.floor_silence_db, p.noise_snr_min_db
        _check_positive("sample_rate", sample_rate)
        if isinstance(hop, bool) or not isinstance(hop, (int, np.integer)) or hop < 1:
            raise ValueError(f"hop must be a positive whole number of samples, got {hop!r}")
        _check_positive("fmin", fmin)
        _check_positive("fmax", fmax)
        sr = float(sample_rate)
        if not fmin < fmax < sr / 2.0:
            raise ValueError(
                f"need 0 < fmin < fmax < sample_rate / 2; got fmin={fmin}, fmax={fmax} at "
                f"{sr:g} Hz"
            )
        for name, value in (("window_s", window_s), ("coarse_rate", coarse_rate),
                            ("lpc_window_s", lpc_window_s), ("amp_span_s", amp_span_s),
                            ("noise_snr_min_db", noise_snr_min_db), ("lowcut_hz", lowcut_hz)):
            _check_positive(name, value)
        if not 0.0 < coarse_band <= 0.5:
            raise ValueError(f"coarse_band must be in (0, 0.5], got {coarse_band}")
        if int(n_cands) < 1 or int(lpc_order) < 1:
            raise ValueError(f"n_cands and lpc_order must be >= 1; got {n_cands}, {lpc_order}")
        if not (silence_db > quiet_db and floor_quiet_db > floor_silence_db):
            raise ValueError("need silence_db > quiet_db and floor_quiet_db > floor_silence_db")
        self.sample_rate = sr
        self.hop = int(hop)
        self.geo = _geometry(sr, self.hop, fmin, fmax, window_s, coarse_rate, coarse_band,
                             lowcut_hz, lpc_order, lpc_window_s, lpc_noise_floor)
        self.n_cands = int(n_cands)
        self.cand_ratio, self.lag_weight = float(cand_ratio), float(lag_weight)
        self.costs = tuple(float(v) for v in (octave_weight, jump_cost, voicing_cost, amp_cost,
                                              voiced_bias, quiet_db, silence_db, floor_quiet_db,
                                              floor_silence_db, silence_weight, noise_snr_min_db))
        self.speech_pct, self.floor_pct, self.floor_min_db = speech_pct, floor_pct, floor_min_db
        self.amp_span = max(1, int(round(amp_span_s * sr / self.hop)))
        self._scratch = {}  # signal buffers reused from block to block (_signals)

    @property
    def context_frames(self):
        """Hops of real signal a block needs on each side of its own frames."""
        return self.geo.r_pad + 1

    def candidates(self, xf, gate):
        """Candidates of every frame of ``xf`` (float32, 1-D) where ``gate`` is True.

        Returns
        -------
        Candidates
            For ``ceil(len(xf) / hop)`` frames.
        """
        nf = gate.shape[0]
        geo = self.geo
        cands = Candidates(np.zeros((nf, self.n_cands)), np.zeros((nf, self.n_cands)),
                           np.zeros((nf, self.n_cands)), np.zeros(nf, dtype=np.int64))
        if nf == 0 or not gate.any():
            return cands
        xp, xc, xw, centres = _signals(xf, gate, geo, self._scratch)
        _candidates(xp, xc, xw, centres, gate, geo.factor, geo.win_f, geo.win_c, geo.lag_min,
                    geo.lag_max, geo.lag_lo_c, geo.lag_hi_c, self.cand_ratio, self.lag_weight,
                    cands.lag, cands.corr, cands.white, cands.n)
        return cands

    def levels(self, xf):
        """DC-removed power of each frame's own hop interval, dB, shape (n_frames,), float64."""
        level = np.empty(n_frames(xf.shape[0], self.hop))
        _frame_levels(xf, self.hop, level)
        return level

    def references(self, level):
        """Speech level ``S`` and background level ``B`` (dB) from the whole signal's levels."""
        speech_level = float(np.percentile(level, self.speech_pct))
        live = level[level > self.floor_min_db]  # digital silence (codec DTX, zeros) is no floor
        floor_level = float(np.percentile(live, self.floor_pct)) if live.size else float(self.floor_min_db)
        return speech_level, floor_level

    def ratios(self, level, lo, hi):
        """RMS ratios (after / before, ``amp_span_s`` each) of frames ``[lo, hi)`` of the
        whole signal's ``level``, shape (hi - lo,)."""
        span = self.amp_span
        a, b = max(lo - span, 0), min(hi + span, level.shape[0])
        rr = np.empty(b - a)
        _amp_ratio(level[a:b], span, rr)
        return rr[lo - a : hi - a]

    def path(self, cands, level, speech_level, floor_level, rr):
        """F0 (Hz, NaN where unvoiced, float32) and voicing (bool) of a run of frames.

        ``level`` holds those frames' levels, ``rr`` their ratios (:meth:`ratios`).
        """
        nf = cands.n.shape[0]
        back = np.empty((nf, self.n_cands + 1), dtype=np.int32)
        lag_out = np.zeros(nf)
        _viterbi(cands.lag, cands.corr, cands.white, cands.n, level, rr, float(speech_level),
                 float(floor_level), self.geo.lag_max, self.lag_weight, *self.costs, back, lag_out)
        v = lag_out > 0.0
        f0 = np.full(nf, np.nan, dtype=np.float32)
        f0[v] = (self.sample_rate / lag_out[v]).astype(np.float32)
        return f0, v
