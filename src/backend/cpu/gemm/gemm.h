/* Packed single-precision GEMM for the CPU tactics: C[M,N] (+)= A[M,K] * B[K,N], then an
 * epilogue (bias, residual, activation) applied to each C tile while it is in cache.
 *
 * Both operands are packed before the multiply (BLIS's scheme): A into panels of `mr` rows
 * ([k][mr] per panel, over the whole K, the last panel padded with zeros), B into panels of
 * `nr` columns ([k][nr]). Constant operands (weights) are packed once, by a tactic's
 * prepare(), into its plan data; the others are packed per run into the workspace. The
 * multiply is blocked for the caches (kc over K, mc over M, nc over N) and runs its
 * (M block x N block) tasks on a thread pool; nothing here allocates.
 *
 * A micro-kernel computes one mr x nr tile from a panel of A and a panel of B. One kernel
 * family per ISA (AVX-512, AVX2+FMA, portable C), chosen once from cpuid; the packed format
 * depends only on (mr, nr), so packed data names the shape it was packed for and any kernel
 * of that shape (or the generic one) can run it. */
#ifndef INGOT_BACKEND_CPU_GEMM_GEMM_H
#define INGOT_BACKEND_CPU_GEMM_GEMM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/thread_pool.h"

#define INGOT_GEMM_MAX_MR 16
#define INGOT_GEMM_MAX_NR 64

struct ingot_gemm_kernel;

/* The part of an epilogue a micro-kernel applies to its tile in registers, before the
 * store, in this order: + bias_row[i], + bias_col[j], + add[0](i, j), + add[1](i, j), then
 * v = min(hi, max(lo, v)) when clamp (relu, clip; NaN stays NaN as in the reference).
 * Pointers are at the tile's origin and cover all its nr columns. */
typedef struct ingot_gemm_fused {
  const float *bias_row; /* NULL: none */
  const float *bias_col;
  const float *add[2];   /* matrices (a full bias, the residual); NULL: none */
  int64_t ld_add[2];
  int32_t clamp;
  float lo, hi;
} ingot_gemm_fused;

/* Computes the tile C[0..m, 0..nr) (+)= Apanel * Bpanel over kc steps: a is a packed A
 * panel (stride mr per k), b a packed B panel (stride nr per k), m <= mr rows are stored,
 * every nr columns. accumulate: add to C, else overwrite. fused: NULL, or what to apply
 * before storing (the last K block only). */
typedef void (*ingot_gemm_ukernel_fn)(const struct ingot_gemm_kernel *self, int64_t kc, const float *a,
                                      const float *b, float *c, int64_t ldc, int32_t m, int32_t accumulate,
                                      const ingot_gemm_fused *fused);

/* The same tile with A read in place through row pointers instead of from a packed panel
 * (XNNPACK's indirect GEMM): K is `taps` runs of kc values, and row i of run t starts at
 * rows[t * mr + i] (rows past m may point anywhere readable). A channels-last convolution
 * passes, per tap, the input pixel under each output pixel (or a zero row in the padding),
 * so it needs no im2col and no packing of its input. B is packed over all taps * kc; C is
 * overwritten, then `fused` (NULL: none) applied. */
typedef void (*ingot_gemm_indirect_fn)(const struct ingot_gemm_kernel *self, int64_t taps, int64_t kc,
                                       const float *const *rows, const float *b, float *c, int64_t ldc, int32_t m,
                                       const ingot_gemm_fused *fused);

typedef struct ingot_gemm_kernel {
  const char *name; /* "gemm_f32_6x16_avx2": dtype, tile, ISA */
  int32_t mr, nr;
  int32_t kc, mc;   /* cache blocking: K and M extents of an A block (mc a multiple of mr) */
  bool (*available)(void); /* can this CPU run it */
  ingot_gemm_ukernel_fn ukernel;
  ingot_gemm_indirect_fn ukernel_indirect;
} ingot_gemm_kernel;

/* Every kernel built in, best first; `available` says which this CPU runs. The last one
 * is the portable C kernel (always available). */
