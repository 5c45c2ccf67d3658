/* Dims and dtype helpers shared by every layer. */
#ifndef INGOT_CORE_DIMS_H
#define INGOT_CORE_DIMS_H

#include <stdbool.h>
#include "ingot/core.h"

/* Product of the dims; -1 if any is negative (dynamic), or on overflow past 2^62. */
int64_t ingot_dims_volume(const ingot_dims *dims);
bool ingot_dims_equal(const ingot_dims *a, const ingot_dims *b);
bool ingot_dims_valid(const ingot_dims *dims); /* 0 <= nb_dims <= 8, each dim >= -1 */
bool ingot_dims_is_concrete(const ingot_dims *dims); /* valid and no -1 */
ingot_dims ingot_dims_make(int32_t nb_dims, const int64_t *values);
/* "1x3x224x224" (-1 as "?", rank 0 as "scalar") into buf; returns buf. */
const char *ingot_dims_format(const ingot_dims *dims, char *buf, size_t size);
#define INGOT_DIMS_STR_SIZE 192
/* Row-major strides in elements. */
void ingot_dims_strides(const ingot_dims *dims, int64_t strides_out[INGOT_MAX_DIMS]);
/* Numpy broadcast of a and b into out; false if incompatible. */
bool ingot_dims_broadcast(const ingot_dims *a, const ingot_dims *b, ingot_dims *out);
/* Normalizes a possibly negative axis for a rank; false if out of range. */
bool ingot_axis_normalize(int64_t axis, int32_t rank, int32_t *axis_out);

bool ingot_dtype_valid(ingot_dtype dtype);
bool ingot_dtype_is_float(ingot_dtype dtype);   /* float32, float16, bfloat16 */
bool ingot_dtype_is_integer(ingot_dtype dtype); /* int8, uint8, int32, int64 */

/* Half-precision conversions (round to nearest even). */
float ingot_f16_to_f32(uint16_t h);
uint16_t ingot_f32_to_f16(float f);
float ingot_bf16_to_f32(uint16_t h);
uint16_t ingot_f32_to_bf16(float f);

/* Reads element `i` of a buffer of `dtype` as double / writes a double (casting as
 * ingot's cast layer does). Slow; for reference kernels and tests of odd dtypes. */
double ingot_load_as_double(const void *data, ingot_dtype dtype, int64_t i);
void ingot_store_from_double(void *data, ingot_dtype dtype, int64_t i, double v);

#endif
