// Why the benchmark MLP at batch 32 stays near 80% of its sgemm-only ceiling: what exact
// float32 Adam costs per step, what its memory traffic alone costs, and whether fusing it
// into the kernel-gradient product hides it.
//
// Shapes are the benchmark net's (784-300-100-10, 266,610 parameters; the first layer's
// kernel 784 x 300). Every row is timed over the same repeats, rows interleaved per round,
// one thread (OPENBLAS_NUM_THREADS=1), the median of the rounds printed.
//
//   bench/training/adam-floor [batch]
//
// Rows:
//   adam exact        Sweep's Adam pass (AdamOptimizer.update): moments, sqrt, division
//   adam traffic      the same loads and stores with the square root and division left out:
//                     the floor any separate exact-state update pays
//   dW sgemm          OpenBLAS's kernel gradient of the first layer (x^T dZ, k = batch)
//   dW + adam         that product followed by the exact pass over the first layer
//   fused             a register-blocked x^T dZ that applies Adam to each 6 x 32 tile as
//                     soon as it is summed (AVX-512; the gradient is never stored)
//   fused, no adam    the same kernel storing the tile instead: its product alone
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#pragma clang fp contract(off)

enum { PARAMS = 266610, FAN_IN = 784, UNITS = 300, MR = 6, ROUNDS = 7, REPEATS = 300 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct { float alpha, beta1, beta2, epsilon; } Adam;
static const Adam ADAM = { 1e-3f, 0.9f, 0.999f, 1e-8f };

// ---- a separate pass (AVX2, as Sweep's Swift loop compiles) ----

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static void adamPass(size_t n, float *w, const float *g, float *m, float *v, int exact) {
    __m256 b1 = _mm256_set1_ps(ADAM.beta1), c1 = _mm256_set1_ps(1 - ADAM.beta1);
    __m256 b2 = _mm256_set1_ps(ADAM.beta2), c2 = _mm256_set1_ps(1 - ADAM.beta2);
    __m256 a = _mm256_set1_ps(ADAM.alpha), e = _mm256_set1_ps(ADAM.epsilon);
    for (size_t i = 0; i + 8 <= n; i += 8) {
        __m256 gv = _mm256_loadu_ps(g + i);
        __m256 mv = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, gv));
        __m256 vv = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(c2, _mm256_mul_ps(gv, gv)));
        _mm256_storeu_ps(m + i, mv);
        _mm256_storeu_ps(v + i, vv);
        __m256 step = exact ? _mm256_div_ps(_mm256_mul_ps(a, mv), _mm256_add_ps(_mm256_sqrt_ps(vv), e))
                            : _mm256_mul_ps(_mm256_mul_ps(a, mv), _mm256_add_ps(vv, e));
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_loadu_ps(w + i), step));
    }
}

// ---- the fused kernel (AVX-512) ----

#define AVX512 __attribute__((target("avx512f")))
#define INLINE512 __attribute__((target("avx512f"), always_inline)) static inline

INLINE512 void adamTile(__m512 g, float *w, float *m, float *v, __mmask16 k) {
    __m512 b1 = _mm512_set1_ps(ADAM.beta1), c1 = _mm512_set1_ps(1 - ADAM.beta1);
    __m512 b2 = _mm512_set1_ps(ADAM.beta2), c2 = _mm512_set1_ps(1 - ADAM.beta2);
    __m512 mv = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_maskz_loadu_ps(k, m)), _mm512_mul_ps(c1, g));
    __m512 vv = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_maskz_loadu_ps(k, v)), _mm512_mul_ps(c2, _mm512_mul_ps(g, g)));
    _mm512_mask_storeu_ps(m, k, mv);
    _mm512_mask_storeu_ps(v, k, vv);
    __m512 step = _mm512_div_ps(_mm512_mul_ps(_mm512_set1_ps(ADAM.alpha), mv),
                                _mm512_add_ps(_mm512_sqrt_ps(vv), _mm512_set1_ps(ADAM.epsilon)));
    _mm512_mask_storeu_ps(w, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, w), step));
}