const ingot_gemm_kernel *const *ingot_gemm_kernels(int32_t *count_out);
/* The best kernel this CPU runs, chosen once from cpuid. The environment variable
 * INGOT_GEMM_KERNEL (a kernel's name) overrides the choice when that kernel is available,
 * for benchmarks and debugging. Thread-safe. */
const ingot_gemm_kernel *ingot_gemm_default_kernel(void);
/* A kernel able to run data packed for (mr, nr): an available built-in kernel of that
 * shape, else the generic (slow, portable) kernel for it; NULL if the shape is over the
 * maxima above. `storage` holds the generic kernel's descriptor (caller's, lives as long
 * as the result is used). */
const ingot_gemm_kernel *ingot_gemm_kernel_for_shape(int32_t mr, int32_t nr, ingot_gemm_kernel *storage);

/* ---- packing -------------------------------------------------------------------------- */

/* Floats of a packed A (m x k) and of a packed B (k x n). */
static inline int64_t ingot_gemm_packed_a_floats(const ingot_gemm_kernel *kr, int64_t m, int64_t k) {
  return (m + kr->mr - 1) / kr->mr * kr->mr * k;
}
static inline int64_t ingot_gemm_packed_b_floats(const ingot_gemm_kernel *kr, int64_t k, int64_t n) {
  return (n + kr->nr - 1) / kr->nr * kr->nr * k;
}

/* Packs A (element (i, p) at a[i * rs + p * cs]) into out; pool may be NULL. */
void ingot_gemm_pack_a(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, int64_t m, int64_t k, const float *a,
                       int64_t rs, int64_t cs, float *out);
/* Packs B (element (p, j) at b[p * rs + j * cs]) into out; pool may be NULL. */
void ingot_gemm_pack_b(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, int64_t k, int64_t n, const float *b,
                       int64_t rs, int64_t cs, float *out);

/* ---- multiply ------------------------------------------------------------------------- */

/* What happens to each finished element C(i, j), in the reference kernels' order:
 *   v = C(i, j) + bias(i, j) + residual(i, j);  C(i, j) = activation(v). */
typedef struct ingot_gemm_epilogue {
  const float *bias;      /* NULL: none; bias(i, j) = bias[i * bias_rs + j * bias_cs] */
  int64_t bias_rs, bias_cs; /* (1, 0): one per row (conv); (0, 1): one per column (fc) */
  const float *residual;  /* NULL: none; residual(i, j) = residual[i * ldr + j] */
  int64_t ldr;
  int32_t activation;     /* ingot_activation_type, -1 for none */
  float alpha, beta;
} ingot_gemm_epilogue;

/* The epilogue that does nothing. */
static inline ingot_gemm_epilogue ingot_gemm_no_epilogue(void) {
  ingot_gemm_epilogue e = {0};
  e.activation = -1;
  return e;
}

typedef struct ingot_gemm_problem {
  const ingot_gemm_kernel *kernel;
  int64_t m, n, k;
  const float *a_packed; /* ingot_gemm_pack_a's output for `kernel` */
  const float *b_packed; /* ingot_gemm_pack_b's output for `kernel` */
  float *c;              /* element (i, j) at c[i * ldc + j] */
  int64_t ldc;
  int32_t accumulate;    /* C += A*B (the epilogue then sees the sum) instead of C = A*B */
  ingot_gemm_epilogue epilogue;
} ingot_gemm_problem;

/* Runs the multiply on the pool (NULL: serially). Allocates nothing. */
void ingot_gemm_compute(ingot_thread_pool *pool, const ingot_gemm_problem *p);

/* Convenience: packs A and B into `workspace` (ingot_gemm_workspace_floats floats,
 * 64-byte aligned) and multiplies. Strides as in the pack functions. */
int64_t ingot_gemm_workspace_floats(const ingot_gemm_kernel *kr, int64_t m, int64_t n, int64_t k);
void ingot_gemm_f32(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, int64_t m, int64_t n, int64_t k,
                    const float *a, int64_t a_rs, int64_t a_cs, const float *b, int64_t b_rs, int64_t b_cs, float *c,
                    int64_t ldc, int32_t accumulate, const ingot_gemm_epilogue *epilogue, float *workspace);

