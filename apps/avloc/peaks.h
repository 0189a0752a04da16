/* Where a heatmap says the sound is: its local maxima at or above a threshold,
 * strongest first, non-maximum suppressed, each with the bounding box of the
 * connected region at or above the threshold around it. */
#ifndef AVS_APP_AVLOC_PEAKS_H
#define AVS_APP_AVLOC_PEAKS_H

#define AVLOC_MAX_PEAKS 3
#define AVLOC_PEAK_MIN 0.5f

typedef struct {
  int x, y;        /* pixel */
  float score;     /* the map's value there, in [0, 1] */
  int box[4];      /* x0, y0, x1, y1: x0 <= x < x1, y0 <= y < y1 (pixels) */
} avloc_peak;

typedef struct avloc_peaks avloc_peaks;

/* Scratch for w x h maps (reused from frame to frame). NULL on OOM. */
avloc_peaks *avloc_peaks_new(int w, int h);
void avloc_peaks_free(avloc_peaks **p);
/* The peaks of heat (w x h, row-major): up to AVLOC_MAX_PEAKS, score >=
 * AVLOC_PEAK_MIN, none closer than a tenth of the larger side to a stronger
 * one. Returns their count. Maps over 256 pixels a side are searched on a
 * grid of every s-th pixel (s = ceil(side / 256)), each peak then climbing
 * to the full map's maximum: boxes are then exact to s pixels. */
int avloc_peaks_find(avloc_peaks *p, const float *heat, avloc_peak *out);

#endif
