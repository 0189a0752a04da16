/* Winograd F(4x4, 3x3) convolution (see winograd.h).
 *
 * The tiles are taken in chunks whose transformed inputs and products fit a few MB (the
 * caches, and a bounded scratch): for each chunk, the input transform (threads over tiles),
 * 36 products (panel_gemm.h: the transformed weights are packed for them, which keeps batch-1
 * layers of 256-512 channels, 15-49 tiles, from waiting on memory; threads over the products'
 * column panels), the output transform with the bias (threads over tiles). The transforms work
 * on 64 channels at a time along the contiguous channel axis, which the compiler vectorises
 * (AVX2 and AVX-512 clones of the two kernels). */
#include "av/ops/winograd.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "av/gemm.h"
#include "av/ops/elem.h"
#include "av/ops/panel_gemm.h"

enum { TILE = 4, IN_TILE = 6, POS = 36, CB = 64 };
_Static_assert((int)CB == (int)AVS_PANEL, "a block of CB output channels of U is one run of a panel");

/* Chunks of tiles: transformed inputs and products together about this many bytes. */
#define CHUNK_BYTES (4u << 20)

static int enabled = -1;

bool avs_wino_enabled(void) {
  if (enabled < 0) {
    const char *e = getenv("AVS_CONV");
    enabled = !(e && !strcmp(e, "direct"));
  }
  return enabled;
}

void avs_wino_set_enabled(bool on) { enabled = on; }

static bool training = true;

bool avs_wino_training(void) { return training; }

void avs_wino_set_training(bool on) { training = on; }

static int64_t total_tiles(const avs_wino_geo *g);

/* A 2-D geometry is a 3-D one of one frame and one tap. */
static int64_t taps(const avs_wino_geo *g) { return g->kt > 0 ? g->kt : 1; }
static int64_t out_frames(const avs_wino_geo *g) { return g->kt > 0 ? g->OT : 1; }
static int64_t in_frames(const avs_wino_geo *g) { return g->kt > 0 ? g->T : 1; }

/* Measured against oneDNN's direct kernels (2 threads, Zen 3; this machine's timings move by
 * 20-40 % between runs). One convolution repeated, batch 1 unless said: 64 -> 64 channels 0.9x
 * at 4 tiles (an 8 x 8 map), 1.2x at 16, 2.2x at 196; 128 -> 128 0.8-1.1x at 15 tiles;
 * 256 -> 256 2.0x at 15; 512 -> 512 0.4-0.6x at 1-6 tiles, 1.4-1.7x at 15-16, 2x at 32 (batch
 * 8 of 7 x 7); 32 -> 32 loses up to 121 tiles and wins 1.3-1.5x from 128 on (batch 8 of 16 x 16,
 * one 64 x 64 map); 16 -> 16 0.9x, 8 -> 8 0.5x at 512 tiles. Inside a network the transformed
 * weights (4x the kernel) come from memory, which 8 full tiles pay for even at 1024 -> 512
 * channels (Sound of Pixels' U-Net on a 16 x 16 map: 14-19 ms direct, 7 ms this way). */
bool avs_wino_suits(const avs_wino_geo *g) {
  if (!avs_wino_enabled()) return false;
  /* Tiles reaching past the map's edge cost as much as full ones: count the full tiles' worth
   * of outputs, and want the tiles at least half full (a 4 x 4 map at dilation 2 fills a
   * quarter of each: Sound of Pixels' CPU-size layer4 ran 2.5x slower this way). */
  int64_t tiles = total_tiles(g), full = g->N * out_frames(g) * g->OH * g->OW / (TILE * TILE);
  if (2 * full < tiles) return false;
  /* A small convolution is quicker direct than the fixed cost of 36 products and two passes
   * (about 0.1 ms): Sound of Pixels' CPU-size training step lost 5 % on its 14 M-MAC layers. */
  if (g->N * out_frames(g) * g->OH * g->OW * taps(g) * g->C * g->O * 9 < ((int64_t)1 << 25)) return false;
  if (g->C >= 64 && g->O >= 32) return full >= 8;
  return g->C >= 32 && g->O >= 16 && full >= 128;
}

size_t avs_wino_weight_floats(const avs_wino_geo *g) { return (size_t)POS * taps(g) * g->C * g->O; }

