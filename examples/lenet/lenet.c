/* LeNet-5 through ingot's network API, the way TensorRT's tensorrtx lenet sample does it:
 * weights from a .wts file, layers added one by one, a plan built with a dynamic batch,
 * then the plan deserialized and run over the held-out digits.
 *
 *   lenet [--wts PATH] [--images PATH] [--labels PATH] [--batch N] [--save-plan PATH]
 *         [--min-accuracy A] [--device cpu|cuda[:N]]
 *
 * The files default to those beside this source (made by train_lenet.py): lenet5.wts,
 * digits_test_images.npy (float32 [N,1,32,32], already normalized) and
 * digits_test_labels.npy (int64 [N]). Prints the accuracy and the images per second; exits
 * with 1 if the accuracy is below --min-accuracy (default 0), 2 on any other failure.
 *
 * The network (max pooling where tensorrtx uses average pooling; see train_lenet.py):
 *   data [-1,1,32,32] -> conv1 6@5x5 -> relu -> maxpool 2x2/2 -> conv2 16@5x5 -> relu
 *   -> maxpool 2x2/2 -> fc1 120 -> relu -> fc2 84 -> relu -> fc3 10 -> softmax = prob [-1,10] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingot/ingot.h"
#include "npy.h" /* tools/npy.h, the strict .npy reader the ingot tool uses */

#ifndef LENET_DATA_DIR
#define LENET_DATA_DIR "."
#endif

#define INPUT_NAME "data"
#define OUTPUT_NAME "prob"
#define INPUT_H 32
#define INPUT_W 32
#define NUM_CLASSES 10
#define MAX_BATCH 64