/* Applies the epilogue to rows [i0, i0 + m) and columns [j0, j0 + n) of C (c points at
 * C(i0, j0)). Used by the driver on each finished tile, and by other tactics. */
void ingot_gemm_apply_epilogue(const ingot_gemm_epilogue *e, float *c, int64_t ldc, int64_t i0, int64_t j0, int64_t m,
                               int64_t n);

/* How an epilogue splits between the micro-kernel (in registers) and a pass over the
 * stored tile: the kernel takes bias by row, by column or as a matrix, the residual, and
 * relu / clip; another activation is a pass after it; an unusual bias layout makes the
 * whole epilogue a pass (in_kernel false). For drivers other than ingot_gemm_compute
 * (the indirect convolution). */
typedef struct ingot_gemm_epilogue_plan {
  bool any;                 /* the epilogue does something */
  bool in_kernel;           /* fused holds the kernel's part */
  ingot_gemm_fused fused;   /* pointers at C(0, 0) */
  int32_t bias_kind;        /* 0 none, 1 row, 2 column, 3 matrix */
  bool activation_pass;     /* after the kernel: the activation only */
  ingot_gemm_epilogue activation_only;
} ingot_gemm_epilogue_plan;

void ingot_gemm_plan_epilogue(const ingot_gemm_epilogue *e, ingot_gemm_epilogue_plan *pl);
/* The kernel's part for the tile at C(i, j). */
void ingot_gemm_fused_at(const ingot_gemm_epilogue_plan *pl, const ingot_gemm_epilogue *e, int64_t i, int64_t j,
                         ingot_gemm_fused *f);

/* ---- packed weights in plan data -------------------------------------------------------- */

/* A prepare()'s output: this header, then `count` packed matrices of `floats_each` floats,
 * each starting on a 64-byte boundary. `operand` says which side was packed. */
#define INGOT_GEMM_PACK_MAGIC 0x4b505447u /* "GTPK" */
typedef struct ingot_gemm_pack_header {
  uint32_t magic;
  int32_t operand;        /* 0: A (panels of mr rows), 1: B (panels of nr columns) */
  int32_t mr, nr;         /* the tile it was packed for */
  int64_t rows, cols;     /* one matrix's logical size */
  int64_t count;          /* matrices (groups, batch) */
  int64_t floats_each;    /* stride between matrices, a multiple of 16 */
  char kernel[24];        /* the kernel it was packed for, for messages */
} ingot_gemm_pack_header;
_Static_assert(sizeof(ingot_gemm_pack_header) == 72, "the pack header is plan data: keep its size");
#define INGOT_GEMM_PACK_OFFSET 128 /* bytes from the header to the first matrix */

/* Checks plan data made by ingot_gemm_pack_header-producing prepare()s: size, magic,
 * operand, dims, and picks the kernel to run it (into *kernel_out, with `storage` for the
 * generic one). False with a message in `why` (at least 160 bytes) when it does not fit. */
bool ingot_gemm_pack_check(const void *prepared, uint64_t size, int32_t operand, int64_t rows, int64_t cols,
                           int64_t count, ingot_gemm_kernel *storage, const ingot_gemm_kernel **kernel_out,
                           char *why, size_t why_size);
/* Allocates plan data for `count` matrices packed for `kr` (operand 0: A of rows x cols
 * = m x k; 1: B of k x n), with its header filled; the caller packs each matrix into
 * ingot_gemm_pack_matrix(block, i). NULL when out of memory (last error set). Free with free(). */
void *ingot_gemm_pack_alloc(const ingot_gemm_kernel *kr, int32_t operand, int64_t rows, int64_t cols, int64_t count,
                            uint64_t *size_out);
static inline const float *ingot_gemm_pack_matrix(const void *prepared, int64_t index) {
  const ingot_gemm_pack_header *h = prepared;
  return (const float *)((const char *)prepared + INGOT_GEMM_PACK_OFFSET) + index * h->floats_each;
}

#endif
