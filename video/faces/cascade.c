/* Reading OpenCV's cascade XML (the format opencv_traincascade writes) into
 * flat arrays: stages -> trees -> nodes/leaves, features by index. Every
 * index and rectangle is checked here so that evaluation never reads outside
 * a window's integral images. */
#include "video/faces/cascade.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/faces/xml.h"

#define THRESHOLD_EPS 1e-5f /* OpenCV lowers every stage threshold by this */
#define LBP_WORDS 8         /* 256 categories, 32 per word */

const char *avs_cascade_kind_name(avs_cascade_kind k) { return k == AVS_CASCADE_LBP ? "LBP" : "HAAR"; }

static int bad(const avs_xml_node *n, const char *what) {
  return avs_seterr(AVS_EFORMAT, "not an OpenCV cascade: %s (line %d)", what, n ? n->line : 0);
}

/* Numbers of an element's text, in order. */
typedef struct {
  const char *p;
} numbers;

static bool next_number(numbers *s, double *v) {
  char *end;
  *v = strtod(s->p, &end);
  if (end == s->p || !isfinite(*v)) return false;
  s->p = end;
  return true;
}

static int count_numbers(const char *text) {
  numbers s = {text};
  double v;
  int n = 0;
  while (next_number(&s, &v)) n++;
  return n;
}

static bool only_space_left(const numbers *s) { return s->p[strspn(s->p, " \t\r\n")] == '\0'; }

static int int_of(const avs_xml_node *parent, const char *name, int *v) {
  const avs_xml_node *n = avs_xml_child(parent, name);
  numbers s = {n ? n->text : ""};
  double d;
  char what[64];
  snprintf(what, sizeof what, "no integer <%s>", name);
  if (!n || !next_number(&s, &d) || d != (int)d || !only_space_left(&s)) return bad(n ? n : parent, what);
  *v = (int)d;
  return 0;
}

static const char *text_of(const avs_xml_node *parent, const char *name) {
  const avs_xml_node *n = avs_xml_child(parent, name);
  if (!n) return NULL;
  const char *t = n->text + strspn(n->text, " \t\r\n");
  return t;
}

static bool word_is(const char *text, const char *word) {
  size_t len = strlen(word);
  return text && !strncmp(text, word, len) && (text[len] == '\0' || strchr(" \t\r\n", text[len]));
}

/* Sizes every array from a first walk over the stages. */
static int count_all(avs_cascade *c, const avs_xml_node *stages, int node_step) {
  for (const avs_xml_node *st = stages->child; st; st = st->next) {
    const avs_xml_node *weak = avs_xml_child(st, "weakClassifiers");
    if (!weak) return bad(st, "a stage without <weakClassifiers>");
    for (const avs_xml_node *w = weak->child; w; w = w->next) {
      const avs_xml_node *in = avs_xml_child(w, "internalNodes"), *lv = avs_xml_child(w, "leafValues");
      if (!in || !lv) return bad(w, "a weak classifier without <internalNodes> and <leafValues>");
      int k = count_numbers(in->text), nodes = k / node_step;
      if (!nodes || k % node_step) return bad(in, "<internalNodes> of the wrong length");
      if (count_numbers(lv->text) != nodes + 1) return bad(lv, "<leafValues> does not have one more value than nodes");
      c->n_trees++;
      c->n_nodes += nodes;
    }
    c->n_stages++;
  }
  if (!c->n_stages || !c->n_trees) return bad(stages, "no stages");
  return 0;
}

static int read_tree(avs_cascade *c, const avs_xml_node *w, int *node_at, int *leaf_at) {
  avs_cascade_tree *t = &c->trees[c->n_trees];
  const avs_xml_node *in = avs_xml_child(w, "internalNodes"), *lv = avs_xml_child(w, "leafValues");
  numbers s = {in->text};
  int words = c->kind == AVS_CASCADE_LBP ? LBP_WORDS : 0;
  t->first_node = *node_at;
  t->first_leaf = *leaf_at;
  t->n_nodes = count_numbers(in->text) / (3 + (words ? words : 1));
  for (int i = 0; i < t->n_nodes; i++) {
    avs_cascade_node *n = &c->nodes[*node_at];
    double v[3];
    for (int k = 0; k < 3; k++) next_number(&s, &v[k]);
    n->left = (int)v[0];
    n->right = (int)v[1];
    n->feature = (int)v[2];
    /* Children come after their parent (no loops); leaves are 0..n_nodes. */
    if (n->feature < 0 || n->feature >= c->n_features || n->left > t->n_nodes - 1 || n->right > t->n_nodes - 1 ||
        n->left < -t->n_nodes || n->right < -t->n_nodes || (n->left > 0 && n->left <= i) ||
        (n->right > 0 && n->right <= i))
      return bad(in, "a node with an index out of range");
    if (words) {
      for (int k = 0; k < words; k++) {
        double d;
        next_number(&s, &d);
        c->subsets[(size_t)*node_at * words + k] = (int32_t)(int64_t)d;
      }
      n->threshold = 0.f;
    } else {
      double d;
      next_number(&s, &d);
      n->threshold = (float)d;
    }
    (*node_at)++;
  }
  numbers l = {lv->text};
  for (int i = 0; i <= t->n_nodes; i++) {
    double d;
    next_number(&l, &d);
    c->leaves[(*leaf_at)++] = (float)d;
  }
  c->n_trees++;
  return 0;
}

