/* Two example plugins in one shared library, loaded with ingot_plugin_library_load or
 * `ingot ... --plugin libingot_example_plugins.so`:
 *   ScaledSoftsign (field alpha: float32): y = alpha * x / (1 + |x|), float32, an
 *     elementwise activation with a parameter;
 *   SplitTail (field k: int32): splits the last axis of x [..., D] at k into [..., k] and
 *     [..., D - k], float32 or int32: two outputs whose dims depend on a field.
 * Both run on the CPU and, when built with CUDA (EXAMPLE_PLUGINS_CUDA), on a CUDA stream.
 * The library needs only <ingot/plugin.h>, not libingot: ingot hands it everything. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ingot/plugin.h>

#include "example_plugins.h"

#if defined(__GNUC__)
#define EXPORT __attribute__((visibility("default")))
#else
#define EXPORT
#endif

/* ---- ScaledSoftsign ------------------------------------------------------------------- */

typedef struct softsign {
  float alpha;
} softsign;

static int32_t softsign_nb_outputs(void *self) { return 1; }

static ingot_status softsign_dtypes(void *self, const ingot_dtype *in, int32_t nb_in, ingot_dtype *out,
                                    int32_t nb_out) {
  if (nb_in != 1) return INGOT_INVALID_ARGUMENT;
  out[0] = in[0];
  return INGOT_SUCCESS;
}

static ingot_status softsign_dims(void *self, const ingot_dims_expr *in, int32_t nb_in, ingot_dims_expr *out,
                                  int32_t nb_out, ingot_expr_builder *b) {
  out[0] = in[0]; /* elementwise: the input's dims */
  return INGOT_SUCCESS;
}

static int32_t float_only(void *self, int32_t position, int32_t nb_inputs, ingot_dtype dtype, int32_t target) {
  return dtype == INGOT_FLOAT32;
}

static int64_t volume(const ingot_dims *d) {
  int64_t v = 1;
  for (int32_t i = 0; i < d->nb_dims; i++) v *= d->d[i];
  return v;
}

/* The state is the one float, little-endian as the host writes it. */
static ingot_status softsign_serialize(void *self, void *buffer, size_t capacity, size_t *size_out) {
  *size_out = sizeof(float);
  if (buffer) {
    if (capacity < sizeof(float)) return INGOT_INVALID_ARGUMENT;
    memcpy(buffer, &((softsign *)self)->alpha, sizeof(float));
  }
  return INGOT_SUCCESS;
}

static ingot_status softsign_enqueue(void *self, const ingot_plugin_tensor *in, int32_t nb_in,
                                     const ingot_plugin_tensor *out, int32_t nb_out, void *workspace, void *stream) {
  const float *x = in[0].data;
  float *y = out[0].data;
  float alpha = ((softsign *)self)->alpha;
  int64_t n = volume(&in[0].dims);
  for (int64_t i = 0; i < n; i++) y[i] = alpha * x[i] / (1.0f + fabsf(x[i]));
  return INGOT_SUCCESS;
}

#ifdef EXAMPLE_PLUGINS_CUDA
static ingot_status softsign_enqueue_cuda(void *self, const ingot_plugin_tensor *in, int32_t nb_in,
                                          const ingot_plugin_tensor *out, int32_t nb_out, void *workspace,
                                          void *stream) {
  return example_scaled_softsign_cuda(in[0].data, out[0].data, volume(&in[0].dims), ((softsign *)self)->alpha,
                                      stream) == 0
             ? INGOT_SUCCESS
             : INGOT_RUNTIME_ERROR;
}
#define SOFTSIGN_CUDA softsign_enqueue_cuda
#else
#define SOFTSIGN_CUDA NULL
#endif