/// Rows i..<i+rowsInTile of x^T dZ, columns j..<j+32 (masked at the right edge).
INLINE512 void tile(int rowsInTile, const float *xt, const float *dz, size_t batch, size_t j, size_t i,
                    __mmask16 k0, __mmask16 k1, float *w, float *m, float *v, int withAdam) {
    __m512 acc0[MR], acc1[MR];
    for (int r = 0; r < MR; r++) acc0[r] = acc1[r] = _mm512_setzero_ps();
    for (size_t b = 0; b < batch; b++) {
        __m512 d0 = _mm512_maskz_loadu_ps(k0, dz + b * UNITS + j), d1 = _mm512_maskz_loadu_ps(k1, dz + b * UNITS + j + 16);
        for (int r = 0; r < rowsInTile; r++) {
            __m512 x = _mm512_set1_ps(xt[b * MR + r]);
            acc0[r] = _mm512_fmadd_ps(x, d0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(x, d1, acc1[r]);
        }
    }
    for (int r = 0; r < rowsInTile; r++) {
        size_t o = (i + r) * UNITS + j;
        if (withAdam) {
            adamTile(acc0[r], w + o, m + o, v + o, k0);
            if (k1) adamTile(acc1[r], w + o + 16, m + o + 16, v + o + 16, k1);
        } else {
            _mm512_mask_storeu_ps(w + o, k0, acc0[r]);
            if (k1) _mm512_mask_storeu_ps(w + o + 16, k1, acc1[r]);
        }
    }
}

INLINE512 void rowBlock(int rowsInTile, const float *x, const float *dz, size_t batch, size_t i, float *xt,
                        float *w, float *m, float *v, int withAdam) {
    for (size_t b = 0; b < batch; b++)
        for (int r = 0; r < rowsInTile; r++) xt[b * MR + r] = x[b * FAN_IN + i + r];
    for (size_t j = 0; j < UNITS; j += 32) {
        size_t left = UNITS - j;
        __mmask16 k0 = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
        __mmask16 k1 = left >= 32 ? 0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
        tile(rowsInTile, xt, dz, batch, j, i, k0, k1, w, m, v, withAdam);
    }
}

AVX512 static void fused(const float *x, const float *dz, size_t batch, float *w, float *m, float *v, int withAdam) {
    float *xt = malloc(sizeof(float) * MR * batch);
    size_t i = 0;
    for (; i + MR <= FAN_IN; i += MR) rowBlock(MR, x, dz, batch, i, xt, w, m, v, withAdam);
    for (; i < FAN_IN; i++) rowBlock(1, x, dz, batch, i, xt, w, m, v, withAdam);
    free(xt);
}

// ---- the harness ----

static float *filled(size_t n, float scale) {
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    for (size_t i = 0; i < n; i++) p[i] = scale * (float)((double)rand() / RAND_MAX - 0.5);
    return p;
}

static int compareDoubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    size_t batch = argc > 1 ? (size_t)atoi(argv[1]) : 32;
    int avx512 = __builtin_cpu_supports("avx512f");
    srand(1);
    float *x = filled(batch * FAN_IN, 2), *dz = filled(batch * UNITS, 1), *out = filled(batch * UNITS, 1);
    float *w = filled(PARAMS, 0.1f), *g = filled(PARAMS, 1e-3f), *m = filled(PARAMS, 1e-4f), *v = filled(PARAMS, 0);
    for (size_t i = 0; i < PARAMS; i++) v[i] = fabsf(v[i]);
    float *scratch = filled(FAN_IN * UNITS, 0);

    const char *names[] = { "adam exact", "adam traffic", "dW sgemm", "dW + adam", "fused", "fused, no adam" };
    enum { ROWS = 6 };
    double seconds[ROWS][ROUNDS];
    int rows = avx512 ? ROWS : 4;
    for (int round = 0; round < ROUNDS; round++) {
        for (int row = 0; row < rows; row++) {
            double total = 0;
            for (int rep = 0; rep < REPEATS; rep++) {
                // The forward product of the layer runs before each timed call, as in a step.
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, UNITS, FAN_IN, 1, x, FAN_IN, w, UNITS, 0, out, UNITS);
                double start = now();
                switch (row) {
                case 0: adamPass(PARAMS, w, g, m, v, 1); break;
                case 1: adamPass(PARAMS, w, g, m, v, 0); break;
                case 2: cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, FAN_IN, UNITS, batch, 1, x, FAN_IN, dz, UNITS, 0, g, UNITS); break;
                case 3:
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, FAN_IN, UNITS, batch, 1, x, FAN_IN, dz, UNITS, 0, g, UNITS);
                    adamPass(FAN_IN * UNITS, w, g, m, v, 1);
                    break;
                case 4: fused(x, dz, batch, w, m, v, 1); break;
                case 5: fused(x, dz, batch, scratch, m, v, 0); break;
                }
                total += now() - start;
            }
            seconds[row][round] = total / REPEATS;
        }
    }
    printf("batch %zu, %d rounds x %d repeats, median per call (us):\n", batch, ROUNDS, REPEATS);
    for (int row = 0; row < rows; row++) {
        qsort(seconds[row], ROUNDS, sizeof(double), compareDoubles);
        printf("  %-15s %8.1f\n", names[row], seconds[row][ROUNDS / 2] * 1e6);
    }
    if (!avx512) printf("  (no AVX-512 on this CPU: the fused rows are left out)\n");
    return 0;
}
