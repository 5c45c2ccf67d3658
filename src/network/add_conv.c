/* Convolution, deconvolution and pooling layers. The weights become hidden constants
 * "<layer>.kernel" and "<layer>.bias"; everything that needs the input's dims is checked by
 * shape inference at build time, except the kernel's channel count, checked here when the
 * input's declared dims give C (and otherwise derived from the weight count). */
#include <string.h>

#include "core/dims.h"
#include "network/network_internal.h"

/* Product of the kernel sizes, or -1 if it passes 2^40 (no real kernel is that large). */
static int64_t kernel_volume(const int64_t *kernel, int32_t n) {
  int64_t v = 1;
  for (int32_t i = 0; i < n; i++) {
    if (kernel[i] > (INT64_C(1) << 40) / v) return -1;
    v *= kernel[i];
  }
  return v;
}

/* The input's channel count when its declared dims give it, else -1; fails if the declared
 * rank does not fit nb_spatial_dims. */
static ingot_status declared_channels(const ingot_network *network, const ingot_tensor *input, int32_t nb_spatial,
                                      const char *fn, int64_t *channels_out) {
  ingot_dims dims;
  *channels_out = -1;
  if (!ingot_net_declared_dims(network, input->index, &dims)) return INGOT_SUCCESS;
  if (dims.nb_dims != nb_spatial + 2) {
    char buf[INGOT_DIMS_STR_SIZE];
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: input '%s' has dims %s (rank %d), expected rank %d ([N, C] and %d spatial dims)", fn,
                          ingot_net_tensor_name(network, input->index), ingot_dims_format(&dims, buf, sizeof buf),
                          dims.nb_dims, nb_spatial + 2, nb_spatial);
  }
  *channels_out = dims.d[1];
  return INGOT_SUCCESS;
}