/* G g G^T for CB kernels at once: g[k][i] the kernels' elements k = row * 3 + col, u[p][i]. */
AVS_SIMD_CLONES
static void kernel_transform(const float g[9][CB], int n, float u[POS][CB]) {
  float t[IN_TILE][3][CB] __attribute__((aligned(64)));
  for (int col = 0; col < 3; col++)
    for (int i = 0; i < n; i++) {
      float g0 = g[0 * 3 + col][i], g1 = g[1 * 3 + col][i], g2 = g[2 * 3 + col][i];
      t[0][col][i] = g0 / 4;
      t[1][col][i] = -(g0 + g1 + g2) / 6;
      t[2][col][i] = -(g0 - g1 + g2) / 6;
      t[3][col][i] = g0 / 24 + g1 / 12 + g2 / 6;
      t[4][col][i] = g0 / 24 - g1 / 12 + g2 / 6;
      t[5][col][i] = g2;
    }
  for (int r = 0; r < IN_TILE; r++)
    for (int i = 0; i < n; i++) {
      float g0 = t[r][0][i], g1 = t[r][1][i], g2 = t[r][2][i];
      u[r * 6 + 0][i] = g0 / 4;
      u[r * 6 + 1][i] = -(g0 + g1 + g2) / 6;
      u[r * 6 + 2][i] = -(g0 - g1 + g2) / 6;
      u[r * 6 + 3][i] = g0 / 24 + g1 / 12 + g2 / 6;
      u[r * 6 + 4][i] = g0 / 24 - g1 / 12 + g2 / 6;
      u[r * 6 + 5][i] = g2;
    }
}

/* Each row of U (an input channel of the product) is made in blocks of CB output channels, so
 * that its 36 rows are written contiguously: in training the weights change every step and
 * this runs each time (a strided double-precision version took 8 ms for 256 x 128 channels). */
void avs_wino_weights(const float *w, int64_t O, int64_t C, int64_t kt, bool adjoint, float *U) {
  /* The product's K side (taps x input channels) and N side (output channels). */
  int64_t channels = adjoint ? O : C, k_side = kt * channels, n_side = adjoint ? C : O;
#pragma omp parallel for schedule(static) if (kt * O * C >= 4096)
  for (int64_t row = 0; row < k_side; row++) {
    float g[9][CB] __attribute__((aligned(64)));
    float u[POS][CB] __attribute__((aligned(64)));
    int64_t tap = row / channels, ch = row % channels;
    if (adjoint) tap = kt - 1 - tap; /* adjoint: flipped in every dim */
    for (int64_t n0 = 0; n0 < n_side; n0 += CB) {
      int n = n_side - n0 < CB ? (int)(n_side - n0) : CB;
      for (int i = 0; i < n; i++) {
        int64_t o = adjoint ? ch : n0 + i, c = adjoint ? n0 + i : ch;
        const float *src = w + ((o * C + c) * kt + tap) * 9;
        for (int k = 0; k < 9; k++) g[k][i] = src[adjoint ? 8 - k : k];
      }
      kernel_transform((const float(*)[CB])g, n, u);
      for (int p = 0; p < POS; p++)
        memcpy(U + (int64_t)p * k_side * n_side + avs_panel_offset(k_side, n_side, row, n0), u[p], sizeof(float) * n);
    }
  }
}

/* The first output row (or column) of tile a along an axis of n outputs: the tiles step over
 * each of the dil interleaved grids in turn, 4 grid rows a tile. */
static int64_t tile_origin(int64_t a, int64_t n, int64_t dil) {
  for (int64_t p = 0; p < dil; p++) {
    int64_t rows = (n - p + dil - 1) / dil, tiles = (rows + TILE - 1) / TILE;
    if (a < tiles) return p + dil * TILE * a;
    a -= tiles;
  }
  return 0; /* not reached for a < tiles_along */
}

static int64_t tiles_along(int64_t n, int64_t dil) {
  int64_t t = 0;
  for (int64_t p = 0; p < dil; p++) t += ((n - p + dil - 1) / dil + TILE - 1) / TILE;
  return t;
}

/* The n x n pixels (h0 + dil i, w0 + dil j) of channels [cb, cb + cn) of a channels-last H x W x C map
 * into d (n x n x CB), zeros outside the map: a tile of the input or of the output gradient. */
