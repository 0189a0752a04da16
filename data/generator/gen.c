/* Configuration, classes, seeds and dispatch to the kinds' planners and renderers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "data/generator/actions.h"
#include "data/generator/instruments.h"
#include "data/generator/internal.h"

static const char *kind_names[] = {"music", "speech", "actions"};

const char *avs_data_kind_name(avs_data_kind k) {
  return (unsigned)k < 3 ? kind_names[k] : "unknown";
}

int avs_data_kind_parse(const char *name, avs_data_kind *k) {
  for (int i = 0; i < 3; i++)
    if (name && !strcmp(name, kind_names[i])) {
      *k = (avs_data_kind)i;
      return AVS_OK;
    }
  return avs_seterr(AVS_EINVAL, "unknown kind '%s' (known: music, speech, actions)", name ? name : "");
}

void avs_data_config_default(avs_data_config *c, avs_data_kind kind) {
  memset(c, 0, sizeof *c);
  switch (kind) {
  case AVS_DATA_MUSIC:
    *c = (avs_data_config){kind, 128, 128, 8, 6.0f, 11025, 1, 3, 0.2f, 10, NULL, NULL, 0, 0};
    break;
  case AVS_DATA_SPEECH:
    *c = (avs_data_config){kind, 128, 128, 16, 4.0f, 16000, 1, 2, 0, 6, NULL, NULL, 24, AVS_DATA_TIMBRES_DEFAULT};
    break;
  case AVS_DATA_ACTIONS:
    *c = (avs_data_config){kind, 112, 112, 8, 2.0f, 0, 1, 1, 0, 12, NULL, NULL, 0, 0};
    break;
  }
}

int avs_data_config_check(const avs_data_config *c) {
  if ((unsigned)c->kind > 2) return avs_seterr(AVS_EINVAL, "unknown kind %d", (int)c->kind);
  if (c->width < 32 || c->width > 1024 || c->height < 32 || c->height > 1024)
    return avs_seterr(AVS_EINVAL, "frame size %dx%d outside 32..1024", c->width, c->height);
  if (c->fps < 1 || c->fps > 60) return avs_seterr(AVS_EINVAL, "frame rate %d outside 1..60", c->fps);
  if (!(c->seconds >= 1.0f && c->seconds <= 30.0f))
    return avs_seterr(AVS_EINVAL, "clip length %g s outside 1..30", (double)c->seconds);
  if (c->kind != AVS_DATA_ACTIONS && (c->sample_rate < 8000 || c->sample_rate > 48000))
    return avs_seterr(AVS_EINVAL, "sample rate %d Hz outside 8000..48000", c->sample_rate);
  int maxsrc = c->kind == AVS_DATA_MUSIC ? 3 : c->kind == AVS_DATA_SPEECH ? 2 : 1;
  if (c->min_sources < 1 || c->max_sources < c->min_sources || c->max_sources > maxsrc)
    return avs_seterr(AVS_EINVAL, "sources per clip %d..%d: must lie within 1..%d for %s", c->min_sources,
                      c->max_sources, maxsrc, kind_names[c->kind]);
  if (!(c->distractor_prob >= 0 && c->distractor_prob <= 1))
    return avs_seterr(AVS_EINVAL, "distractor probability %g outside 0..1", (double)c->distractor_prob);
  if (c->clutter < 0 || c->clutter > 100) return avs_seterr(AVS_EINVAL, "clutter %d outside 0..100", c->clutter);
  if (c->kind == AVS_DATA_SPEECH && (c->speakers < 2 || c->speakers > 1000))
    return avs_seterr(AVS_EINVAL, "speaker pool of %d outside 2..1000", c->speakers);
  if (c->kind == AVS_DATA_SPEECH && (c->timbres < 1 || c->timbres > AVS_DATA_TIMBRES_MAX))
    return avs_seterr(AVS_EINVAL, "%d voice timbres outside 1..%d", c->timbres, AVS_DATA_TIMBRES_MAX);
  return AVS_OK;
}

int avs_data_class_count(avs_data_kind k) {
  switch (k) {
  case AVS_DATA_MUSIC: return avs_instrument_count();
  case AVS_DATA_ACTIONS: return avs_action_count();
  default: return 0; /* speech: the speaker pool's size, see the config */
  }
}

const char *avs_data_class_name(avs_data_kind k, int i) {
  switch (k) {
  case AVS_DATA_MUSIC: return i >= 0 && i < avs_instrument_count() ? avs_instrument_get(i)->name : "?";
  case AVS_DATA_ACTIONS: return i >= 0 && i < avs_action_count() ? avs_action_name(i) : "?";
  default: return "?";
  }
}

/* g->soundfont's comma-separated soundfonts, each loaded once. */
static int load_soundfonts(avs_data_gen *g) {
  for (const char *s = g->soundfont; *s;) {
    size_t len = strcspn(s, ",");
    if (!len) return avs_seterr(AVS_EINVAL, "soundfont list '%s': an empty name", g->soundfont);
    if (g->n_fluid == AVS_DATA_MAX_SOUNDFONTS)
      return avs_seterr(AVS_EINVAL, "soundfont list '%s': more than %d soundfonts", g->soundfont,
                        AVS_DATA_MAX_SOUNDFONTS);
    char *name = strndup(s, len);
    if (!name) return avs_seterr(AVS_ENOMEM, "out of memory");
    g->soundfont_name[g->n_fluid] = name;
    int rc = avs_fluid_new(&g->fluid[g->n_fluid], name, g->cfg.sample_rate);
    if (rc) return rc;
    g->n_fluid++;
    s += len + (s[len] == ',');
    if (s[-1] == ',' && !*s) return avs_seterr(AVS_EINVAL, "soundfont list '%s': an empty name", g->soundfont);
  }
  return g->n_fluid ? AVS_OK : avs_seterr(AVS_EINVAL, "no soundfont given");
}

