/* A clip's files (MP4, WAV stems) and its manifest line. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio/audio_file.h"
#include "av/files.h"
#include "av/status.h"
#include "data/generator/instruments.h"
#include "data/generator/internal.h"
#include "video/encode.h"

#define MAX_FILES (2 + AVS_DATA_MAX_OBJECTS)

typedef struct {
  char final[1024], tmp[1024];
} pending;

static int mkdir_one(const char *path) {
  if (mkdir(path, 0777) && errno != EEXIST)
    return avs_seterr(AVS_EIO, "cannot create directory %s: %s", path, strerror(errno));
  return AVS_OK;
}

/* The final and temporary names of a file, the temporary tracked (av/files.h:
 * an app stopped by a signal removes it). */
static int name_pair(pending *p, const char *dir, const char *base, const char *ext) {
  snprintf(p->final, sizeof p->final, "%s/%s.%s", dir, base, ext);
  snprintf(p->tmp, sizeof p->tmp, "%s/.%s.tmp%d.%s", dir, base, (int)getpid(), ext);
  return avs_tmp_track(p->tmp);
}

static int write_wav(const char *path, const int16_t *x, int64_t n, int rate) {
  avs_audio *a = avs_audio_new(n, 1, rate);
  if (!a) return avs_errcode();
  for (int64_t i = 0; i < n; i++) a->data[i] = x[i] / 32768.0f; /* exact: written back as x[i] */
  int rc = avs_audio_write(path, a, AVS_SAMPLE_PCM16);
  avs_audio_free(&a);
  return rc;
}

static int write_mp4(const char *path, const avs_data_clip *c) {
  avs_writer_params wp = {.width = c->width, .height = c->height, .fps = c->fps, .crf = 23,
                          .sample_rate = c->sample_rate, .channels = 1};
  avs_video_writer *w = NULL;
  int rc = avs_video_writer_open(path, &wp, &w);
  if (rc) return rc;
  size_t fb = (size_t)c->width * c->height * 3;
  for (int f = 0; f < c->n_frames && !rc; f++) rc = avs_video_writer_write(w, c->rgb + f * fb);
  if (!rc && c->sample_rate) {
    float *a = malloc((size_t)c->n_samples * sizeof(float));
    if (!a)
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
    else {
      for (int64_t i = 0; i < c->n_samples; i++) a[i] = c->mix[i] / 32768.0f;
      rc = avs_video_writer_write_audio(w, a, c->n_samples);
      free(a);
    }
  }
  if (rc) {
    avs_video_writer_free(&w);
    return rc;
  }
  return avs_video_writer_close(&w);
}

static cJSON *box_array(const avs_rect *b, int n, bool round1) {
  cJSON *arr = cJSON_CreateArray();
  for (int f = 0; arr && f < n; f++) {
    double v[4] = {b[f].x0, b[f].y0, b[f].x1, b[f].y1};
    if (round1)
      for (int k = 0; k < 4; k++) v[k] = round(v[k] * 10) / 10;
    cJSON_AddItemToArray(arr, cJSON_CreateDoubleArray(v, 4));
  }
  return arr;
}