static ingot_status add_conv(ingot_network *network, ingot_tensor *input, const ingot_convolution_desc *desc,
                             ingot_layer **layer_out, bool deconv) {
  const char *fn = deconv ? "ingot_network_add_deconvolution" : "ingot_network_add_convolution";
  INGOT_NET_CHECK_NULL(network, network, fn);
  INGOT_NET_CHECK_NULL(network, layer_out, fn);
  *layer_out = NULL;
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_NET_CHECK_NULL(network, desc, fn);
  int32_t ns = desc->nb_spatial_dims;
  if (ns < 1 || ns > INGOT_MAX_SPATIAL_DIMS)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: nb_spatial_dims is %d, expected 1 to %d", fn, ns,
                          INGOT_MAX_SPATIAL_DIMS);
  if (desc->num_output_maps < 1)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: num_output_maps is %lld, expected > 0", fn,
                          (long long)desc->num_output_maps);
  if (desc->groups < 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: groups is %lld, expected > 0 (or 0 for 1)", fn,
                          (long long)desc->groups);
  if ((unsigned)desc->padding_mode > (unsigned)INGOT_PADDING_VALID)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: padding_mode %d out of range, expected 0 to %d", fn,
                          (int)desc->padding_mode, (int)INGOT_PADDING_VALID);
  INGOT_TRY(ingot_net_check_spatial(network, desc->kernel_size, ns, 1, fn, "kernel_size"));
  INGOT_TRY(ingot_net_check_spatial(network, desc->stride, ns, 0, fn, "stride"));
  INGOT_TRY(ingot_net_check_spatial(network, desc->dilation, ns, 0, fn, "dilation"));
  INGOT_TRY(ingot_net_check_spatial(network, desc->pre_padding, ns, 0, fn, "pre_padding"));
  INGOT_TRY(ingot_net_check_spatial(network, desc->post_padding, ns, 0, fn, "post_padding"));
  if (deconv) INGOT_TRY(ingot_net_check_spatial(network, desc->output_padding, ns, 0, fn, "output_padding"));
  INGOT_TRY(ingot_net_check_weights(network, &desc->kernel_weights, fn, "kernel_weights", true, true));
  INGOT_TRY(ingot_net_check_weights(network, &desc->bias_weights, fn, "bias_weights", false, true));

  int64_t K = desc->num_output_maps, G = desc->groups ? desc->groups : 1;
  if (K % G != 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: num_output_maps %lld is not a multiple of groups %lld", fn, (long long)K, (long long)G);
  int64_t kvol = kernel_volume(desc->kernel_size, ns);
  if (kvol < 0) return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: kernel_size is too large", fn);
  /* Kernel weights: conv [K, C/G, k...], deconv [C, K/G, k...]; the unknown factor is
   * C/G (conv) or C (deconv), derived from the count and checked against the input. */
  int64_t known = deconv ? (K / G) * kvol : K * kvol;
  int64_t count = desc->kernel_weights.count;
  int64_t C = -1;
  INGOT_TRY(declared_channels(network, input, ns, fn, &C));
  if (count % known != 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: kernel_weights hold %lld values, not a multiple of %lld (%s x kernel volume %lld)", fn,
                          (long long)count, (long long)known, deconv ? "num_output_maps / groups" : "num_output_maps",
                          (long long)kvol);
  int64_t derived = count / known; /* C/G for conv, C for deconv */
  if (C >= 0) {
    if (C % G != 0)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: input channels %lld are not a multiple of groups %lld",
                            fn, (long long)C, (long long)G);
    int64_t expected = deconv ? C : C / G;
    if (derived != expected)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                            "%s: kernel_weights hold %lld values, expected %lld (%s)", fn, (long long)count,
                            (long long)(expected * known),
                            deconv ? "C x K/groups x kernel volume" : "K x C/groups x kernel volume");
  } else if (deconv && derived % G != 0) {
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: kernel_weights give %lld input channels, not a multiple of groups %lld", fn,
                          (long long)derived, (long long)G);
  }
  if (desc->bias_weights.count != 0 && desc->bias_weights.count != K)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: bias_weights hold %lld values, expected %lld (one per output map)",
                          fn, (long long)desc->bias_weights.count, (long long)K);

  ingot_op_params params;
  memset(&params, 0, sizeof params);
  ingot_conv_params *p = &params.conv;
  p->nb_spatial_dims = ns;
  p->padding_mode = (int32_t)desc->padding_mode;
  p->num_output_maps = K;
  p->groups = G;
  for (int32_t i = 0; i < ns; i++) {
    p->kernel_size[i] = desc->kernel_size[i];
    p->stride[i] = desc->stride[i] ? desc->stride[i] : 1;
    p->dilation[i] = desc->dilation[i] ? desc->dilation[i] : 1;
    p->pre_padding[i] = desc->pre_padding[i];
    p->post_padding[i] = desc->post_padding[i];
    p->output_padding[i] = deconv ? desc->output_padding[i] : 0;
  }
  p->has_bias = desc->bias_weights.count > 0;
  p->epilogue.activation = -1;

  ingot_dims kdims;
  memset(&kdims, 0, sizeof kdims);
  kdims.nb_dims = ns + 2;
  kdims.d[0] = deconv ? derived : K;
  kdims.d[1] = deconv ? K / G : derived;
  for (int32_t i = 0; i < ns; i++) kdims.d[2 + i] = desc->kernel_size[i];
  ingot_dims bdims;
  memset(&bdims, 0, sizeof bdims);
  bdims.nb_dims = 1;
  bdims.d[0] = K;

  ingot_net_layer layer;
  ingot_net_layer_begin(&layer, network, deconv ? INGOT_OP_DECONVOLUTION : INGOT_OP_CONVOLUTION, 1 + p->has_bias, fn);
  int32_t inputs[3] = {input->index, -1, -1};
  INGOT_TRY(ingot_net_layer_add_weights(&layer, "kernel", &desc->kernel_weights, &kdims, &inputs[1]));
  INGOT_TRY(ingot_net_layer_add_weights(&layer, "bias", &desc->bias_weights, &bdims, &inputs[2]));
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_layer_finish(&layer, &params, inputs, p->has_bias ? 3 : 2, &out, 1, layer_out);
}

