/* Shuffle (transpose, reshape, transpose) on the CPU, and the strided copy that every
 * data movement kernel shares (declared in movement.h). A reshape moves no data in
 * row-major layout, so a shuffle is one strided copy unless both transposes are real
 * and a reshape between them regroups the dims; only then does it map each element. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "core/dims.h"

/* ---- strided copy -------------------------------------------------------------------- */

typedef struct copy_job {
  char *dst;
  const char *src;
  size_t es;
  int32_t rank; /* >= 1 after merging; the last dim is the row */
  int64_t dims[INGOT_MAX_DIMS];
  int64_t ds[INGOT_MAX_DIMS]; /* dst strides, elements */
  int64_t ss[INGOT_MAX_DIMS]; /* src strides, elements */
} copy_job;

#define STRIDED_ROW(T)                                                                 \
  do {                                                                                 \
    for (int64_t i_ = 0; i_ < inner; i_++)                                             \
      memcpy(d + i_ * dstep * (int64_t)sizeof(T), s + i_ * sstep * (int64_t)sizeof(T), sizeof(T)); \
  } while (0)

/* Rows [begin, end) of the job: a row is the innermost dim; the outer dims are walked as
 * an odometer so each row costs no division. Offsets stay integers until the row is in
 * range, so negative strides never form a pointer outside the buffers. */
static void copy_rows(void *ctx, int64_t begin, int64_t end) {
  const copy_job *j = ctx;
  const int32_t outer = j->rank - 1;
  const int64_t inner = j->dims[outer], dstep = j->ds[outer], sstep = j->ss[outer];
  const size_t es = j->es;
  const int contiguous = dstep == 1 && sstep == 1;
  int64_t idx[INGOT_MAX_DIMS] = {0};
  int64_t doff = 0, soff = 0, rem = begin;
  for (int32_t k = outer - 1; k >= 0; k--) {
    idx[k] = rem % j->dims[k];
    rem /= j->dims[k];
    doff += idx[k] * j->ds[k];
    soff += idx[k] * j->ss[k];
  }
  for (int64_t r = begin; r < end; r++) {
    char *d = j->dst + doff * (int64_t)es;
    const char *s = j->src + soff * (int64_t)es;
    if (contiguous && inner * (int64_t)es <= 32) {
      /* a few values per row (channels-last concatenation of an image's 3 channels): a
       * call to memcpy per row would cost more than the copy */
      switch (es) {
        case 1: STRIDED_ROW(uint8_t); break;
        case 2: STRIDED_ROW(uint16_t); break;
        case 4: STRIDED_ROW(uint32_t); break;
        default: STRIDED_ROW(uint64_t); break;
      }
    } else if (contiguous) {
      memcpy(d, s, (size_t)inner * es);
    } else {
      switch (es) {
        case 1: STRIDED_ROW(uint8_t); break;
        case 2: STRIDED_ROW(uint16_t); break;
        case 4: STRIDED_ROW(uint32_t); break;
        default: STRIDED_ROW(uint64_t); break;
      }
    }
    for (int32_t k = outer - 1; k >= 0; k--) {
      doff += j->ds[k];
      soff += j->ss[k];
      if (++idx[k] < j->dims[k]) break;
      doff -= j->ds[k] * j->dims[k];
      soff -= j->ss[k] * j->dims[k];
      idx[k] = 0;
    }
  }
}

/* A transpose: the rows are contiguous in the destination but strided in the source, and
 * another dim (col) is the source's contiguous one. Element by element, each row reads
 * one value per cache line of the source; instead, planes (col x row dims) are copied in
 * T x T tiles, which read whole source lines and write whole destination lines from L1. */
#define T_TILE 16
typedef struct transpose_job {
  const copy_job *j;
  int32_t col;                    /* the dim contiguous in the source */
  int64_t col_tiles, row_tiles;   /* tiles per plane along each */
  int64_t planes;                 /* product of the other dims */
} transpose_job;