int avs_data_gen_new(const avs_data_config *cfg, avs_data_gen **out) {
  *out = NULL;
  int rc = avs_data_config_check(cfg);
  if (rc) return rc;
  avs_data_gen *g = calloc(1, sizeof *g);
  if (!g) return avs_seterr(AVS_ENOMEM, "out of memory");
  g->cfg = *cfg;
  g->soundfont = strdup(cfg->soundfont ? cfg->soundfont : AVS_DEFAULT_SOUNDFONT);
  g->voices = cfg->voices ? strdup(cfg->voices) : NULL;
  if (!g->soundfont || (cfg->voices && !g->voices)) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto fail;
  }
  g->cfg.soundfont = g->soundfont;
  g->cfg.voices = g->voices;
  if (cfg->kind == AVS_DATA_MUSIC) {
    if ((rc = load_soundfonts(g))) goto fail;
  } else if (cfg->kind == AVS_DATA_SPEECH) {
    rc = avs_tts_init();
    if (rc) goto fail;
    rc = avs_speakers_make(g->voices, cfg->speakers, cfg->timbres, &g->speakers);
    if (rc) goto fail;
    g->n_speakers = cfg->speakers;
    for (int i = 0; i < g->n_speakers; i++) {
      /* check each distinct voice once */
      bool seen = false;
      for (int j = 0; j < i && !seen; j++) seen = !strcmp(g->speakers[j].voice, g->speakers[i].voice);
      if (!seen && (rc = avs_tts_check_voice(g->speakers[i].voice))) goto fail;
    }
  }
  *out = g;
  return AVS_OK;
fail:
  avs_data_gen_free(&g);
  return rc;
}

void avs_data_gen_free(avs_data_gen **gp) {
  avs_data_gen *g = *gp;
  if (!g) return;
  for (int i = 0; i < AVS_DATA_MAX_SOUNDFONTS; i++) avs_fluid_free(&g->fluid[i]), free(g->soundfont_name[i]);
  free(g->speakers);
  free(g->soundfont);
  free(g->voices);
  free(g);
  *gp = NULL;
}

const avs_data_config *avs_data_gen_config(const avs_data_gen *g) { return &g->cfg; }

const char *avs_data_speaker_desc(const avs_data_gen *g, int speaker) {
  static _Thread_local char buf[160];
  if (!g->speakers || speaker < 0 || speaker >= g->n_speakers) return "";
  avs_speaker_describe(&g->speakers[speaker], buf, sizeof buf);
  return buf;
}

static uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t avs_data_clip_seed(uint64_t run_seed, avs_data_kind kind, int split, int64_t index, int attempt) {
  uint64_t h = splitmix(run_seed);
  h = splitmix(h ^ (0x6b696e64ull + (uint64_t)kind));
  h = splitmix(h ^ ((uint64_t)split << 56) ^ (uint64_t)index);
  return splitmix(h ^ ((uint64_t)attempt * 0x5851f42d4c957f2dull));
}

void avs_clip_rng(uint64_t seed, int stream, avs_rng *r) {
  avs_rng_seed(r, splitmix(seed ^ ((uint64_t)stream * 0xd1342543de82ef95ull)));
}

int avs_data_plan(avs_data_gen *g, uint64_t seed, avs_data_plan_t *p) {
  memset(p, 0, sizeof *p);
  p->kind = g->cfg.kind;
  p->seed = seed;
  avs_rng rng;
  avs_clip_rng(seed, AVS_STREAM_PLAN, &rng);
  switch (g->cfg.kind) {
  case AVS_DATA_MUSIC: return avs_music_plan(g, &rng, p);
  case AVS_DATA_SPEECH: return avs_speech_plan(g, &rng, p);
  case AVS_DATA_ACTIONS: return avs_actions_plan(g, &rng, p);
  }
  return avs_seterr(AVS_EINVAL, "unknown kind");
}

int avs_data_render(avs_data_gen *g, const avs_data_plan_t *p, avs_data_clip *c) {
  memset(c, 0, sizeof *c);
  int rc;
  switch (p->kind) {
  case AVS_DATA_MUSIC: rc = avs_music_render(g, p, c); break;
  case AVS_DATA_SPEECH: rc = avs_speech_render(g, p, c); break;
  case AVS_DATA_ACTIONS: rc = avs_actions_render(g, p, c); break;
  default: rc = avs_seterr(AVS_EINVAL, "unknown kind");
  }
  if (rc)
    avs_data_clip_free(c);
  else
    avs_clip_quantize(c);
  return rc;
}

void avs_data_clip_free(avs_data_clip *c) {
  free(c->frames);
  free(c->rgb);
  free(c->mix);
  for (int i = 0; i < AVS_DATA_MAX_OBJECTS; i++) {
    free(c->obj[i].stem);
    free(c->obj[i].box);
    free(c->obj[i].mouth);
  }
  memset(c, 0, sizeof *c);
}