ingot_status ingot_network_add_convolution(ingot_network *network, ingot_tensor *input,
                                           const ingot_convolution_desc *desc, ingot_layer **layer_out) {
  return add_conv(network, input, desc, layer_out, false);
}

ingot_status ingot_network_add_deconvolution(ingot_network *network, ingot_tensor *input,
                                             const ingot_convolution_desc *desc, ingot_layer **layer_out) {
  return add_conv(network, input, desc, layer_out, true);
}

ingot_status ingot_network_add_pooling(ingot_network *network, ingot_tensor *input, const ingot_pooling_desc *desc,
                                       ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_pooling";
  INGOT_NET_CHECK_NULL(network, network, fn);
  INGOT_NET_CHECK_NULL(network, layer_out, fn);
  *layer_out = NULL;
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_NET_CHECK_NULL(network, desc, fn);
  int32_t ns = desc->nb_spatial_dims;
  if ((unsigned)desc->type > (unsigned)INGOT_POOLING_AVERAGE)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: pooling type %d out of range, expected 0 to %d", fn,
                          (int)desc->type, (int)INGOT_POOLING_AVERAGE);
  if (ns < 1 || ns > INGOT_MAX_SPATIAL_DIMS)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: nb_spatial_dims is %d, expected 1 to %d", fn, ns,
                          INGOT_MAX_SPATIAL_DIMS);
  if ((unsigned)desc->padding_mode > (unsigned)INGOT_PADDING_VALID)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: padding_mode %d out of range, expected 0 to %d", fn,
                          (int)desc->padding_mode, (int)INGOT_PADDING_VALID);
  if (!desc->global) { /* a global window ignores these */
    INGOT_TRY(ingot_net_check_spatial(network, desc->window_size, ns, 1, fn, "window_size"));
    INGOT_TRY(ingot_net_check_spatial(network, desc->stride, ns, 0, fn, "stride"));
    INGOT_TRY(ingot_net_check_spatial(network, desc->dilation, ns, 0, fn, "dilation"));
    INGOT_TRY(ingot_net_check_spatial(network, desc->pre_padding, ns, 0, fn, "pre_padding"));
    INGOT_TRY(ingot_net_check_spatial(network, desc->post_padding, ns, 0, fn, "post_padding"));
  }
  ingot_dims dims;
  if (ingot_net_declared_dims(network, input->index, &dims) && dims.nb_dims != ns + 2)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: input '%s' has rank %d, expected %d ([N, C] and %d spatial dims)",
                          fn, ingot_net_tensor_name(network, input->index), dims.nb_dims, ns + 2, ns);

  ingot_op_params params;
  memset(&params, 0, sizeof params);
  ingot_pooling_params *p = &params.pooling;
  p->type = (int32_t)desc->type;
  p->nb_spatial_dims = ns;
  p->padding_mode = (int32_t)desc->padding_mode;
  p->average_count_excludes_padding = desc->average_count_excludes_padding != 0;
  p->ceil_mode = desc->ceil_mode != 0;
  p->global = desc->global != 0;
  for (int32_t i = 0; i < ns; i++) {
    if (p->global) {
      p->window_size[i] = 1; /* meaningless for a global window: kept valid for validation */
      p->stride[i] = p->dilation[i] = 1;
      continue;
    }
    p->window_size[i] = desc->window_size[i];
    p->stride[i] = desc->stride[i] ? desc->stride[i] : 1;
    p->dilation[i] = desc->dilation[i] ? desc->dilation[i] : 1;
    p->pre_padding[i] = desc->pre_padding[i];
    p->post_padding[i] = desc->post_padding[i];
  }
  ingot_net_layer layer;
  ingot_net_layer_begin(&layer, network, INGOT_OP_POOLING, 0, fn);
  int32_t inputs[1] = {input->index};
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_layer_finish(&layer, &params, inputs, 1, &out, 1, layer_out);
}