static inline void gather_tile(const float *x, int64_t H, int64_t W, int64_t C, int64_t cb, int cn, int64_t h0,
                               int64_t w0, int64_t dil, int n, float (*d)[CB]) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      int64_t h = h0 + dil * i, w = w0 + dil * j;
      if (h < 0 || h >= H || w < 0 || w >= W)
        memset(d[i * n + j], 0, sizeof(float) * cn);
      else
        memcpy(d[i * n + j], x + (h * W + w) * C + cb, sizeof(float) * cn);
    }
}

/* B^T d B of the 6 x 6 tile whose first input pixel is (h0, w0) (rows h0 + dil j, may lie
 * in the padding), into rows p * vstride of V, for every channel. */
AVS_SIMD_CLONES
static void input_tile(const float *x, int64_t H, int64_t W, int64_t C, int64_t h0, int64_t w0, int64_t dil,
                       float *V, int64_t vstride) {
  float d[IN_TILE][IN_TILE][CB] __attribute__((aligned(64)));
  float t[IN_TILE][IN_TILE][CB] __attribute__((aligned(64)));
  for (int64_t cb = 0; cb < C; cb += CB) {
    int cn = C - cb < CB ? (int)(C - cb) : CB;
    gather_tile(x, H, W, C, cb, cn, h0, w0, dil, IN_TILE, d[0]);
    for (int j = 0; j < IN_TILE; j++)
      for (int c = 0; c < cn; c++) {
        float d0 = d[0][j][c], d1 = d[1][j][c], d2 = d[2][j][c], d3 = d[3][j][c], d4 = d[4][j][c], d5 = d[5][j][c];
        t[0][j][c] = 4 * d0 - 5 * d2 + d4;
        t[1][j][c] = -4 * d1 - 4 * d2 + d3 + d4;
        t[2][j][c] = 4 * d1 - 4 * d2 - d3 + d4;
        t[3][j][c] = -2 * d1 - d2 + 2 * d3 + d4;
        t[4][j][c] = 2 * d1 - d2 - 2 * d3 + d4;
        t[5][j][c] = 4 * d1 - 5 * d3 + d5;
      }
    for (int i = 0; i < IN_TILE; i++) {
      float *v = V + (int64_t)(i * IN_TILE) * vstride + cb;
      for (int c = 0; c < cn; c++) {
        float d0 = t[i][0][c], d1 = t[i][1][c], d2 = t[i][2][c], d3 = t[i][3][c], d4 = t[i][4][c], d5 = t[i][5][c];
        v[0 * vstride + c] = 4 * d0 - 5 * d2 + d4;
        v[1 * vstride + c] = -4 * d1 - 4 * d2 + d3 + d4;
        v[2 * vstride + c] = 4 * d1 - 4 * d2 - d3 + d4;
        v[3 * vstride + c] = -2 * d1 - d2 + 2 * d3 + d4;
        v[4 * vstride + c] = 2 * d1 - d2 - 2 * d3 + d4;
        v[5 * vstride + c] = 4 * d1 - 5 * d3 + d5;
      }
    }
  }
}

/* Zeros for a tap that reads a frame outside the clip, in the layout input_tile writes. */
static void zero_tile(int64_t C, float *V, int64_t vstride) {
  for (int p = 0; p < POS; p++) memset(V + p * vstride, 0, sizeof(float) * C);
}

/* A^T m A + b (then max(., 0) when relu) for the tile whose first output pixel is (h0, w0) (rows
 * h0 + dil i), from rows p * mstride of M; the part inside the output is written. */