static ingot_status softsign_make(float alpha, void **self_out) {
  softsign *s = malloc(sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  s->alpha = alpha;
  *self_out = s;
  return INGOT_SUCCESS;
}

static ingot_status softsign_clone(void *self, void **clone_out) {
  return softsign_make(((softsign *)self)->alpha, clone_out);
}

static void plugin_free(void *self) { free(self); }

static const ingot_plugin_vtbl softsign_vtbl = {
    /* .size = */ sizeof(ingot_plugin_vtbl),
    /* .abi_version = */ INGOT_PLUGIN_ABI_VERSION,
    /* .get_nb_outputs = */ softsign_nb_outputs,
    /* .get_output_dtypes = */ softsign_dtypes,
    /* .get_output_dims = */ softsign_dims,
    /* .supports_format = */ float_only, /* on either target */
    /* .get_workspace_size = */ NULL,
    /* .serialize = */ softsign_serialize,
    /* .enqueue = */ softsign_enqueue,
    /* .enqueue_cuda = */ SOFTSIGN_CUDA,
    /* .clone = */ softsign_clone,
    /* .destroy = */ plugin_free,
};

/* ingot has checked the fields: alpha is there, one float32. */
static ingot_status softsign_create(void *user_data, const char *layer_name, const ingot_plugin_field *fields,
                                    int32_t nb_fields, ingot_plugin_instance *out) {
  float alpha = 1.0f;
  for (int32_t i = 0; i < nb_fields; i++)
    if (strcmp(fields[i].name, "alpha") == 0) memcpy(&alpha, fields[i].data, sizeof alpha);
  if (!isfinite(alpha)) return INGOT_INVALID_ARGUMENT;
  out->vtbl = &softsign_vtbl;
  return softsign_make(alpha, &out->self);
}

/* Plan bytes may be corrupted: exactly one finite float, or refused. */
static ingot_status softsign_deserialize(void *user_data, const char *layer_name, const void *data, size_t size,
                                         ingot_plugin_instance *out) {
  float alpha;
  if (size != sizeof alpha || !data) return INGOT_INVALID_PLAN;
  memcpy(&alpha, data, sizeof alpha);
  if (!isfinite(alpha)) return INGOT_INVALID_PLAN;
  out->vtbl = &softsign_vtbl;
  return softsign_make(alpha, &out->self);
}

static const ingot_plugin_field_decl softsign_fields[] = {{"alpha", INGOT_PLUGIN_FIELD_FLOAT32, 1, 1}};

/* ---- SplitTail ---------------------------------------------------------------------------- */

typedef struct split_tail {
  int32_t k;
} split_tail;

static int32_t split_nb_outputs(void *self) { return 2; }

static ingot_status split_dtypes(void *self, const ingot_dtype *in, int32_t nb_in, ingot_dtype *out, int32_t nb_out) {
  if (nb_in != 1 || nb_out != 2) return INGOT_INVALID_ARGUMENT;
  out[0] = out[1] = in[0];
  return INGOT_SUCCESS;
}

/* [..., D] -> [..., k] and [..., D - k]: the second is an expression of the input's last
 * dim, so a plan built for a range of D serves every D in it. */
static ingot_status split_dims(void *self, const ingot_dims_expr *in, int32_t nb_in, ingot_dims_expr *out,
                               int32_t nb_out, ingot_expr_builder *b) {
  int32_t rank = in[0].nb_dims;
  if (rank < 1) return INGOT_INVALID_ARGUMENT;
  const ingot_dim_expr *k = ingot_expr_constant(b, ((split_tail *)self)->k);
  out[0] = in[0];
  out[1] = in[0];
  out[0].d[rank - 1] = k;
  out[1].d[rank - 1] = ingot_expr_operation(b, INGOT_DIM_SUB, in[0].d[rank - 1], k);
  return INGOT_SUCCESS;
}

static int32_t split_formats(void *self, int32_t position, int32_t nb_inputs, ingot_dtype dtype, int32_t target) {
  return dtype == INGOT_FLOAT32 || dtype == INGOT_INT32;
}

static ingot_status split_serialize(void *self, void *buffer, size_t capacity, size_t *size_out) {
  *size_out = sizeof(int32_t);
  if (buffer) {
    if (capacity < sizeof(int32_t)) return INGOT_INVALID_ARGUMENT;
    memcpy(buffer, &((split_tail *)self)->k, sizeof(int32_t));
  }
  return INGOT_SUCCESS;
}

static void split_geometry(const ingot_plugin_tensor *x, int64_t *rows, int64_t *width) {
  *width = x->dims.d[x->dims.nb_dims - 1];
  *rows = *width > 0 ? volume(&x->dims) / *width : 0;
}

static ingot_status split_enqueue(void *self, const ingot_plugin_tensor *in, int32_t nb_in,
                                  const ingot_plugin_tensor *out, int32_t nb_out, void *workspace, void *stream) {
  int64_t rows, width, k = ((split_tail *)self)->k;
  split_geometry(&in[0], &rows, &width);
  if (k > width) return INGOT_RUNTIME_ERROR;
  const char *x = in[0].data;
  char *head = out[0].data, *tail = out[1].data;
  size_t elem = 4; /* float32 or int32 */
  for (int64_t r = 0; r < rows; r++) {
    memcpy(head + (size_t)(r * k) * elem, x + (size_t)(r * width) * elem, (size_t)k * elem);
    memcpy(tail + (size_t)(r * (width - k)) * elem, x + (size_t)(r * width + k) * elem, (size_t)(width - k) * elem);
  }
  return INGOT_SUCCESS;
}

#ifdef EXAMPLE_PLUGINS_CUDA
static ingot_status split_enqueue_cuda(void *self, const ingot_plugin_tensor *in, int32_t nb_in,
                                       const ingot_plugin_tensor *out, int32_t nb_out, void *workspace, void *stream) {
  int64_t rows, width, k = ((split_tail *)self)->k;
  split_geometry(&in[0], &rows, &width);
  if (k > width) return INGOT_RUNTIME_ERROR;
  return example_split_tail_cuda(in[0].data, out[0].data, out[1].data, rows, width, k, 4, stream) == 0
             ? INGOT_SUCCESS
             : INGOT_RUNTIME_ERROR;
}
#define SPLIT_CUDA split_enqueue_cuda
#else
#define SPLIT_CUDA NULL
#endif

static ingot_status split_make(int32_t k, void **self_out) {
  split_tail *s = malloc(sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  s->k = k;
  *self_out = s;
  return INGOT_SUCCESS;
}

static ingot_status split_clone(void *self, void **clone_out) { return split_make(((split_tail *)self)->k, clone_out); }

static const ingot_plugin_vtbl split_vtbl = {
    sizeof(ingot_plugin_vtbl), INGOT_PLUGIN_ABI_VERSION, split_nb_outputs, split_dtypes, split_dims, split_formats,
    NULL, split_serialize, split_enqueue, SPLIT_CUDA, split_clone, plugin_free,
};

static ingot_status split_create(void *user_data, const char *layer_name, const ingot_plugin_field *fields,
                                 int32_t nb_fields, ingot_plugin_instance *out) {
  int32_t k = 0;
  for (int32_t i = 0; i < nb_fields; i++)
    if (strcmp(fields[i].name, "k") == 0) memcpy(&k, fields[i].data, sizeof k);
  if (k < 0) return INGOT_INVALID_ARGUMENT;
  out->vtbl = &split_vtbl;
  return split_make(k, &out->self);
}

static ingot_status split_deserialize(void *user_data, const char *layer_name, const void *data, size_t size,
                                      ingot_plugin_instance *out) {
  int32_t k;
  if (size != sizeof k || !data) return INGOT_INVALID_PLAN;
  memcpy(&k, data, sizeof k);
  if (k < 0) return INGOT_INVALID_PLAN;
  out->vtbl = &split_vtbl;
  return split_make(k, &out->self);
}

static const ingot_plugin_field_decl split_fields[] = {{"k", INGOT_PLUGIN_FIELD_INT32, 1, 1}};

/* ---- the library's one entry point ------------------------------------------------------- */

static const ingot_plugin_creator_desc creators[] = {
    {sizeof(ingot_plugin_creator_desc), INGOT_PLUGIN_ABI_VERSION, "ScaledSoftsign", "1", "ingot.example",
     softsign_fields, 1, softsign_create, softsign_deserialize, NULL, NULL},
    {sizeof(ingot_plugin_creator_desc), INGOT_PLUGIN_ABI_VERSION, "SplitTail", "1", "ingot.example", split_fields, 1,
     split_create, split_deserialize, NULL, NULL},
};

EXPORT int32_t ingot_plugin_library_creators(const ingot_plugin_creator_desc **creators_out) {
  *creators_out = creators;
  return (int32_t)(sizeof creators / sizeof creators[0]);
}