static void transpose_tiles(void *ctx, int64_t begin, int64_t end) {
  const transpose_job *t = ctx;
  const copy_job *j = t->j;
  const int32_t row = j->rank - 1, col = t->col;
  const size_t es = j->es;
  const int64_t rs = j->ss[row], cd = j->ds[col], per_plane = t->col_tiles * t->row_tiles;
  for (int64_t item = begin; item < end; item++) {
    int64_t plane = item / per_plane, tile = item % per_plane;
    int64_t c0 = tile / t->row_tiles * T_TILE, r0 = tile % t->row_tiles * T_TILE;
    /* the plane's origin from the other dims (an odometer would need the order kept) */
    int64_t doff = 0, soff = 0, rem = plane;
    for (int32_t k = row - 1; k >= 0; k--) {
      if (k == col) continue;
      int64_t i = rem % j->dims[k];
      rem /= j->dims[k];
      doff += i * j->ds[k];
      soff += i * j->ss[k];
    }
    int64_t c1 = c0 + T_TILE < j->dims[col] ? c0 + T_TILE : j->dims[col];
    int64_t r1 = r0 + T_TILE < j->dims[row] ? r0 + T_TILE : j->dims[row];
    for (int64_t c = c0; c < c1; c++) {
      char *d = j->dst + (doff + c * cd) * (int64_t)es;
      const char *sp = j->src + (soff + c) * (int64_t)es;
      switch (es) {
        case 4:
          for (int64_t r = r0; r < r1; r++) memcpy(d + r * 4, sp + r * rs * 4, 4);
          break;
        case 2:
          for (int64_t r = r0; r < r1; r++) memcpy(d + r * 2, sp + r * rs * 2, 2);
          break;
        case 1:
          for (int64_t r = r0; r < r1; r++) d[r] = sp[r * rs];
          break;
        default:
          for (int64_t r = r0; r < r1; r++) memcpy(d + r * 8, sp + r * rs * 8, 8);
          break;
      }
    }
  }
}

/* The source's contiguous dim when the copy is a transpose worth tiling, else -1. */
static int32_t transpose_col(const copy_job *j) {
  int32_t row = j->rank - 1;
  if (j->rank < 2 || j->ds[row] != 1 || j->ss[row] == 1 || j->dims[row] < 2) return -1;
  for (int32_t k = 0; k < row; k++)
    if (j->ss[k] == 1 && j->dims[k] >= 4) return k;
  return -1;
}

void ingot_cpu_strided_copy(void *dst, const int64_t *dst_strides, const void *src, const int64_t *src_strides,
                            const int64_t *dims, int32_t rank, size_t elem_size, ingot_thread_pool *pool) {
  copy_job j = {0};
  j.dst = dst;
  j.src = src;
  j.es = elem_size;
  j.rank = 0;
  for (int32_t k = 0; k < rank; k++) {
    if (dims[k] == 0) return;
    if (dims[k] == 1) continue;
    /* Merge with the previous kept dim when the pair is one contiguous run on both sides. */
    if (j.rank > 0 && j.ds[j.rank - 1] == dst_strides[k] * dims[k] && j.ss[j.rank - 1] == src_strides[k] * dims[k]) {
      j.dims[j.rank - 1] *= dims[k];
      j.ds[j.rank - 1] = dst_strides[k];
      j.ss[j.rank - 1] = src_strides[k];
      continue;
    }
    j.dims[j.rank] = dims[k];
    j.ds[j.rank] = dst_strides[k];
    j.ss[j.rank] = src_strides[k];
    j.rank++;
  }
  if (j.rank == 0) { /* a single element */
    j.rank = 1;
    j.dims[0] = 1;
    j.ds[0] = 1;
    j.ss[0] = 1;
  }
  int32_t col = transpose_col(&j);
  if (col >= 0) {
    transpose_job t = {&j, col, (j.dims[col] + T_TILE - 1) / T_TILE, (j.dims[j.rank - 1] + T_TILE - 1) / T_TILE, 1};
    for (int32_t k = 0; k < j.rank - 1; k++)
      if (k != col) t.planes *= j.dims[k];
    int64_t items = t.planes * t.col_tiles * t.row_tiles;
    int64_t grain = INGOT_CPU_MOVE_GRAIN_BYTES / (T_TILE * T_TILE * (int64_t)elem_size) + 1;
    if (items <= grain || pool == NULL)
      transpose_tiles(&t, 0, items);
    else
      ingot_parallel_for(pool, items, grain, transpose_tiles, &t);
    return;
  }
  int64_t rows = 1;
  for (int32_t k = 0; k < j.rank - 1; k++) rows *= j.dims[k];
  int64_t row_bytes = j.dims[j.rank - 1] * (int64_t)elem_size;
  int64_t grain = row_bytes >= INGOT_CPU_MOVE_GRAIN_BYTES ? 1 : INGOT_CPU_MOVE_GRAIN_BYTES / row_bytes;
  if (rows <= grain || pool == NULL)
    copy_rows(&j, 0, rows);
  else
    ingot_parallel_for(pool, rows, grain, copy_rows, &j);
}