AVS_SIMD_CLONES
static void output_tile(const float *M, int64_t mstride, const float *b, bool relu, float *y, int64_t OH, int64_t OW,
                        int64_t O, int64_t h0, int64_t w0, int64_t dil) {
  float t[TILE][IN_TILE][CB] __attribute__((aligned(64)));
  float o[TILE][CB] __attribute__((aligned(64)));
  for (int64_t ob = 0; ob < O; ob += CB) {
    int on = O - ob < CB ? (int)(O - ob) : CB;
    for (int j = 0; j < IN_TILE; j++) {
      const float *m = M + (int64_t)j * mstride + ob;
      for (int c = 0; c < on; c++) {
        float m0 = m[0 * IN_TILE * mstride + c], m1 = m[1 * IN_TILE * mstride + c], m2 = m[2 * IN_TILE * mstride + c];
        float m3 = m[3 * IN_TILE * mstride + c], m4 = m[4 * IN_TILE * mstride + c], m5 = m[5 * IN_TILE * mstride + c];
        t[0][j][c] = m0 + m1 + m2 + m3 + m4;
        t[1][j][c] = m1 - m2 + 2 * m3 - 2 * m4;
        t[2][j][c] = m1 + m2 + 4 * m3 + 4 * m4;
        t[3][j][c] = m1 - m2 + 8 * m3 - 8 * m4 + m5;
      }
    }
    for (int i = 0; i < TILE; i++) {
      int64_t h = h0 + dil * i;
      if (h >= OH) break;
      for (int c = 0; c < on; c++) {
        float m0 = t[i][0][c], m1 = t[i][1][c], m2 = t[i][2][c], m3 = t[i][3][c], m4 = t[i][4][c], m5 = t[i][5][c];
        float bias = b ? b[ob + c] : 0.0f;
        o[0][c] = m0 + m1 + m2 + m3 + m4 + bias;
        o[1][c] = m1 - m2 + 2 * m3 - 2 * m4 + bias;
        o[2][c] = m1 + m2 + 4 * m3 + 4 * m4 + bias;
        o[3][c] = m1 - m2 + 8 * m3 - 8 * m4 + m5 + bias;
      }
      if (relu)
        for (int j = 0; j < TILE; j++)
          for (int c = 0; c < on; c++) o[j][c] = o[j][c] > 0 ? o[j][c] : 0.0f;
      for (int j = 0; j < TILE; j++) {
        int64_t w = w0 + dil * j;
        if (w >= OW) break;
        memcpy(y + (h * OW + w) * O + ob, o[j], sizeof(float) * on);
      }
    }
  }
}

/* Tiles per chunk: transformed inputs and products together about CHUNK_BYTES, at least 64,
 * and at least as large as the transformed weights, which every chunk reads again (at 512
 * channels they are 38 MB: chunks of 64 tiles read them 1.5 times for ResNet's layer4 on 6
 * frames). */
static int64_t chunk_tiles(const avs_wino_geo *g, int64_t tiles) {
  int64_t K = taps(g) * g->C;
  int64_t n = CHUNK_BYTES / ((int64_t)POS * (K + g->O) * (int64_t)sizeof(float));
  int64_t weights = K * g->O / (K + g->O); /* tiles whose V and M weigh what U does */
  if (n < weights) n = weights;
  if (n < 64) n = 64;
  return n < tiles ? n : tiles;
}

/* The tiles are taken in groups: one spatial tile of one clip at each of its OT output frames
 * (one tile in 2-D), in that order. A group's input is the same spatial tile at its span of
 * OT + kt - 1 input frames (from -pad_t on), each transformed once: the row of output frame f
 * is the kt transformed frames f ... f + kt - 1, which lie side by side. */
static int64_t frame_tiles(const avs_wino_geo *g) { return tiles_along(g->OH, g->dil) * tiles_along(g->OW, g->dil); }
static int64_t span(const avs_wino_geo *g) { return out_frames(g) + taps(g) - 1; }

static int64_t total_tiles(const avs_wino_geo *g) { return g->N * out_frames(g) * frame_tiles(g); }

/* Groups per chunk: about chunk_tiles' worth of tiles, at least one group. */
static int64_t chunk_groups(const avs_wino_geo *g) {
  int64_t groups = g->N * frame_tiles(g), n = chunk_tiles(g, total_tiles(g)) / out_frames(g);
  return n < 1 ? 1 : n < groups ? n : groups;
}

/* A chunk's scratch, in floats from a 64-byte aligned start (each part 64-byte aligned): the
 * groups' transformed inputs W, the rows of the products' A as a matrix V (where they must be
 * one: the weight gradient, and without the AVX-512 kernel), the products M (or the output
 * gradient's tiles dM), and the rows' offsets in W. */
typedef struct {
  size_t W, V, M, rows, end;
} scratch_parts;

static size_t align16(size_t floats) { return (floats + 15) & ~(size_t)15; }

