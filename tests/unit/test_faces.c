/* video/faces/ pieces that the OpenCV parity test (tests/faces) cannot single
 * out: the XML reader on malformed text, the tilted integral against its
 * definition summed by brute force, OpenCV's bilinear shrink on known values,
 * grouping, the IoU tracker and the choice of the faces that stay on screen. */
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "tests/harness.h"
#include "video/faces/detect.h"
#include "video/faces/group.h"
#include "video/faces/pyramid.h"
#include "video/faces/track.h"
#include "video/faces/tracks.h"
#include "video/faces/xml.h"

static void xml_cases(void) {
  avs_xml *x = NULL;
  char *ok = strdup("<?xml version=\"1.0\"?>\n<!-- c <a> -->\n<top a=\"x>y\"><_>1 2</_><_/><b>\n3</b></top>\n");
  tst_true(avs_xml_parse(ok, &x) == 0, "well-formed XML parses: %s", avs_errmsg());
  const avs_xml_node *top = x ? avs_xml_root(x) : NULL;
  tst_true(top && !strcmp(top->name, "top") && avs_xml_count(top) == 3, "root and its three children");
  const avs_xml_node *b = avs_xml_child(top, "b");
  tst_true(b && !strcmp(b->text, "\n3") && b->line == 3, "text and line of <b>");
  avs_xml_free(&x);
  const char *bad[] = {"<a><b></a>", "<a>", "</a>", "<a></a><b></b>", "text only", "<a><!-- open </a>", "<a attr=\"x></a>"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = avs_xml_parse(strdup(bad[i]), &x);
    tst_true(rc == AVS_EFORMAT && !x, "malformed XML '%s' refused (%d: %s)", bad[i], rc, avs_errmsg());
  }
}

/* T(X, Y) = sum over y < Y, |x - X + 1| <= Y - y - 1 (OpenCV's definition). */
static void tilted_case(void) {
  int w = 13, h = 9, stride = w + 1;
  uint8_t img[13 * 9];
  for (int i = 0; i < w * h; i++) img[i] = (uint8_t)((i * 37 + 11) % 251);
  uint32_t sum[14 * 10], sq[14 * 10], t[14 * 10], scratch[2 * (13 + 9)];
  avs_faces_integral(img, w, h, stride, sum, sq, t, scratch);
  int bad = 0;
  for (int Y = 0; Y <= h; Y++)
    for (int X = 0; X <= w; X++) {
      uint32_t want = 0, s = 0, q = 0;
      for (int y = 0; y < Y; y++)
        for (int x = 0; x < w; x++) {
          if (abs(x - X + 1) <= Y - y - 1) want += img[y * w + x];
          if (x < X) s += img[y * w + x], q += img[y * w + x] * img[y * w + x];
        }
      bad += t[Y * stride + X] != want || sum[Y * stride + X] != s || sq[Y * stride + X] != q;
    }
  tst_true(bad == 0, "integral, squared and tilted integral as defined (%d wrong)", bad);
}

static void resize_case(void) {
  /* 4 -> 2 is a 2 x 2 mean rounded half up (OpenCV: INTER_AREA equals INTER_LINEAR_EXACT there). */
  uint8_t src[16] = {0, 1, 2, 3, 10, 11, 12, 13, 100, 101, 102, 103, 200, 201, 202, 255}, dst[4];
  void *s = malloc(avs_faces_resize_scratch(2, 2));
  avs_faces_resize(src, 4, 4, 4, dst, 2, 2, s);
  tst_true(dst[0] == 6 && dst[1] == 8 && dst[2] == 151 && dst[3] == 166, "4x4 -> 2x2: %d %d %d %d", dst[0], dst[1],
           dst[2], dst[3]);
  uint8_t same[16];
  avs_faces_resize(src, 4, 4, 4, same, 4, 4, s);
  tst_true(!memcmp(same, src, 16), "same size copies");
  free(s);
  uint8_t rgb[6] = {255, 255, 255, 10, 200, 30}, g[2];
  avs_faces_gray(rgb, 2, g);
  tst_true(g[0] == 255 && g[1] == 124, "grey as cvtColor (cv2: 124): %d %d", g[0], g[1]);
}

static void group_case(void) {
  avs_face_rect r[] = {{100, 100, 40, 40}, {102, 101, 40, 40}, {99, 98, 42, 42}, {101, 100, 40, 40},
                       {300, 10, 30, 30}, {301, 11, 30, 30}, {110, 110, 12, 12}};
  int weights[7];
  int n = avs_faces_group(r, 7, 3, 0.2, weights);
  tst_true(n == 1 && weights[0] == 4 && r[0].x == 100 && r[0].y == 100 && r[0].w == 40,
           "four similar boxes make one face, a pair and a lone box are dropped (%d)", n);
  avs_face_rect raw[] = {{1, 2, 3, 4}, {1, 2, 3, 4}};
  tst_true(avs_faces_group(raw, 2, 0, 0.2, NULL) == 2, "threshold 0 keeps the raw boxes");
}