typedef struct bytes_job {
  char *dst;
  const char *src;
  uint64_t bytes;
} bytes_job;

static void copy_chunks(void *ctx, int64_t begin, int64_t end) {
  const bytes_job *j = ctx;
  uint64_t from = (uint64_t)begin * INGOT_CPU_MOVE_GRAIN_BYTES;
  uint64_t to = (uint64_t)end * INGOT_CPU_MOVE_GRAIN_BYTES;
  if (to > j->bytes) to = j->bytes;
  memcpy(j->dst + from, j->src + from, (size_t)(to - from));
}

void ingot_cpu_copy_bytes(void *dst, const void *src, uint64_t bytes, ingot_thread_pool *pool) {
  if (bytes == 0 || dst == src) return;
  if (pool == NULL || bytes < 4 * (uint64_t)INGOT_CPU_MOVE_GRAIN_BYTES) {
    memcpy(dst, src, (size_t)bytes);
    return;
  }
  bytes_job j = {dst, src, bytes};
  int64_t chunks = (int64_t)((bytes + INGOT_CPU_MOVE_GRAIN_BYTES - 1) / INGOT_CPU_MOVE_GRAIN_BYTES);
  ingot_parallel_for(pool, chunks, 1, copy_chunks, &j);
}

void ingot_cpu_fill(void *dst, const void *value, int64_t count, size_t elem_size) {
  char *d = dst;
  if (elem_size == 1) {
    memset(d, *(const unsigned char *)value, (size_t)count);
    return;
  }
  for (int64_t i = 0; i < count; i++) ingot_cpu_copy_elem(d + i * (int64_t)elem_size, value, elem_size);
}

/* ---- shuffle ------------------------------------------------------------------------- */

static int is_identity(const int32_t *perm, int32_t rank) {
  for (int32_t i = 0; i < rank; i++)
    if (perm[i] != i) return 0;
  return 1;
}

/* The general case: both transposes move data and the reshape between them regroups
 * dims, so no single stride per output dim exists. Each output element's source is found
 * through the flat index of the reshaped tensor. */
typedef struct shuffle_job {
  char *dst;
  const char *src;
  size_t es;
  int32_t out_rank, mid_rank, in_rank;
  int64_t out_dims[INGOT_MAX_DIMS];
  int64_t mid_stride_of_out[INGOT_MAX_DIMS]; /* stride in the reshaped tensor of output dim i */
  int64_t t_dims[INGOT_MAX_DIMS];            /* dims after the first transpose */
  int64_t t_src_stride[INGOT_MAX_DIMS];      /* input stride of transposed dim i */
} shuffle_job;

static void shuffle_elements(void *ctx, int64_t begin, int64_t end) {
  const shuffle_job *j = ctx;
  int64_t idx[INGOT_MAX_DIMS] = {0};
  int64_t flat = 0, rem = begin;
  for (int32_t k = j->out_rank - 1; k >= 0; k--) {
    idx[k] = rem % j->out_dims[k];
    rem /= j->out_dims[k];
    flat += idx[k] * j->mid_stride_of_out[k];
  }
  for (int64_t e = begin; e < end; e++) {
    int64_t f = flat, soff = 0;
    for (int32_t k = j->in_rank - 1; k >= 0; k--) {
      soff += (f % j->t_dims[k]) * j->t_src_stride[k];
      f /= j->t_dims[k];
    }
    ingot_cpu_copy_elem(j->dst + e * (int64_t)j->es, j->src + soff * (int64_t)j->es, j->es);
    for (int32_t k = j->out_rank - 1; k >= 0; k--) {
      flat += j->mid_stride_of_out[k];
      if (++idx[k] < j->out_dims[k]) break;
      flat -= j->mid_stride_of_out[k] * j->out_dims[k];
      idx[k] = 0;
    }
  }
}