static scratch_parts scratch_layout(const avs_wino_geo *g) {
  size_t groups = (size_t)chunk_groups(g), tiles = groups * (size_t)out_frames(g), C = (size_t)g->C;
  scratch_parts s = {.W = 0};
  s.V = align16(POS * groups * (size_t)span(g) * C);
  s.M = s.V + align16(POS * tiles * (size_t)taps(g) * C);
  s.rows = s.M + align16(POS * tiles * (size_t)g->O);
  s.end = s.rows + align16(2 * tiles); /* int64 offsets: two floats each */
  return s;
}

size_t avs_wino_scratch_bytes(const avs_wino_geo *g) { return sizeof(float) * scratch_layout(g).end + 64; }

/* Where the row of each tile of a chunk starts in W (the same for every chunk: rows of group j,
 * frame f at (j span + f) C). */
static void row_offsets(const avs_wino_geo *g, int64_t *rows) {
  int64_t OT = out_frames(g), tiles = chunk_groups(g) * OT;
  for (int64_t i = 0; i < tiles; i++) rows[i] = (i / OT * span(g) + i % OT) * g->C;
}

/* The transformed inputs of groups [g0, g0 + n_g): W[p][(j span + s) C + c] for group g0 + j and
 * the s-th frame of its span (zeros for a frame outside the clip). */
static void input_chunk(const avs_wino_geo *g, const float *x, int64_t g0, int64_t n_g, float *W) {
  int64_t cols = tiles_along(g->OW, g->dil), per_frame = frame_tiles(g);
  int64_t C = g->C, T = in_frames(g), frames = span(g), entries = n_g * frames;
#pragma omp parallel for schedule(static) if (entries * C >= 4096)
  for (int64_t e = 0; e < entries; e++) {
    int64_t grp = g0 + e / frames, n = grp / per_frame, r = grp % per_frame, in = e % frames - g->pad_t;
    int64_t h0 = tile_origin(r / cols, g->OH, g->dil), w0 = tile_origin(r % cols, g->OW, g->dil);
    if (in < 0 || in >= T)
      zero_tile(C, W + e * C, entries * C);
    else
      input_tile(x + (n * T + in) * g->H * g->W * C, g->H, g->W, C, h0 - g->pad_h, w0 - g->pad_w, g->dil, W + e * C,
                 entries * C);
  }
}

/* V[p] (n_t x K, row-major) from the rows of the groups' W[p] (w_stride apart). */
static void rows_to_matrix(const float *W, int64_t w_stride, const int64_t *rows, int64_t n_t, int64_t K, float *V) {
#pragma omp parallel for schedule(static) if (n_t * K >= 4096)
  for (int64_t pi = 0; pi < POS * n_t; pi++) {
    int64_t p = pi / n_t, i = pi % n_t;
    memcpy(V + (p * n_t + i) * K, W + p * w_stride + rows[i], sizeof(float) * K);
  }
}

/* The output frame and spatial tile of row i of the chunk starting at group g0. */
static void tile_of_row(const avs_wino_geo *g, int64_t g0, int64_t i, int64_t *frame, int64_t *h0, int64_t *w0) {
  int64_t OT = out_frames(g), grp = g0 + i / OT, per_frame = frame_tiles(g), r = grp % per_frame;
  int64_t cols = tiles_along(g->OW, g->dil);
  *frame = grp / per_frame * OT + i % OT;
  *h0 = tile_origin(r / cols, g->OH, g->dil);
  *w0 = tile_origin(r % cols, g->OW, g->dil);
}

void avs_wino_conv(const avs_wino_geo *g, const float *x, const float *U, const float *b, bool relu, float *y,
                   float *scratch) {
  scratch_parts sp = scratch_layout(g);
  float *W = scratch + sp.W, *V = scratch + sp.V, *M = scratch + sp.M;
  int64_t *rows = (int64_t *)(scratch + sp.rows);
  int64_t groups = g->N * frame_tiles(g), chunk = chunk_groups(g), OT = out_frames(g);
  int64_t O = g->O, K = taps(g) * g->C;
  bool any_rows = avs_panel_gemm_any_rows();
  row_offsets(g, rows);
  for (int64_t g0 = 0; g0 < groups; g0 += chunk) {
    int64_t n_g = groups - g0 < chunk ? groups - g0 : chunk, n_t = n_g * OT, w_stride = n_g * span(g) * g->C;
    input_chunk(g, x, g0, n_g, W);
    if (any_rows) {
      avs_panel_gemm_batch(POS, n_t, O, K, W, w_stride, rows, U, M);
    } else {
      rows_to_matrix(W, w_stride, rows, n_t, K, V);
      avs_panel_gemm_batch(POS, n_t, O, K, V, n_t * K, NULL, U, M);
    }
#pragma omp parallel for schedule(static) if (n_t * O >= 4096)
    for (int64_t t = 0; t < n_t; t++) {
      int64_t f, h0, w0;
      tile_of_row(g, g0, t, &f, &h0, &w0);
      output_tile(M + t * O, n_t * O, b, relu, y + f * g->OH * g->OW * O, g->OH, g->OW, O, h0, w0, g->dil);
    }
  }
}

