/* The context's arena: the first step that outgrows it keeps the blocks it
 * appended, and the same step again lands in them, request for request (no
 * new blocks, so no fresh pages); a later step that outgrows them leaves one
 * block holding the largest step's requests; data written in the arena reads
 * back, and the peak is what the step used. */
#include <stdint.h>
#include <string.h>

#include "tests/harness.h"

#define BLOCK ((size_t)1 << 20)

/* One "step": a few requests, the second larger than a block. Returns true
 * when every request sits right after the previous one (a single block). */
static bool step(avs_ctx *ctx, unsigned char **first) {
  static const size_t sizes[] = {BLOCK / 2, 3 * BLOCK, BLOCK / 4, 5 * BLOCK / 4, 64};
  unsigned char *prev = NULL;
  size_t prev_size = 0;
  bool contiguous = true;
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    unsigned char *p = avs_ctx_alloc(ctx, sizes[i]);
    if (!p) return false;
    memset(p, (int)i + 1, sizes[i]);
    if (prev) contiguous &= p == prev + prev_size;
    if (!prev) *first = p;
    prev = p, prev_size = (sizes[i] + 63) & ~(size_t)63;
  }
  return contiguous;
}

int main(void) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.arena_bytes = BLOCK});
  unsigned char *a = NULL, *b = NULL;
  tst_true(!step(ctx, &a), "the first step outgrows a 1 MiB arena (its requests span several blocks)");
  size_t peak = avs_ctx_arena_peak(ctx);
  tst_true(peak >= 5 * BLOCK && peak < 6 * BLOCK, "peak %zu bytes is the step's requests", peak);

  avs_ctx_reset(ctx);
  tst_true(avs_ctx_arena_used(ctx) == 0, "reset leaves nothing in use");
  tst_true(!step(ctx, &b) && b == a, "after reset the same step lands where it did (the first step's blocks)");
  tst_true(b[0] == 1 && avs_ctx_arena_peak(ctx) == peak, "what the step wrote reads back; the same step, the same peak");

  /* A bigger step than any before grows the arena again, and the next reset merges it into one block. */
  avs_ctx_reset(ctx);
  unsigned char *big = avs_ctx_alloc(ctx, 12 * BLOCK);
  tst_true(big != NULL, "a request larger than every block is served");
  if (big) memset(big, 7, 12 * BLOCK);
  avs_ctx_reset(ctx);
  unsigned char *again = avs_ctx_alloc(ctx, 12 * BLOCK), *after = avs_ctx_alloc(ctx, 64);
  tst_true(again && after == again + 12 * BLOCK, "after the merge it and the next request share one block");
  avs_ctx_reset(ctx);
  unsigned char *c = NULL;
  tst_true(step(ctx, &c) && c == again, "the first step now fits in the merged block, request after request");
  tst_true(c[BLOCK / 2 + 3 * BLOCK - 1] == 2, "what it wrote reads back");

  /* Steady state: the same block every step (no growth, no new pages). */
  unsigned char *d = NULL;
  avs_ctx_reset(ctx);
  tst_true(step(ctx, &d) && d == c, "the next step reuses the same block");

  avs_ctx_free(&ctx);
  return tst_finish();
}
