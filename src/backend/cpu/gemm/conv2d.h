/* The geometry of a 1-D or 2-D convolution as the fast conv tactics see it (conv_gemm.c,
 * conv_depthwise.c): a 1-D one is a 2-D one of height 1. Padding comes from the same
 * arithmetic as shape inference and the reference kernel (ops/conv_geometry.h). */
#ifndef INGOT_BACKEND_CPU_GEMM_CONV2D_H
#define INGOT_BACKEND_CPU_GEMM_CONV2D_H

#include <stdbool.h>
#include <string.h>

#include "ops/conv_geometry.h"

typedef struct ingot_conv2d {
  int64_t N, C, H, W, K, OH, OW;
  int64_t G, cpg, kpg;  /* groups, channels and maps per group */
  int64_t kh, kw, sh, sw, dh, dw;
  int64_t pt, pl;       /* padding before the first row / column */
  int64_t hw, ohw, kdim; /* input plane, output plane, cpg * kh * kw */
  int64_t Hp, Wp;       /* the rows and columns the taps reach, padding included */
  bool padded;          /* some tap reads padding: Hp x Wp is more than the input */
} ingot_conv2d;

/* The geometry of x, w, y read in the layout `channels_last` names: channels first,
 * x [N, C, (H,) W], w [K, C/g, (R,) S], y [N, K, (OH,) OW]; channels last (2-D only, as
 * the layout pass makes them), x [N, H, W, C], w [K, R, S, C/g], y [N, OH, OW, K]. False
 * when the node's layout is the other one, or it is not a 1-D/2-D convolution whose dims
 * agree. */
static inline bool ingot_conv2d_geometry_in(const ingot_conv_params *p, bool channels_last, const ingot_dims *xd,
                                            const ingot_dims *wd, const ingot_dims *yd, ingot_conv2d *c) {
  memset(c, 0, sizeof *c);
  if ((p->channels_last != 0) != channels_last) return false;
  if (channels_last && p->nb_spatial_dims != 2) return false;
  int32_t ns = p->nb_spatial_dims;
  if ((ns != 1 && ns != 2) || xd->nb_dims != 2 + ns || yd->nb_dims != 2 + ns || wd->nb_dims != 2 + ns) return false;
  /* where the channel and the first spatial dim are */
  int32_t ch = channels_last ? 3 : 1, sp = channels_last ? 1 : 2, wsp = channels_last ? 1 : 2;
  c->N = xd->d[0];
  c->C = xd->d[ch];
  c->K = yd->d[ch];
  c->G = ingot_or_one(p->groups);
  if (c->G <= 0 || c->C % c->G || c->K % c->G || yd->d[0] != c->N) return false;
  c->cpg = c->C / c->G;
  c->kpg = c->K / c->G;
  int64_t in[2] = {1, 1}, out[2] = {1, 1}, k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1}, pre[2] = {0, 0};
  for (int32_t i = 0; i < ns; i++) {
    int32_t j = i + 2 - ns; /* 1-D fills the width */
    int64_t post;
    in[j] = xd->d[sp + i];
    out[j] = yd->d[sp + i];
    k[j] = p->kernel_size[i];
    s[j] = ingot_or_one(p->stride[i]);
    d[j] = ingot_or_one(p->dilation[i]);
    if (k[j] != wd->d[wsp + i] || k[j] <= 0 || s[j] <= 0 || d[j] <= 0) return false;
    int64_t o = ingot_window_forward(in[j], k[j], s[j], d[j], p->padding_mode, p->pre_padding[i], p->post_padding[i], 0,
                                     &pre[j], &post);
    if (o != out[j]) return false;
  }
  if (wd->d[0] != c->K || wd->d[channels_last ? 3 : 1] != c->cpg) return false;
  c->H = in[0];
  c->W = in[1];
  c->OH = out[0];
  c->OW = out[1];
  c->kh = k[0];
  c->kw = k[1];
  c->sh = s[0];
  c->sw = s[1];
  c->dh = d[0];
  c->dw = d[1];
  c->pt = pre[0];
  c->pl = pre[1];
  c->hw = c->H * c->W;
  c->ohw = c->OH * c->OW;
  c->kdim = c->cpg * c->kh * c->kw;
  if (c->N < 0 || c->H < 0 || c->W < 0 || c->OH < 0 || c->OW < 0 || c->pt < 0 || c->pl < 0) return false;
  /* A plan may hold any stride, dilation or padding (one of 2^60 came from the fuzzer):
   * the padded planes the fast tactics copy the input into must be computable and fit in
   * 1 TiB, else these tactics decline and the reference kernel runs. */
  int64_t reach_h = 0, reach_w = 0, th, tw, ih, iw, plane, images, total;
  if (c->OH > 0 && (__builtin_mul_overflow(c->OH - 1, c->sh, &reach_h) || __builtin_mul_overflow(c->kh - 1, c->dh, &th) ||
                    __builtin_add_overflow(reach_h, th, &reach_h) || __builtin_add_overflow(reach_h, 1, &reach_h)))
    return false;
  if (c->OW > 0 && (__builtin_mul_overflow(c->OW - 1, c->sw, &reach_w) || __builtin_mul_overflow(c->kw - 1, c->dw, &tw) ||
                    __builtin_add_overflow(reach_w, tw, &reach_w) || __builtin_add_overflow(reach_w, 1, &reach_w)))
    return false;
  if (__builtin_add_overflow(c->pt, c->H, &ih) || __builtin_add_overflow(c->pl, c->W, &iw)) return false;
  c->Hp = ih > reach_h ? ih : reach_h;
  c->Wp = iw > reach_w ? iw : reach_w;
  if (__builtin_mul_overflow(c->Hp, c->Wp, &plane) || __builtin_mul_overflow(c->N, c->C, &images) ||
      __builtin_mul_overflow(plane, images, &total) || total > ((int64_t)1 << 38))
    return false;
  c->padded = c->Hp != c->H || c->Wp != c->W;
  return true;
}

/* Channels first: the NCHW tactics (conv_gemm.c, conv_depthwise.c) decline channels-last
 * nodes through here, and the reference kernel runs those their NHWC tactics don't take. */
static inline bool ingot_conv2d_geometry(const ingot_conv_params *p, const ingot_dims *xd, const ingot_dims *wd,
                                         const ingot_dims *yd, ingot_conv2d *c) {
  return ingot_conv2d_geometry_in(p, false, xd, wd, yd, c);
}

/* Channels last (2-D): for the NHWC tactics. */
static inline bool ingot_conv2d_geometry_nhwc(const ingot_conv_params *p, const ingot_dims *xd, const ingot_dims *wd,
                                              const ingot_dims *yd, ingot_conv2d *c) {
  return ingot_conv2d_geometry_in(p, true, xd, wd, yd, c);
}

#endif