static void track_case(void) {
  avs_face_tracker *t = NULL;
  tst_true(avs_face_tracker_new(0, 5, &t) == AVS_EINVAL, "IoU threshold 0 refused");
  tst_true(avs_face_tracker_new(0.3, 2, &t) == 0, "tracker");
  int ids[2];
  avs_face_rect a = {10, 10, 50, 50}, b = {200, 20, 40, 40};
  avs_face_rect f1[] = {a, b};
  avs_face_tracker_update(t, f1, 2, ids);
  tst_true(ids[0] == 1 && ids[1] == 2, "new faces get ids 1 and 2");
  avs_face_rect f2[] = {{205, 22, 40, 40}, {14, 12, 50, 50}}; /* order swapped, both moved a little */
  avs_face_tracker_update(t, f2, 2, ids);
  tst_true(ids[0] == 2 && ids[1] == 1, "moved faces keep their ids (%d %d)", ids[0], ids[1]);
  avs_face_tracker_update(t, NULL, 0, ids);
  avs_face_tracker_update(t, NULL, 0, ids);
  avs_face_rect f3[] = {{15, 12, 50, 50}};
  avs_face_tracker_update(t, f3, 1, ids);
  tst_true(ids[0] == 1, "a face missing 2 frames keeps its id (%d)", ids[0]);
  for (int i = 0; i < 3; i++) avs_face_tracker_update(t, NULL, 0, ids);
  avs_face_tracker_update(t, f3, 1, ids);
  tst_true(ids[0] == 3, "after more than 2 missing frames it is a new track (%d)", ids[0]);
  avs_face_rect far = {400, 300, 50, 50};
  avs_face_tracker_update(t, &far, 1, ids);
  tst_true(ids[0] == 4, "a box overlapping no track starts one (%d)", ids[0]);
  avs_face_rect e = {0, 0, 0, 0};
  tst_true(avs_face_iou(&a, &a) == 1.0 && avs_face_iou(&a, &b) == 0.0 && avs_face_iou(&e, &e) == 0.0, "IoU");
  avs_face_tracker_free(&t);
  tst_true(t == NULL, "free sets NULL");
}

/* The faces kept from a log of 8 frames: id 2 on every frame, id 1 on frames
 * 0, 1, 5 (gaps take the nearest box, the earlier on a tie), id 4 on two (a
 * quarter: kept), id 3 on one (dropped). */
static void tracks_case(void) {
  avs_face_log *l = NULL;
  tst_true(avs_face_log_new(0, &l) == AVS_EINVAL && !l, "a log of 0 frames refused");
  tst_true(avs_face_log_new(8, &l) == 0, "log");
  avs_face_tracks t = {0};
  tst_true(avs_face_log_tracks(l, &t) == 0 && t.n == 0 && t.frames == 8, "no face: no track, no error");
  avs_face_rect r[3] = {{0, 0, 10, 10}, {100, 0, 20, 20}, {50, 50, 5, 5}};
  for (int v = 0; v < 8; v++) {
    int ids[2] = {2, 1};
    r[1].x = 100 + v; /* id 1 moves: each of its frames is told apart */
    avs_face_log_add(l, v, r, ids, v == 0 || v == 1 || v == 5 ? 2 : 1);
  }
  int id3 = 3, id4[2] = {4, 4};
  avs_face_log_add(l, 6, &r[2], &id3, 1);
  avs_face_log_add(l, 2, &r[2], &id4[0], 1);
  avs_face_log_add(l, 7, &r[2], &id4[1], 1);
  tst_true(avs_face_log_tracks(l, &t) == 0 && t.n == 3, "three faces stay on screen (%d)", t.n);
  if (t.n == 3) {
    tst_true(t.box[0][4][2] == 10 && t.box[1][0][0] == 100 && t.box[2][0][0] == 50, "the most seen first");
    float want[8] = {100, 101, 101, 101, 105, 105, 105, 105}; /* frame 3: 1 and 5 as near, the earlier */
    int bad = 0;
    for (int v = 0; v < 8; v++) bad += t.box[1][v][0] != want[v] || t.box[1][v][2] != want[v] + 20;
    tst_true(bad == 0, "a frame without its box takes the nearest in time (%d wrong)", bad);
    tst_true(t.box[2][0][1] == 50 && t.box[2][7][3] == 55, "a face seen on a quarter of the frames is kept");
  }
  avs_face_tracks_release(&t);
  tst_true(t.n == 0 && t.box[0] == NULL, "release empties the tracks");
  int zero = 0;
  tst_true(avs_face_log_add(l, 8, r, &id3, 1) == AVS_EINVAL, "a frame past the log refused");
  tst_true(avs_face_log_add(l, 0, r, &zero, 1) == AVS_EINVAL, "track id 0 refused");
  avs_face_log_free(&l);
  tst_true(l == NULL, "free sets NULL");
  /* nine faces on every frame: more than the AVS_FACE_TRACKS_MAX a speaker set holds */
  avs_face_log_new(4, &l);
  avs_face_rect nine[9];
  int ids[9];
  for (int i = 0; i < 9; i++) nine[i] = (avs_face_rect){20 * i, 0, 10, 10}, ids[i] = i + 1;
  for (int v = 0; v < 4; v++) avs_face_log_add(l, v, nine, ids, 9);
  tst_true(avs_face_log_tracks(l, &t) == AVS_EUNSUPPORTED && t.n == 0, "more than %d faces refused, nothing kept",
           AVS_FACE_TRACKS_MAX);
  avs_face_log_free(&l);
}

int main(void) {
  xml_cases();
  tilted_case();
  resize_case();
  group_case();
  track_case();
  tracks_case();
  return tst_finish();
}