/* Prints the failed call and ingot's message, and jumps to the cleanup. */
#define TRY(call)                                                                                   \
  do {                                                                                              \
    ingot_status st_ = (call);                                                                      \
    if (st_ != INGOT_SUCCESS) {                                                                     \
      fprintf(stderr, "lenet: %s failed: %s: %s\n", #call, ingot_status_name(st_), ingot_last_error()); \
      goto done;                                                                                    \
    }                                                                                               \
  } while (0)

static ingot_dims dims4(int64_t a, int64_t b, int64_t c, int64_t d) {
  ingot_dims dims = {4, {a, b, c, d}};
  return dims;
}

/* Looks up `name` and checks its element count, so a wrong file fails with a clear message. */
static ingot_status get_weights(const ingot_weights_map *map, const char *name, int64_t expected,
                                ingot_weights *out) {
  ingot_status st = ingot_weights_map_get(map, name, out);
  if (st != INGOT_SUCCESS) return st;
  if (out->count != expected) {
    fprintf(stderr, "lenet: weights '%s' hold %lld values, expected %lld\n", name, (long long)out->count,
            (long long)expected);
    return INGOT_INVALID_ARGUMENT;
  }
  return INGOT_SUCCESS;
}

static ingot_status add_conv(ingot_network *net, const ingot_weights_map *map, ingot_tensor *in, const char *name,
                             int64_t in_channels, int64_t maps, ingot_tensor **out) {
  char wname[64], bname[64];
  snprintf(wname, sizeof wname, "%s.weight", name);
  snprintf(bname, sizeof bname, "%s.bias", name);
  ingot_convolution_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.nb_spatial_dims = 2;
  desc.num_output_maps = maps;
  for (int i = 0; i < 2; i++) {
    desc.kernel_size[i] = 5;
    desc.stride[i] = 1;
    desc.dilation[i] = 1;
  }
  desc.groups = 1;
  desc.padding_mode = INGOT_PADDING_EXPLICIT;
  ingot_status st = get_weights(map, wname, maps * in_channels * 25, &desc.kernel_weights);
  if (st == INGOT_SUCCESS) st = get_weights(map, bname, maps, &desc.bias_weights);
  ingot_layer *conv = NULL, *relu = NULL;
  if (st == INGOT_SUCCESS) st = ingot_network_add_convolution(net, in, &desc, &conv);
  if (st == INGOT_SUCCESS) st = ingot_layer_set_name(conv, name);
  if (st == INGOT_SUCCESS)
    st = ingot_network_add_activation(net, ingot_layer_get_output(conv, 0), INGOT_ACTIVATION_RELU, 0, 0, &relu);
  if (st == INGOT_SUCCESS) {
    char rname[64];
    snprintf(rname, sizeof rname, "%s.relu", name);
    st = ingot_layer_set_name(relu, rname);
  }
  if (st == INGOT_SUCCESS) *out = ingot_layer_get_output(relu, 0);
  return st;
}

static ingot_status add_maxpool(ingot_network *net, ingot_tensor *in, const char *name, ingot_tensor **out) {
  ingot_pooling_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.type = INGOT_POOLING_MAX;
  desc.nb_spatial_dims = 2;
  for (int i = 0; i < 2; i++) {
    desc.window_size[i] = 2;
    desc.stride[i] = 2;
    desc.dilation[i] = 1;
  }
  desc.padding_mode = INGOT_PADDING_EXPLICIT;
  ingot_layer *pool = NULL;
  ingot_status st = ingot_network_add_pooling(net, in, &desc, &pool);
  if (st == INGOT_SUCCESS) st = ingot_layer_set_name(pool, name);
  if (st == INGOT_SUCCESS) *out = ingot_layer_get_output(pool, 0);
  return st;
}

static ingot_status add_fc(ingot_network *net, const ingot_weights_map *map, ingot_tensor *in, const char *name,
                           int64_t inputs, int64_t outputs, int relu, ingot_tensor **out) {
  char wname[64], bname[64];
  snprintf(wname, sizeof wname, "%s.weight", name);
  snprintf(bname, sizeof bname, "%s.bias", name);
  ingot_weights w, b;
  ingot_status st = get_weights(map, wname, outputs * inputs, &w);
  if (st == INGOT_SUCCESS) st = get_weights(map, bname, outputs, &b);
  ingot_layer *fc = NULL, *act = NULL;
  if (st == INGOT_SUCCESS) st = ingot_network_add_fully_connected(net, in, outputs, w, b, &fc);
  if (st == INGOT_SUCCESS) st = ingot_layer_set_name(fc, name);
  if (st != INGOT_SUCCESS) return st;
  *out = ingot_layer_get_output(fc, 0);
  if (!relu) return INGOT_SUCCESS;
  st = ingot_network_add_activation(net, *out, INGOT_ACTIVATION_RELU, 0, 0, &act);
  if (st == INGOT_SUCCESS) {
    char rname[64];
    snprintf(rname, sizeof rname, "%s.relu", name);
    st = ingot_layer_set_name(act, rname);
  }
  if (st == INGOT_SUCCESS) *out = ingot_layer_get_output(act, 0);
  return st;
}

/* The whole network: TensorRT's createLenetEngine, with an explicit dynamic batch. */
static ingot_status build_lenet(ingot_network *net, const ingot_weights_map *map) {
  ingot_dims in_dims = dims4(-1, 1, INPUT_H, INPUT_W);
  ingot_tensor *x = NULL;
  ingot_layer *softmax = NULL;
  ingot_status st = ingot_network_add_input(net, INPUT_NAME, INGOT_FLOAT32, &in_dims, &x);
  if (st == INGOT_SUCCESS) st = add_conv(net, map, x, "conv1", 1, 6, &x);       /* [N,6,28,28] */
  if (st == INGOT_SUCCESS) st = add_maxpool(net, x, "pool1", &x);               /* [N,6,14,14] */
  if (st == INGOT_SUCCESS) st = add_conv(net, map, x, "conv2", 6, 16, &x);      /* [N,16,10,10] */
  if (st == INGOT_SUCCESS) st = add_maxpool(net, x, "pool2", &x);               /* [N,16,5,5] */
  if (st == INGOT_SUCCESS) st = add_fc(net, map, x, "fc1", 16 * 5 * 5, 120, 1, &x);
  if (st == INGOT_SUCCESS) st = add_fc(net, map, x, "fc2", 120, 84, 1, &x);
  if (st == INGOT_SUCCESS) st = add_fc(net, map, x, "fc3", 84, NUM_CLASSES, 0, &x);
  if (st == INGOT_SUCCESS) st = ingot_network_add_softmax(net, x, 1, &softmax);
  if (st == INGOT_SUCCESS) st = ingot_layer_set_name(softmax, "prob");
  if (st == INGOT_SUCCESS) st = ingot_tensor_set_name(ingot_layer_get_output(softmax, 0), OUTPUT_NAME);
  if (st == INGOT_SUCCESS) st = ingot_network_mark_output(net, ingot_layer_get_output(softmax, 0));
  return st;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: lenet [--wts PATH] [--images PATH] [--labels PATH] [--batch N] [--save-plan PATH]\n"
          "             [--min-accuracy A] [--device cpu|cuda[:N]]\n"
          "  --wts PATH          tensorrtx weights (default %s/lenet5.wts)\n"
          "  --images PATH       float32 [N,1,32,32] .npy (default %s/digits_test_images.npy)\n"
          "  --labels PATH       int64 [N] .npy (default %s/digits_test_labels.npy)\n"
          "  --batch N           images per run, 1 to %d (default 32)\n"
          "  --save-plan PATH    also write the built plan there\n"
          "  --min-accuracy A    exit with 1 if the accuracy is below A, in [0, 1] (default 0)\n"
          "  --device D          cpu (default) or cuda[:N]: where the engine runs\n",
          LENET_DATA_DIR, LENET_DATA_DIR, LENET_DATA_DIR, MAX_BATCH);
}

