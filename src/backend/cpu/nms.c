/* NonMaxSuppression (ONNX semantics): per batch and class, the boxes whose score passes
 * score_threshold (strictly greater, when given) in order of score (ties: lower box index
 * first) are kept greedily unless their IoU with a kept box exceeds iou_threshold, up to
 * max_output_boxes_per_class. The output, [count, 3] int64 rows (batch, class, box), has a
 * data-dependent extent: the view holds the bound, the real dims go to args->output_dims. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/index_sort.h"
#include "core/dims.h"
#include "core/error.h"

typedef struct box {
  float x_min, y_min, x_max, y_max;
} box;

static box box_at(const float *b, int32_t center_point_box) {
  box r;
  if (center_point_box) {
    r.x_min = b[0] - b[2] / 2, r.x_max = b[0] + b[2] / 2;
    r.y_min = b[1] - b[3] / 2, r.y_max = b[1] + b[3] / 2;
  } else { /* corners in either order */
    r.y_min = fminf(b[0], b[2]), r.y_max = fmaxf(b[0], b[2]);
    r.x_min = fminf(b[1], b[3]), r.x_max = fmaxf(b[1], b[3]);
  }
  return r;
}

static bool suppresses(box a, box b, float iou_threshold) {
  float ix_min = fmaxf(a.x_min, b.x_min), ix_max = fminf(a.x_max, b.x_max);
  float iy_min = fmaxf(a.y_min, b.y_min), iy_max = fminf(a.y_max, b.y_max);
  if (ix_max <= ix_min || iy_max <= iy_min) return false;
  float inter = (ix_max - ix_min) * (iy_max - iy_min);
  float area_a = (a.x_max - a.x_min) * (a.y_max - a.y_min), area_b = (b.x_max - b.x_min) * (b.y_max - b.y_min);
  float uni = area_a + area_b - inter;
  if (inter <= 0 || area_a <= 0 || area_b <= 0 || uni <= 0) return false;
  return inter / uni > iou_threshold;
}

/* Higher score first, then lower index. */
static bool score_before(const void *ctx, int64_t a, int64_t b) {
  const float *s = ctx;
  return s[a] > s[b] || (s[a] == s[b] && a < b);
}

uint64_t ingot_cpu_nms_workspace(const ingot_kernel_args *args) {
  return (uint64_t)args->inputs[0].dims.d[1] * 2 * sizeof(int64_t);
}

static bool present(const ingot_kernel_args *args, int32_t k) {
  return k < args->nb_inputs && args->inputs[k].data && args->inputs[k].dims.nb_dims >= 0;
}

ingot_status ingot_cpu_non_max_suppression(const ingot_kernel_args *args) {
  const float *boxes = args->inputs[0].data, *scores = args->inputs[1].data;
  int64_t batches = args->inputs[0].dims.d[0], n = args->inputs[0].dims.d[1], classes = args->inputs[1].dims.d[1];
  int32_t center = args->params->nms.center_point_box;
  int64_t max_per_class = 0;
  if (present(args, 2)) {
    double v = ingot_load_as_double(args->inputs[2].data, args->inputs[2].dtype, 0);
    max_per_class = v > 0 ? (v < (double)n ? (int64_t)v : n) : 0;
  }
  float iou_threshold = present(args, 3) ? *(const float *)args->inputs[3].data : 0.0f;
  bool has_score_threshold = present(args, 4);
  float score_threshold = has_score_threshold ? *(const float *)args->inputs[4].data : 0.0f;
  int64_t *cand = args->workspace, *kept = cand + n;
  int64_t *out = args->outputs[0].data, bound = args->outputs[0].dims.d[0], count = 0;
  for (int64_t b = 0; b < batches; b++)
    for (int64_t c = 0; c < classes; c++) {
      const float *s = scores + (b * classes + c) * n;
      const float *bx = boxes + b * n * 4;
      int64_t nc = 0, nk = 0;
      for (int64_t i = 0; i < n; i++)
        if (!has_score_threshold || s[i] > score_threshold) cand[nc++] = i;
      ingot_cpu_sort_indices(cand, nc, score_before, s);
      for (int64_t i = 0; i < nc && nk < max_per_class; i++) {
        box candidate = box_at(bx + cand[i] * 4, center);
        bool keep = true;
        for (int64_t j = 0; j < nk && keep; j++)
          keep = !suppresses(candidate, box_at(bx + kept[j] * 4, center), iou_threshold);
        if (!keep) continue;
        kept[nk++] = cand[i];
        if (count >= bound)
          return ingot_node_fail(args->node, INGOT_RUNTIME_ERROR, "more selected boxes than the bound %lld",
                                 (long long)bound);
        out[count * 3] = b, out[count * 3 + 1] = c, out[count * 3 + 2] = cand[i];
        count++;
      }
    }
  if (args->output_dims) {
    args->output_dims[0] = args->outputs[0].dims;
    args->output_dims[0].d[0] = count;
  }
  return INGOT_SUCCESS;
}