/* The weight gradient is the adjoint of the forward's arithmetic: with M[p] = V[p] U[p] and
 * y = A^T M A per tile, dU[p] = V[p]^T dM[p] summed over the tiles, where dM = A dy A^T (the
 * output gradient's 4 x 4 tile taken to 6 x 6), and dw = G^T dU G per kernel. The same products
 * as the forward's, with the tiles as their inner dimension. */

/* A dy A^T of the output gradient's tile whose first pixel is (h0, w0) (zeros past the map's
 * edge), into rows p * mstride of dM. */
AVS_SIMD_CLONES
static void grad_tile(const float *gy, int64_t OH, int64_t OW, int64_t O, int64_t h0, int64_t w0, int64_t dil,
                      float *dM, int64_t mstride) {
  float d[TILE][TILE][CB] __attribute__((aligned(64)));
  float t[IN_TILE][TILE][CB] __attribute__((aligned(64)));
  for (int64_t ob = 0; ob < O; ob += CB) {
    int on = O - ob < CB ? (int)(O - ob) : CB;
    gather_tile(gy, OH, OW, O, ob, on, h0, w0, dil, TILE, d[0]);
    for (int j = 0; j < TILE; j++)
      for (int c = 0; c < on; c++) {
        float d0 = d[0][j][c], d1 = d[1][j][c], d2 = d[2][j][c], d3 = d[3][j][c];
        t[0][j][c] = d0;
        t[1][j][c] = d0 + d1 + d2 + d3;
        t[2][j][c] = d0 - d1 + d2 - d3;
        t[3][j][c] = d0 + 2 * d1 + 4 * d2 + 8 * d3;
        t[4][j][c] = d0 - 2 * d1 + 4 * d2 - 8 * d3;
        t[5][j][c] = d3;
      }
    for (int r = 0; r < IN_TILE; r++) {
      float *m = dM + (int64_t)(r * IN_TILE) * mstride + ob;
      for (int c = 0; c < on; c++) {
        float d0 = t[r][0][c], d1 = t[r][1][c], d2 = t[r][2][c], d3 = t[r][3][c];
        m[0 * mstride + c] = d0;
        m[1 * mstride + c] = d0 + d1 + d2 + d3;
        m[2 * mstride + c] = d0 - d1 + d2 - d3;
        m[3 * mstride + c] = d0 + 2 * d1 + 4 * d2 + 8 * d3;
        m[4 * mstride + c] = d0 - 2 * d1 + 4 * d2 - 8 * d3;
        m[5 * mstride + c] = d3;
      }
    }
  }
}

/* G^T u G for CB kernels at once (the adjoint of kernel_transform): u[p][i] -> g[k][i]. */
AVS_SIMD_CLONES
static void kernel_adjoint(const float u[POS][CB], int n, float g[9][CB]) {
  float t[IN_TILE][3][CB] __attribute__((aligned(64)));
  for (int r = 0; r < IN_TILE; r++)
    for (int i = 0; i < n; i++) {
      float u0 = u[r * 6 + 0][i], u1 = u[r * 6 + 1][i], u2 = u[r * 6 + 2][i];
      float u3 = u[r * 6 + 3][i], u4 = u[r * 6 + 4][i], u5 = u[r * 6 + 5][i];
      t[r][0][i] = u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;
      t[r][1][i] = (u2 - u1) / 6 + (u3 - u4) / 12;
      t[r][2][i] = (u3 + u4 - u1 - u2) / 6 + u5;
    }
  for (int col = 0; col < 3; col++)
    for (int i = 0; i < n; i++) {
      float u0 = t[0][col][i], u1 = t[1][col][i], u2 = t[2][col][i], u3 = t[3][col][i], u4 = t[4][col][i];
      float u5 = t[5][col][i];
      g[0 * 3 + col][i] = u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;
      g[1 * 3 + col][i] = (u2 - u1) / 6 + (u3 - u4) / 12;
      g[2 * 3 + col][i] = (u3 + u4 - u1 - u2) / 6 + u5;
    }
}

