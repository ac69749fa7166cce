/* The loops a render runs over every sample after synthesis: BS.1770's K-weighting with
   the running energy (``kweigh``), the 4x oversampled true-peak envelope (``envelope``), the
   limiter's held need (``hold``), its gains applied (``scale``) and the samples as integers
   (``pcm``). In numpy the meters took a third of a long render's CPU; in C they take a few
   per cent. They read buffers of float32 or float64 frames (channels interleaved) and write
   into buffers the caller owns, so the module needs neither numpy's headers nor its C API,
   and the limited API keeps one build good for every CPython from 3.11. */

#define PY_SSIZE_T_CLEAN
#define Py_LIMITED_API 0x030B0000
#include <Python.h>
#include <math.h>
#include <stdint.h>

#define STAGES 2 /* K-weighting: a high shelf, then a high pass */

/* Sample i of interleaved frames (frame * channels + channel), float32 or float64. */
static inline double at(const void *x, int wide, Py_ssize_t i)
{
    return wide ? ((const double *)x)[i] : (double)((const float *)x)[i];
}

static int sized(Py_buffer *b, Py_ssize_t want, const char *name)
{
    if (b->len < want) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, %zd needed", name, b->len, want);
        return 0;
    }
    return 1;
}

/* kweigh for channels first..first + count - 1 (count 1 or 2, a constant where it is
   inlined, so each channel's filter memory stays in registers). */
static inline __attribute__((always_inline)) void
weigh(const Py_buffer *x, int wide, int channels, int first, const int count, Py_ssize_t frames,
      const double *c, double *s, double *t, const int64_t *m, Py_ssize_t marks, double *e)
{
    double z[2][STAGES][2], energy[2];
    for (int n = 0; n < count; n++) {
        energy[n] = t[first + n];
        for (int k = 0; k < STAGES; k++) {
            z[n][k][0] = s[((first + n) * STAGES + k) * 2];
            z[n][k][1] = s[((first + n) * STAGES + k) * 2 + 1];
        }
    }
    /* the memory's update from the memory itself rather than from the output (y = b0 v +
       z0 put into z0's and z1's): a chain of a multiply and an add a frame instead of two of
       each, the same filter to a few units in the last place */
    double fed[STAGES][2];
    for (int k = 0; k < STAGES; k++) {
        fed[k][0] = c[5 * k + 1] - c[5 * k + 3] * c[5 * k];
        fed[k][1] = c[5 * k + 2] - c[5 * k + 4] * c[5 * k];
    }
    Py_ssize_t next = 0;
    for (Py_ssize_t i = 0; i < frames; i++) {
        for (int n = 0; n < count; n++) {
            double v = at(x->buf, wide, i * channels + first + n);
            for (int k = 0; k < STAGES; k++) {
                const double *b = c + 5 * k, z0 = z[n][k][0];
                z[n][k][0] = fed[k][0] * v + z[n][k][1] - b[3] * z0;
                z[n][k][1] = fed[k][1] * v - b[4] * z0;
                v = b[0] * v + z0;
            }
            energy[n] += v * v;
        }
        if (next < marks && m[next] == i) {
            for (int n = 0; n < count; n++)
                e[next * channels + first + n] = energy[n];
            next++;
        }
    }
    for (int n = 0; n < count; n++) {
        t[first + n] = energy[n];
        for (int k = 0; k < STAGES; k++) {
            s[((first + n) * STAGES + k) * 2] = z[n][k][0];
            s[((first + n) * STAGES + k) * 2 + 1] = z[n][k][1];
        }
    }
}

PyDoc_STRVAR(kweigh_doc,
"kweigh(x, channels, wide, coeffs, state, total, marks, energies)\n\n"
"Filter the frames of ``x`` (interleaved; float64 if ``wide`` else float32) through\n"
"the K-weighting biquads ``coeffs`` (float64 b0 b1 b2 a1 a2 per stage, a0 = 1) as\n"
"scipy.signal.lfilter does (direct form II transposed, to a few units in the last\n"
"place), from ``state`` (float64, two values per stage per channel, updated), adding\n"
"each squared output to ``total``\n"
"(float64 per channel, updated). ``energies`` (float64, channels per mark) gets the\n"
"running total after frame k for each k in ``marks`` (int64, ascending).");