static int read_stages(avs_cascade *c, const avs_xml_node *stages) {
  int node_at = 0, leaf_at = 0, si = 0;
  c->n_trees = 0;
  for (const avs_xml_node *st = stages->child; st; st = st->next, si++) {
    avs_cascade_stage *stage = &c->stages[si];
    numbers s = {text_of(st, "stageThreshold") ? text_of(st, "stageThreshold") : ""};
    double thr;
    if (!next_number(&s, &thr)) return bad(st, "a stage without <stageThreshold>");
    stage->threshold = (float)thr - THRESHOLD_EPS;
    stage->first_tree = c->n_trees;
    for (const avs_xml_node *w = avs_xml_child(st, "weakClassifiers")->child; w; w = w->next) {
      int rc = read_tree(c, w, &node_at, &leaf_at);
      if (rc) return rc;
    }
    stage->n_trees = c->n_trees - stage->first_tree;
    if (!stage->n_trees) return bad(st, "a stage without weak classifiers");
  }
  return 0;
}

/* A Haar rectangle's corners must stay inside the window (tilted ones span
 * x - h .. x + w horizontally and y .. y + w + h vertically). */
static bool haar_rect_fits(const avs_cascade_rect *r, bool tilted, int W, int H) {
  if (r->w <= 0 || r->h <= 0 || r->x < 0 || r->y < 0) return false;
  if (tilted) return r->x - r->h >= 0 && r->x + r->w <= W && r->y + r->w + r->h <= H;
  return r->x + r->w <= W && r->y + r->h <= H;
}

static int read_haar_feature(avs_cascade *c, const avs_xml_node *f, avs_cascade_feature *out) {
  const avs_xml_node *rects = avs_xml_child(f, "rects");
  int n = avs_xml_count(rects);
  if (!rects || n < 1 || n > 3) return bad(f, "a Haar feature without 1 to 3 <rects>");
  const char *tilted = text_of(f, "tilted");
  out->tilted = tilted && atoi(tilted) != 0;
  int k = 0;
  for (const avs_xml_node *r = rects->child; r; r = r->next, k++) {
    numbers s = {r->text};
    double v[5];
    for (int i = 0; i < 5; i++)
      if (!next_number(&s, &v[i])) return bad(r, "a Haar rectangle that is not x y w h weight");
    avs_cascade_rect *rc = &out->rect[k];
    *rc = (avs_cascade_rect){(int)v[0], (int)v[1], (int)v[2], (int)v[3], (float)v[4]};
    if (!haar_rect_fits(rc, out->tilted, c->win_w, c->win_h)) return bad(r, "a Haar rectangle outside the window");
  }
  c->has_tilted |= out->tilted;
  return 0;
}

static int read_lbp_feature(avs_cascade *c, const avs_xml_node *f, avs_cascade_feature *out) {
  numbers s = {text_of(f, "rect") ? text_of(f, "rect") : ""};
  double v[4];
  for (int i = 0; i < 4; i++)
    if (!next_number(&s, &v[i])) return bad(f, "an LBP feature without <rect> x y w h");
  avs_cascade_rect *r = &out->rect[0];
  *r = (avs_cascade_rect){(int)v[0], (int)v[1], (int)v[2], (int)v[3], 0.f};
  if (r->x < 0 || r->y < 0 || r->w <= 0 || r->h <= 0 || r->x + 3 * r->w > c->win_w || r->y + 3 * r->h > c->win_h)
    return bad(f, "an LBP feature outside the window");
  return 0;
}

static int read_features(avs_cascade *c, const avs_xml_node *features) {
  int i = 0;
  for (const avs_xml_node *f = features->child; f; f = f->next, i++) {
    int rc = c->kind == AVS_CASCADE_HAAR ? read_haar_feature(c, f, &c->features[i])
                                         : read_lbp_feature(c, f, &c->features[i]);
    if (rc) return rc;
  }
  return 0;
}