int main(int argc, char **argv) {
  const char *wts_path = LENET_DATA_DIR "/lenet5.wts";
  const char *images_path = LENET_DATA_DIR "/digits_test_images.npy";
  const char *labels_path = LENET_DATA_DIR "/digits_test_labels.npy";
  const char *plan_path = NULL;
  long batch = 32;
  double min_accuracy = 0.0;
  ingot_target target = INGOT_TARGET_CPU;
  int device = 0;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "lenet: %s needs a value (or is unknown)\n", a);
      usage(stderr);
      return 2;
    }
    const char *v = argv[++i];
    char *end = NULL;
    if (strcmp(a, "--wts") == 0) wts_path = v;
    else if (strcmp(a, "--images") == 0) images_path = v;
    else if (strcmp(a, "--labels") == 0) labels_path = v;
    else if (strcmp(a, "--save-plan") == 0) plan_path = v;
    else if (strcmp(a, "--device") == 0) {
      if (strcmp(v, "cpu") == 0) target = INGOT_TARGET_CPU;
      else if (strncmp(v, "cuda", 4) == 0 && (v[4] == '\0' || v[4] == ':')) {
        target = INGOT_TARGET_CUDA;
        device = v[4] == ':' ? (int)strtol(v + 5, &end, 10) : 0;
        if (v[4] == ':' && (v[5] == '\0' || *end != '\0' || device < 0)) {
          fprintf(stderr, "lenet: --device expects cpu, cuda or cuda:N, found '%s'\n", v);
          return 2;
        }
      } else {
        fprintf(stderr, "lenet: --device expects cpu, cuda or cuda:N, found '%s'\n", v);
        return 2;
      }
    }
    else if (strcmp(a, "--batch") == 0) {
      batch = strtol(v, &end, 10);
      if (*v == '\0' || *end != '\0' || batch < 1 || batch > MAX_BATCH) {
        fprintf(stderr, "lenet: --batch expects an integer from 1 to %d, found '%s'\n", MAX_BATCH, v);
        return 2;
      }
    } else if (strcmp(a, "--min-accuracy") == 0) {
      min_accuracy = strtod(v, &end);
      if (*v == '\0' || *end != '\0' || !(min_accuracy >= 0.0 && min_accuracy <= 1.0)) {
        fprintf(stderr, "lenet: --min-accuracy expects a number in [0, 1], found '%s'\n", v);
        return 2;
      }
    } else {
      fprintf(stderr, "lenet: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }

  int rc = 2;
  char err[1024];
  tool_npy images, labels;
  memset(&images, 0, sizeof images);
  memset(&labels, 0, sizeof labels);
  ingot_logger *logger = NULL;
  ingot_weights_map *weights = NULL;
  ingot_network *network = NULL;
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_optimization_profile *profile = NULL;
  ingot_plan *plan = NULL;
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  ingot_execution_context *context = NULL;
  float *probs = NULL;
  void *dev_images = NULL, *dev_probs = NULL; /* the cuda target's I/O in device memory */

  /* ---- the test set -------------------------------------------------------------------- */
  if (tool_npy_load(images_path, &images, err, sizeof err) != 0 ||
      tool_npy_load(labels_path, &labels, err, sizeof err) != 0) {
    fprintf(stderr, "lenet: %s\n", err);
    goto done;
  }
  if (images.dtype != INGOT_FLOAT32 || images.dims.nb_dims != 4 || images.dims.d[1] != 1 ||
      images.dims.d[2] != INPUT_H || images.dims.d[3] != INPUT_W) {
    char buf[128] = "";
    for (int i = 0; i < images.dims.nb_dims; i++)
      snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%lld", i ? "x" : "", (long long)images.dims.d[i]);
    fprintf(stderr, "lenet: '%s': expected float32 images [N,1,%d,%d], found %s [%s]\n", images_path, INPUT_H,
            INPUT_W, ingot_dtype_name(images.dtype), buf);
    goto done;
  }
  int64_t n = images.dims.d[0];
  if (labels.dtype != INGOT_INT64 || labels.dims.nb_dims != 1 || labels.dims.d[0] != n || n < 1) {
    fprintf(stderr, "lenet: '%s': expected int64 labels [%lld] (one per image), found %s of rank %d\n", labels_path,
            (long long)n, ingot_dtype_name(labels.dtype), labels.dims.nb_dims);
    goto done;
  }

  /* ---- network and plan ------------------------------------------------------------------ */
  TRY(ingot_logger_create(NULL, NULL, INGOT_SEVERITY_WARNING, &logger));
  TRY(ingot_wts_load(wts_path, &weights));
  TRY(ingot_network_create(logger, &network));
  TRY(build_lenet(network, weights));
  /* The network copied the weights: the map can go now, as in tensorrtx. */
  ingot_weights_map_destroy(weights);
  weights = NULL;

  TRY(ingot_builder_create(logger, &builder));
  TRY(ingot_builder_config_create(&config));
  TRY(ingot_builder_config_set_target(config, target, device));
  TRY(ingot_optimization_profile_create(&profile));
  ingot_dims dmin = dims4(1, 1, INPUT_H, INPUT_W), dopt = dims4(8, 1, INPUT_H, INPUT_W),
             dmax = dims4(MAX_BATCH, 1, INPUT_H, INPUT_W);
  TRY(ingot_optimization_profile_set_dimensions(profile, INPUT_NAME, INGOT_PROFILE_MIN, &dmin));
  TRY(ingot_optimization_profile_set_dimensions(profile, INPUT_NAME, INGOT_PROFILE_OPT, &dopt));
  TRY(ingot_optimization_profile_set_dimensions(profile, INPUT_NAME, INGOT_PROFILE_MAX, &dmax));
  TRY(ingot_builder_config_add_optimization_profile(config, profile, NULL));
  double t0 = now_seconds();
  TRY(ingot_builder_build_serialized_network(builder, network, config, &plan));
  printf("built a plan of %zu bytes in %.1f ms\n", ingot_plan_size(plan), 1e3 * (now_seconds() - t0));
  if (plan_path) {
    TRY(ingot_plan_save(plan, plan_path));
    printf("saved the plan to %s\n", plan_path);
  }

  /* ---- engine and inference -------------------------------------------------------------- */
  TRY(ingot_runtime_create(logger, &runtime));
  if (target != INGOT_TARGET_CPU) {
    TRY(ingot_runtime_set_device(runtime, device));
    TRY(ingot_device_malloc(target, (uint64_t)n * INPUT_H * INPUT_W * sizeof(float), &dev_images));
    TRY(ingot_device_copy_to_device(target, dev_images, images.data, (uint64_t)n * INPUT_H * INPUT_W * sizeof(float)));
    TRY(ingot_device_malloc(target, (uint64_t)batch * NUM_CLASSES * sizeof(float), &dev_probs));
  }
  TRY(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  ingot_plan_destroy(plan); /* the engine holds what it needs */
  plan = NULL;
  TRY(ingot_engine_create_execution_context(engine, &context));
  probs = malloc((size_t)batch * NUM_CLASSES * sizeof(float));
  if (!probs) {
    fprintf(stderr, "lenet: out of memory\n");
    goto done;
  }
  const float *pixels = images.data;
  const int64_t *truth = labels.data;
  int64_t correct = 0;
  double run_seconds = 0.0;
  for (int64_t start = 0; start < n; start += batch) {
    int64_t b = n - start < batch ? n - start : batch;
    ingot_dims shape = dims4(b, 1, INPUT_H, INPUT_W);
    TRY(ingot_execution_context_set_input_shape(context, INPUT_NAME, &shape));
    const float *in = dev_images ? (const float *)dev_images : pixels;
    TRY(ingot_execution_context_set_tensor_address(context, INPUT_NAME, (void *)(in + start * INPUT_H * INPUT_W)));
    TRY(ingot_execution_context_set_tensor_address(context, OUTPUT_NAME, dev_probs ? dev_probs : probs));
    double t1 = now_seconds();
    TRY(ingot_execution_context_execute(context));
    run_seconds += now_seconds() - t1;
    if (dev_probs) TRY(ingot_device_copy_to_host(target, probs, dev_probs, (uint64_t)b * NUM_CLASSES * sizeof(float)));
    for (int64_t i = 0; i < b; i++) {
      const float *p = probs + i * NUM_CLASSES;
      int best = 0;
      for (int c = 1; c < NUM_CLASSES; c++)
        if (p[c] > p[best]) best = c;
      correct += best == truth[start + i];
    }
  }
  double accuracy = (double)correct / (double)n;
  printf("accuracy %.4f (%lld/%lld) at batch %ld on %s, %.0f images/s\n", accuracy, (long long)correct, (long long)n,
         batch, ingot_target_name(target), run_seconds > 0 ? (double)n / run_seconds : 0.0);
  if (accuracy < min_accuracy) {
    fprintf(stderr, "lenet: accuracy %.4f is below --min-accuracy %.4f\n", accuracy, min_accuracy);
    rc = 1;
  } else {
    rc = 0;
  }

done:
  free(probs);
  ingot_device_free(target, dev_images);
  ingot_device_free(target, dev_probs);
  ingot_execution_context_destroy(context);
  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  ingot_optimization_profile_destroy(profile);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  ingot_network_destroy(network);
  ingot_weights_map_destroy(weights);
  ingot_logger_destroy(logger);
  tool_npy_free(&images);
  tool_npy_free(&labels);
  return rc;
}