static PyObject *kweigh(PyObject *self, PyObject *args)
{
    Py_buffer x, co, st, tot, mk, en;
    int channels, wide;
    if (!PyArg_ParseTuple(args, "y*iiy*w*w*y*w*", &x, &channels, &wide, &co, &st, &tot, &mk, &en))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t frames = channels > 0 ? x.len / ((Py_ssize_t)channels * (wide ? 8 : 4)) : 0;
    Py_ssize_t marks = mk.len / 8;
    if (channels < 1) {
        PyErr_SetString(PyExc_ValueError, "channels: at least 1");
        goto done;
    }
    if (!sized(&co, STAGES * 5 * 8, "coeffs") || !sized(&st, channels * STAGES * 2 * 8, "state")
        || !sized(&tot, channels * 8, "total") || !sized(&en, marks * channels * 8, "energies"))
        goto done;
    const int64_t *m = mk.buf;
    for (Py_ssize_t k = 0; k < marks; k++)
        if (m[k] < 0 || m[k] >= frames || (k && m[k] <= m[k - 1])) {
            PyErr_Format(PyExc_ValueError, "marks: %lld is not in order within %zd frames",
                         (long long)m[k], frames);
            goto done;
        }
    Py_BEGIN_ALLOW_THREADS
    for (int ch = 0; ch < channels; ch += 2) /* two channels at once: their loops overlap */
        if (ch + 1 < channels)
            weigh(&x, wide, channels, ch, 2, frames, co.buf, st.buf, tot.buf, m, marks, en.buf);
        else
            weigh(&x, wide, channels, ch, 1, frames, co.buf, st.buf, tot.buf, m, marks, en.buf);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&x);
    PyBuffer_Release(&co);
    PyBuffer_Release(&st);
    PyBuffer_Release(&tot);
    PyBuffer_Release(&mk);
    PyBuffer_Release(&en);
    return result;
}

/* Where the CPU has AVX2, a second build of the loop below that adds four sums at a time:
   the same additions in the same order (no fused multiply-add), so the same bits. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
#define WIDEST __attribute__((target_clones("avx2", "default")))
#else
#define WIDEST
#endif

/* One phase's values for m frames: sum over j < taps of tap[j] d[i - j], each in tap order,
   and out[i] raised to |sum| where it is larger. */
WIDEST static void interpolate(const double *tap, int taps, const double *d, Py_ssize_t m,
                               double *restrict sum, double *restrict out)
{
    for (Py_ssize_t i = 0; i < m; i++)
        sum[i] = 0.0;
    for (int j = 0; j < taps; j++)
        for (Py_ssize_t i = 0; i < m; i++)
            sum[i] += tap[j] * d[i - j];
    for (Py_ssize_t i = 0; i < m; i++) {
        double v = fabs(sum[i]);
        out[i] = v > out[i] ? v : out[i];
    }
}

PyDoc_STRVAR(envelope_doc,
"envelope(x, channels, wide, n, context, phases, taps, above, bound, span, must, out)\n\n"
"For frames context..context + n of ``x`` (interleaved; float64 if ``wide`` else\n"
"float32), write to ``out`` (float64, n) the largest |value| over the channels of the\n"
"sample and of each interpolated value: phase p's is the sum over j < ``taps`` of\n"
"phases[p][j] x[frame + context - j] (``phases``: float64, phases x taps), as\n"
"numpy.convolve(x, phase)[2 context:][:n] computes it. With ``above`` > 0, only in\n"
"stretches of ``span`` frames whose samples (those of that span of x and the next)\n"
"times ``bound`` (the most a phase makes of full scale) could reach ``above``, and with\n"
"``must`` (one byte per frame of x; empty: every frame) only where the frames a value\n"
"sees include one marked: elsewhere the sample's own, which is no larger.");