size_t avs_wino_wgrad_scratch_bytes(const avs_wino_geo *g) {
  return avs_wino_scratch_bytes(g) + sizeof(float) * avs_wino_weight_floats(g);
}

/* db += the output gradient summed over every position (in double). */
static int bias_grad(const float *gy, int64_t positions, int64_t O, float *db) {
  double *sum = calloc((size_t)O, sizeof(double));
  if (!sum) return -1;
#pragma omp parallel for schedule(static) reduction(+ : sum[:O]) if (positions * O >= 65536)
  for (int64_t i = 0; i < positions; i++)
    for (int64_t o = 0; o < O; o++) sum[o] += gy[i * O + o];
  for (int64_t o = 0; o < O; o++) db[o] += (float)sum[o];
  free(sum);
  return 0;
}

int avs_wino_weight_grad(const avs_wino_geo *g, const float *x, const float *gy, float *dw, float *db,
                         float *scratch) {
  int64_t groups = g->N * frame_tiles(g), chunk = chunk_groups(g), OT = out_frames(g);
  int64_t C = g->C, O = g->O, kt = taps(g), K = kt * C;
  if (db && bias_grad(gy, g->N * OT * g->OH * g->OW, O, db)) return -1;
  if (!dw) return 0;
  scratch_parts sp = scratch_layout(g);
  float *W = scratch + sp.W, *V = scratch + sp.V, *dM = scratch + sp.M, *dU = scratch + sp.end;
  int64_t *rows = (int64_t *)(scratch + sp.rows);
  row_offsets(g, rows);
  for (int64_t g0 = 0; g0 < groups; g0 += chunk) {
    int64_t n_g = groups - g0 < chunk ? groups - g0 : chunk, n_t = n_g * OT;
    input_chunk(g, x, g0, n_g, W);
    rows_to_matrix(W, n_g * span(g) * C, rows, n_t, K, V);
#pragma omp parallel for schedule(static) if (n_t * O >= 4096)
    for (int64_t t = 0; t < n_t; t++) {
      int64_t f, h0, w0;
      tile_of_row(g, g0, t, &f, &h0, &w0);
      grad_tile(gy + f * g->OH * g->OW * O, g->OH, g->OW, O, h0, w0, g->dil, dM + t * O, n_t * O);
    }
    /* the 36 products over the threads, each on one: at these sizes (K x O of a few hundred, a
     * chunk's tiles inside) a product's own threading costs more than it saves (measured 2x) */
#pragma omp parallel for schedule(static)
    for (int p = 0; p < POS; p++)
      avs_gemm(true, false, (int)K, (int)O, (int)n_t, 1.0f, V + (size_t)p * n_t * K, (int)K, dM + (size_t)p * n_t * O,
               (int)O, g0 ? 1.0f : 0.0f, dU + (size_t)p * K * O, (int)O);
  }
  /* dw[o][c][tap] += G^T dU[.][tap C + c][o] G, CB output channels at a time */
#pragma omp parallel for schedule(static) if (K * O >= 4096)
  for (int64_t row = 0; row < K; row++) {
    float u[POS][CB] __attribute__((aligned(64)));
    float k9[9][CB] __attribute__((aligned(64)));
    int64_t tap = row / C, c = row % C;
    for (int64_t o0 = 0; o0 < O; o0 += CB) {
      int n = O - o0 < CB ? (int)(O - o0) : CB;
      for (int p = 0; p < POS; p++) memcpy(u[p], dU + ((int64_t)p * K + row) * O + o0, sizeof(float) * n);
      kernel_adjoint((const float(*)[CB])u, n, k9);
      for (int i = 0; i < n; i++) {
        float *dst = dw + (((o0 + i) * C + c) * kt + tap) * 9;
        for (int k = 0; k < 9; k++) dst[k] += k9[k][i];
      }
    }
  }
  return 0;
}