static int read_header(avs_cascade *c, const avs_xml_node *root, const avs_xml_node **cascade) {
  if (strcmp(root->name, "opencv_storage") || !root->child)
    return avs_seterr(AVS_EFORMAT, "not an OpenCV cascade: the XML is not an OpenCV file (<%s>)", root->name);
  const avs_xml_node *cc = root->child;
  *cascade = cc;
  const char *stage_type = text_of(cc, "stageType"), *feature_type = text_of(cc, "featureType");
  if (!stage_type && avs_xml_child(cc, "size") && avs_xml_child(cc, "stages"))
    return avs_seterr(AVS_EUNSUPPORTED, "an old-format OpenCV cascade (opencv-haar-classifier) is not supported");
  if (!stage_type || !feature_type) return bad(cc, "no <stageType> and <featureType>");
  if (!word_is(stage_type, "BOOST")) return avs_seterr(AVS_EUNSUPPORTED, "only BOOST cascades are supported");
  if (word_is(feature_type, "HAAR")) c->kind = AVS_CASCADE_HAAR;
  else if (word_is(feature_type, "LBP")) c->kind = AVS_CASCADE_LBP;
  else return avs_seterr(AVS_EUNSUPPORTED, "only HAAR and LBP cascades are supported");
  int rc = int_of(cc, "width", &c->win_w);
  if (!rc) rc = int_of(cc, "height", &c->win_h);
  if (rc) return rc;
  if (c->win_w < 3 || c->win_h < 3 || c->win_w > 1024 || c->win_h > 1024) return bad(cc, "a window size out of range");
  int cats = 0;
  const avs_xml_node *fp = avs_xml_child(cc, "featureParams");
  if (fp && avs_xml_child(fp, "maxCatCount") && (rc = int_of(fp, "maxCatCount", &cats))) return rc;
  if ((c->kind == AVS_CASCADE_LBP) != (cats == 256)) return bad(cc, "<maxCatCount> does not fit the feature type");
  return 0;
}

int avs_cascade_load(const char *path, avs_cascade **out) {
  *out = NULL;
  avs_xml *x = NULL;
  avs_cascade *c = calloc(1, sizeof *c);
  int rc = c ? avs_xml_load(path, &x) : avs_seterr(AVS_ENOMEM, "out of memory");
  if (rc == AVS_ENOTFOUND || rc == AVS_EIO) {
    avs_cascade_free(&c);
    return rc; /* the message names the file already */
  }
  if (rc) goto fail;
  const avs_xml_node *cc = NULL;
  if ((rc = read_header(c, avs_xml_root(x), &cc))) goto fail;
  const avs_xml_node *stages = avs_xml_child(cc, "stages"), *features = avs_xml_child(cc, "features");
  if (!stages || !features) { rc = bad(cc, "no <stages> and <features>"); goto fail; }
  c->n_features = avs_xml_count(features);
  if (!c->n_features) { rc = bad(features, "no features"); goto fail; }
  int words = c->kind == AVS_CASCADE_LBP ? LBP_WORDS : 0;
  if ((rc = count_all(c, stages, 3 + (words ? words : 1)))) goto fail;
  c->stages = calloc(c->n_stages, sizeof *c->stages);
  c->trees = calloc(c->n_trees, sizeof *c->trees);
  c->nodes = calloc(c->n_nodes, sizeof *c->nodes);
  c->leaves = calloc((size_t)c->n_nodes + c->n_trees, sizeof *c->leaves);
  c->features = calloc(c->n_features, sizeof *c->features);
  c->subsets = words ? calloc((size_t)c->n_nodes * words, sizeof *c->subsets) : NULL;
  if (!c->stages || !c->trees || !c->nodes || !c->leaves || !c->features || (words && !c->subsets)) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory reading a cascade");
    goto fail;
  }
  if ((rc = read_features(c, features)) || (rc = read_stages(c, stages))) goto fail;
  c->stumps = c->n_nodes == c->n_trees;
  avs_xml_free(&x);
  *out = c;
  return 0;
fail:
  avs_xml_free(&x);
  avs_cascade_free(&c);
  return avs_errsuffix(rc, path);
}

void avs_cascade_free(avs_cascade **c) {
  if (!*c) return;
  free((*c)->stages);
  free((*c)->trees);
  free((*c)->nodes);
  free((*c)->leaves);
  free((*c)->subsets);
  free((*c)->features);
  free(*c);
  *c = NULL;
}