static PyObject *envelope(PyObject *self, PyObject *args)
{
    Py_buffer x, ph, must, out;
    int channels, wide, context, taps;
    Py_ssize_t n, span;
    double above, bound;
    if (!PyArg_ParseTuple(args, "y*iinly*iddny*w*", &x, &channels, &wide, &n, &context, &ph,
                          &taps, &above, &bound, &span, &must, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t phases = taps > 0 ? ph.len / (8 * (Py_ssize_t)taps) : 0;
    if (channels < 1 || n < 0 || context < 0 || taps < 1 || taps > 2 * context + 1
        || span < 2 * context) {
        PyErr_SetString(PyExc_ValueError, "channels, n, context, taps or span out of range");
        goto done;
    }
    Py_ssize_t len = n + 2 * (Py_ssize_t)context;
    if (!sized(&x, len * channels * (wide ? 8 : 4), "x") || !sized(&out, n * 8, "out")
        || (must.len && !sized(&must, len, "must")))
        goto done;
    const char *marked = must.len ? must.buf : NULL;
    const double *h = ph.buf;
    double *o = out.buf;
    const double reach = above * (1 - 1e-9);
    const Py_ssize_t width = span + 2 * (Py_ssize_t)context;
    double *d = PyMem_Malloc(sizeof(double) * (width + span));
    if (!d) {
        PyErr_NoMemory();
        goto done;
    }
    double *sum = d + width;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t lo = 0; lo < n; lo += span) {
        const Py_ssize_t m = lo + span < n ? span : n - lo;
        int could = 1;
        if (marked) { /* a value at frame i sees frames i .. i + 2 context of x */
            could = 0;
            for (Py_ssize_t k = lo; k < lo + m + 2 * context && !could; k++)
                could = marked[k] != 0;
        }
        if (could && above > 0) { /* the frames these values see lie in spans lo, lo + 1 */
            double top = 0.0;
            Py_ssize_t end = lo + 2 * span < len ? lo + 2 * span : len;
            for (Py_ssize_t k = lo * channels; k < end * channels; k++) {
                double v = fabs(at(x.buf, wide, k));
                top = v > top ? v : top;
            }
            could = top * bound >= reach;
        }
        for (Py_ssize_t i = 0; i < m; i++)
            o[lo + i] = 0.0;
        for (int ch = 0; ch < channels; ch++) {
            /* this channel's frames lo..lo + m + 2 context, contiguous, as float64 */
            for (Py_ssize_t k = 0; k < m + 2 * context; k++)
                d[k] = at(x.buf, wide, (lo + k) * channels + ch);
            for (Py_ssize_t i = 0; i < m; i++) {
                double v = fabs(d[i + context]);
                o[lo + i] = v > o[lo + i] ? v : o[lo + i];
            }
            for (Py_ssize_t p = 0; could && p < phases; p++)
                interpolate(h + p * taps, taps, d + 2 * context, m, sum, o + lo);
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(d);
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&x);
    PyBuffer_Release(&ph);
    PyBuffer_Release(&must);
    PyBuffer_Release(&out);
    return result;
}

PyDoc_STRVAR(scale_doc,
"scale(x, channels, gains, out)\n\n"
"out = x times a gain per frame (``gains``: float64, one for every frame, or one per frame),\n"
"float32 frames in and out (channels interleaved), each product taken in float64 and\n"
"rounded once: numpy's (x * gains[:, None]).astype(float32) in one pass.");

static PyObject *scale(PyObject *self, PyObject *args)
{
    Py_buffer x, g, out;
    int channels;
    if (!PyArg_ParseTuple(args, "y*iy*w*", &x, &channels, &g, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t frames = channels > 0 ? x.len / (4 * (Py_ssize_t)channels) : 0;
    Py_ssize_t step = g.len == 8 ? 0 : 1; /* one gain for every frame, or one per frame */
    if (channels < 1) {
        PyErr_SetString(PyExc_ValueError, "channels: at least 1");
        goto done;
    }
    if ((step && !sized(&g, frames * 8, "gains")) || !sized(&g, 8, "gains")
        || !sized(&out, x.len, "out"))
        goto done;
    const float *in = x.buf;
    const double *gain = g.buf;
    float *o = out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < frames; i++)
        for (int ch = 0; ch < channels; ch++)
            o[i * channels + ch] = (float)((double)in[i * channels + ch] * gain[i * step]);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&x);
    PyBuffer_Release(&g);
    PyBuffer_Release(&out);
    return result;
}

PyDoc_STRVAR(hold_doc,
"hold(need, width, release, carry, out)\n\n"
"The limiter's held need (dB) for len(out) frames: peak[i] = max(need[i:i + width]) (``need``:\n"
"float64, len(out) + width - 1 values), then out[i] = max over j <= i of (peak[j] +\n"
"release (j + 1)) - release (i + 1), and at least carry - release (i + 1): a hold that\n"
"falls ``release`` a frame from each peak and from ``carry`` before the first. The same\n"
"bits as numpy's maximum.accumulate(peak + slope) - slope.");

static PyObject *hold(PyObject *self, PyObject *args)
{
    Py_buffer nd, out;
    Py_ssize_t width;
    double release, carry;
    if (!PyArg_ParseTuple(args, "y*nddw*", &nd, &width, &release, &carry, &out))
        return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = out.len / 8;
    if (width < 1 || nd.len / 8 != n + width - 1) {
        PyErr_Format(PyExc_ValueError, "need: %zd values for %zd frames of width %zd",
                     nd.len / 8, n, width);
        goto done;
    }
    Py_ssize_t *queue = PyMem_Malloc(sizeof(Py_ssize_t) * (n + width));
    if (!queue) {
        PyErr_NoMemory();
        goto done;
    }
    const double *need = nd.buf;
    double *o = out.buf, top = -INFINITY;
    Py_BEGIN_ALLOW_THREADS
    /* the running maximum: a queue of indices whose values fall from front to back */
    Py_ssize_t front = 0, back = 0;
    for (Py_ssize_t k = 0; k < n + width - 1; k++) {
        while (back > front && need[queue[back - 1]] <= need[k])
            back--;
        queue[back++] = k;
        Py_ssize_t i = k - width + 1; /* the window need[i .. k] is complete */
        if (i < 0)
            continue;
        if (queue[front] < i)
            front++;
        double slope = release * (double)(i + 1), sum = need[queue[front]] + slope;
        top = sum > top ? sum : top;
        double held = top - slope, fallen = carry - slope;
        o[i] = fallen > held ? fallen : held;
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(queue);
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&nd);
    PyBuffer_Release(&out);
    return result;
}

PyDoc_STRVAR(pcm_doc,
"pcm(x, bits, out) -> clipped\n\n"
"float32 samples ``x`` as rounded (never wrapped) integers in ``out``: int16 for 16 bits,\n"
"or 24 bits in the top of an int32; each sample times 2^(bits - 1) - 1 in float64, rounded\n"
"half to even and held in range, as numpy's rint and clip; NaN gives 0. Returns how many\n"
"samples lay beyond full scale (|x| > 1).");

static PyObject *pcm(PyObject *self, PyObject *args)
{
    Py_buffer x, out;
    int bits;
    if (!PyArg_ParseTuple(args, "y*iw*", &x, &bits, &out))
        return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = x.len / 4;
    if (bits != 16 && bits != 24) {
        PyErr_SetString(PyExc_ValueError, "bits: 16 or 24");
        goto done;
    }
    if (!sized(&out, n * (bits == 16 ? 2 : 4), "out"))
        goto done;
    const float *in = x.buf;
    const double full = bits == 16 ? 32768.0 : 8388608.0;
    Py_ssize_t clipped = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        float v = in[i];
        clipped += fabsf(v) > 1.0f; /* fabs: no branch on the sign */
        /* held in range, then rounded half to even as rint would be (the same integers as
           rounding first): adding and taking away 2^52 + 2^51 leaves no fraction, and is
           not a call into libm on a CPU without SSE4.1's round */
        double d = (double)v * (full - 1);
        d = d < -full ? -full : d > full - 1 ? full - 1 : d;
        d = (d + 6755399441055744.0) - 6755399441055744.0;
        d = d == d ? d : 0.0; /* NaN */
        if (bits == 16)
            ((int16_t *)out.buf)[i] = (int16_t)d;
        else
            ((int32_t *)out.buf)[i] = (int32_t)((uint32_t)(int32_t)d << 8);
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(clipped);
done:
    PyBuffer_Release(&x);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"pcm", pcm, METH_VARARGS, pcm_doc},
    {"hold", hold, METH_VARARGS, hold_doc},
    {"scale", scale, METH_VARARGS, scale_doc},
    {"kweigh", kweigh, METH_VARARGS, kweigh_doc},
    {"envelope", envelope, METH_VARARGS, envelope_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "The audio path's per-sample loops (see _kernels.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void)
{
    return PyModule_Create(&module);
}