/* The reshape dims (params, or value input 1: ops/dims_inputs.h) are not read here: the
 * output dims, which inference worked out from them, say all the kernel needs. */
INGOT_CPU_KERNEL(ingot_cpu_shuffle) {
  const ingot_shuffle_params *p = &args->params->shuffle;
  const ingot_tensor_view *in = &args->inputs[0], *out = &args->outputs[0];
  const size_t es = ingot_dtype_size(in->dtype);
  const int32_t n = in->dims.nb_dims, m = out->dims.nb_dims;
  const int64_t volume = ingot_dims_volume(&out->dims);
  if (volume == 0) return INGOT_SUCCESS;

  int64_t in_strides[INGOT_MAX_DIMS], out_strides[INGOT_MAX_DIMS];
  ingot_dims_strides(&in->dims, in_strides);
  ingot_dims_strides(&out->dims, out_strides);
  const int t1 = p->has_first_transpose && !is_identity(p->first_transpose, n);
  const int t2 = p->has_second_transpose && !is_identity(p->second_transpose, m);

  if (!t1 && !t2) {
    ingot_cpu_copy_bytes(out->data, in->data, (uint64_t)volume * es, args->pool);
    return INGOT_SUCCESS;
  }

  /* t: dims after the first transpose; mid: after the reshape (= output before the second
   * transpose: mid[P2[i]] = out[i]). */
  ingot_dims t = in->dims, mid = out->dims;
  int64_t t_src[INGOT_MAX_DIMS];
  for (int32_t i = 0; i < n; i++) {
    int32_t from = t1 ? p->first_transpose[i] : i;
    t.d[i] = in->dims.d[from];
    t_src[i] = in_strides[from];
  }
  if (t2)
    for (int32_t i = 0; i < m; i++) mid.d[p->second_transpose[i]] = out->dims.d[i];

  int64_t src_strides[INGOT_MAX_DIMS];
  if (!t2) { /* output (flat) = first transpose of the input */
    int64_t t_strides[INGOT_MAX_DIMS];
    ingot_dims_strides(&t, t_strides);
    ingot_cpu_strided_copy(out->data, t_strides, in->data, t_src, t.d, n, es, args->pool);
    return INGOT_SUCCESS;
  }
  int64_t mid_strides[INGOT_MAX_DIMS];
  ingot_dims_strides(&mid, mid_strides);
  if (!t1 || ingot_dims_equal(&t, &mid)) {
    /* One transpose of a tensor whose strides are known: of the input viewed as `mid`
     * (no first transpose), or of the first transpose itself (reshape that changes nothing). */
    const int64_t *base = t1 ? t_src : mid_strides;
    for (int32_t i = 0; i < m; i++) src_strides[i] = base[p->second_transpose[i]];
    ingot_cpu_strided_copy(out->data, out_strides, in->data, src_strides, out->dims.d, m, es, args->pool);
    return INGOT_SUCCESS;
  }

  shuffle_job j;
  j.dst = out->data;
  j.src = in->data;
  j.es = es;
  j.out_rank = m;
  j.mid_rank = mid.nb_dims;
  j.in_rank = n;
  for (int32_t i = 0; i < m; i++) {
    j.out_dims[i] = out->dims.d[i];
    j.mid_stride_of_out[i] = mid_strides[p->second_transpose[i]];
  }
  for (int32_t i = 0; i < n; i++) {
    j.t_dims[i] = t.d[i];
    j.t_src_stride[i] = t_src[i];
  }
  ingot_parallel_for(args->pool, volume, INGOT_CPU_MOVE_GRAIN_BYTES / 8, shuffle_elements, &j);
  return INGOT_SUCCESS;
}