int avs_data_clip_write(const avs_data_gen *g, const avs_data_plan_t *plan, const avs_data_clip *c, const char *root,
                        const char *id, const char *split, bool flac, char **json) {
  *json = NULL;
  pending files[MAX_FILES];
  int nf = 0, rc;
  char dir[900], rel[900];
  cJSON *o = NULL;
  snprintf(dir, sizeof dir, "%s/clips", root);
  if ((rc = mkdir_one(dir))) return rc;
  snprintf(dir, sizeof dir, "%s/clips/%s", root, id);
  snprintf(rel, sizeof rel, "clips/%s", id);
  if ((rc = mkdir_one(dir))) return rc;
  const char *aext = flac ? "flac" : "wav";

  if ((rc = name_pair(&files[nf], dir, "video", "mp4"))) goto fail;
  if ((rc = write_mp4(files[nf++].tmp, c))) goto fail;
  if (c->sample_rate) {
    if ((rc = name_pair(&files[nf], dir, "mix", aext))) goto fail;
    if ((rc = write_wav(files[nf++].tmp, c->mix, c->n_samples, c->sample_rate))) goto fail;
    for (int i = 0; i < c->n; i++) {
      if (!c->obj[i].stem) continue;
      char base[16];
      snprintf(base, sizeof base, "s%d", i);
      if ((rc = name_pair(&files[nf], dir, base, aext))) goto fail;
      if ((rc = write_wav(files[nf++].tmp, c->obj[i].stem, c->n_samples, c->sample_rate))) goto fail;
    }
  }

  /* the manifest line */
  o = cJSON_CreateObject();
  char buf[1200];
  cJSON_AddStringToObject(o, "id", id);
  cJSON_AddStringToObject(o, "split", split);
  cJSON_AddStringToObject(o, "kind", avs_data_kind_name(c->kind));
  snprintf(buf, sizeof buf, "%016llx", (unsigned long long)c->seed);
  cJSON_AddStringToObject(o, "seed", buf);
  snprintf(buf, sizeof buf, "%s/video.mp4", rel);
  cJSON_AddStringToObject(o, "video", buf);
  if (c->sample_rate) {
    snprintf(buf, sizeof buf, "%s/mix.%s", rel, aext);
    cJSON_AddStringToObject(o, "audio", buf);
  }
  cJSON_AddNumberToObject(o, "fps", c->fps);
  cJSON_AddNumberToObject(o, "frames", c->n_frames);
  cJSON_AddNumberToObject(o, "width", c->width);
  cJSON_AddNumberToObject(o, "height", c->height);
  if (c->sample_rate) {
    cJSON_AddNumberToObject(o, "sample_rate", c->sample_rate);
    cJSON_AddNumberToObject(o, "samples", (double)c->n_samples);
  }
  if (c->kind == AVS_DATA_ACTIONS) {
    cJSON_AddStringToObject(o, "label", avs_data_class_name(c->kind, c->obj[0].class_id));
    cJSON_AddNumberToObject(o, "class", c->obj[0].class_id);
  }
  cJSON_AddNumberToObject(o, "sources", plan->n_sounding);
  cJSON *objs = cJSON_AddArrayToObject(o, "objects");
  for (int i = 0; i < c->n; i++) {
    const avs_data_object *ob = &c->obj[i];
    const avs_data_source_plan *sp = &plan->src[i];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToArray(objs, j);
    if (c->kind == AVS_DATA_SPEECH) {
      snprintf(buf, sizeof buf, "spk%03d", ob->class_id);
      cJSON_AddStringToObject(j, "label", buf);
      cJSON_AddNumberToObject(j, "speaker", ob->class_id);
      cJSON_AddStringToObject(j, "voice", avs_data_speaker_desc(g, ob->class_id));
      cJSON_AddStringToObject(j, "text", sp->text);
    } else {
      cJSON_AddStringToObject(j, "label", avs_data_class_name(c->kind, ob->class_id));
      cJSON_AddNumberToObject(j, "class", ob->class_id);
    }
    if (c->kind != AVS_DATA_ACTIONS) {
      cJSON_AddBoolToObject(j, "sounding", ob->sounding);
      if (ob->stem) {
        snprintf(buf, sizeof buf, "%s/s%d.%s", rel, i, aext);
        cJSON_AddStringToObject(j, "stem", buf);
        cJSON_AddNumberToObject(j, "gain_db", round(sp->gain_db * 100) / 100);
        cJSON_AddNumberToObject(j, "start", round(sp->start * 1000) / 1000);
      }
      if (sp->content) {
        snprintf(buf, sizeof buf, "%016llx", (unsigned long long)sp->content);
        cJSON_AddStringToObject(j, "content", buf); /* melody or sentence fingerprint: unique in a data set */
      }
      if (c->kind == AVS_DATA_MUSIC && ob->sounding) {
        avs_melody_describe(&sp->melody, buf, sizeof buf);
        cJSON_AddStringToObject(j, "melody", buf);
        cJSON_AddNumberToObject(j, "notes", sp->melody.n);
        if (g->n_fluid > 1) cJSON_AddStringToObject(j, "soundfont", g->soundfont_name[sp->soundfont]);
      }
    }
    cJSON_AddItemToObject(j, "boxes", box_array(ob->box, c->n_frames, false));
    if (ob->mouth) cJSON_AddItemToObject(j, "mouth_boxes", box_array(ob->mouth, c->n_frames, true));
  }
  *json = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!*json) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto fail;
  }
  for (int i = 0; i < nf; i++)
    if (rename(files[i].tmp, files[i].final)) {
      rc = avs_seterr(AVS_EIO, "cannot write %s: %s", files[i].final, strerror(errno));
      free(*json);
      *json = NULL;
      goto fail;
    } else {
      avs_tmp_forget(files[i].tmp);
    }
  return AVS_OK;
fail:
  for (int i = 0; i < nf; i++) remove(files[i].tmp), avs_tmp_forget(files[i].tmp);
  return rc;
}
