/* avsep speech VIDEO --out DIR: one voice per person on screen. The faces
 * are given (--faces, fixed boxes) or found by the face detector (video/faces,
 * OpenCV's cascade) on the model's frames and followed by the IoU tracker;
 * each face's mouth and face crops (fusion/speech_data.h's rules) guide a
 * speech model (fusion/speech_separate.h) over the whole soundtrack at 16 kHz,
 * and the voices are brought back to the soundtrack's own rate. DIR gets
 * speaker_K.wav (one per face, time-aligned, as long as the soundtrack),
 * speakers.json (face tracks, loudness and speaking segments over time) and,
 * with --video, speakers.mp4 (the active speaker highlighted); it appears only
 * when complete. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "apps/avsep/avsep.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/probe.h"
#include "apps/common/verbose.h"
#include "audio/audio_file.h"
#include "audio/audio_track.h"
#include "av/datadir.h"
#include "av/files.h"
#include "av/status.h"
#include "fusion/speech_data.h"
#include "fusion/speech_separate.h"
#include "video/decode.h"
#include "video/faces/cascade.h"
#include "video/faces/detect.h"
#include "video/faces/tracks.h"
#include "video/overlay.h"
#include "video/redraw.h"

#define DEFAULT_MODEL "models/speech.safetensors"
#define MAX_FACES AVS_FACE_TRACKS_MAX
#define HOP 0.1           /* seconds per activity value in speakers.json */
#define SPEAKING_DB 30.0  /* speaking: within this of the voice's loudest hop ... */
#define SILENCE_DB (-50.0) /* ... and above this */

static const char *usage =
    "Usage: avsep speech VIDEO --out DIR [options]\n"
    "Separates the voice of each person on screen. The faces are found by the face\n"
    "detector (OpenCV's frontal-face cascade) and followed over the video, or given with\n"
    "--faces (fixed boxes) or --tracks (a box per frame). DIR (new, or an empty folder)\n"
    "receives speaker_1.wav ... (one per face, at the soundtrack's rate, time-aligned\n"
    "with it) and speakers.json (each face's track, its loudness and speaking segments\n"
    "over time); --video adds speakers.mp4 with the active speaker highlighted.\n"
    "Example: avsep speech talk.mp4 -m speech.safetensors --out voices/";

typedef struct {
  const char *model, *out, *faces, *tracks, *cascade;
  bool video, json;
} speech_opts;

/* Faces by the detector on the model's frames (video/faces/tracks.h: the
 * faces that stay on screen, a box on every frame). */
static void detect_tracks(const char *video, const char *cascade_path, int fps, avs_face_tracks *ft) {
  if (access(cascade_path, F_OK))
    app_fail("no face cascade at %s (install opencv-data, give --cascade FILE, or give the faces with --faces)",
             cascade_path);
  avs_cascade *cascade = NULL;
  avs_faces *det = NULL;
  if (avs_cascade_load(cascade_path, &cascade)) app_fail("%s", avs_errmsg());
  if (avs_faces_new(cascade, &(avs_faces_params){AVS_FACES_DEFAULTS}, &det)) app_fail_status(avs_errcode());
  int rc = avs_face_tracks_detect(video, det, fps, ft->frames, ft);
  if (rc == AVS_EUNSUPPORTED) app_fail("%s (choose the speakers with --faces)", avs_errmsg());
  if (rc) app_fail_status(rc);
  avs_faces_free(&det);
  avs_cascade_free(&cascade);
}

/* Face tracks from a JSON file in speakers.json's shape: {"track_fps": F,
 * "speakers": [{"face_track": [[x0, y0, x1, y1], ...]}, ...]} (F defaults to
 * the model's); model frame v takes the box shown at v / fps (the last one
 * past the track's end). */
static void read_tracks(const char *path, int fps, int w, int h, avs_face_tracks *ft) {
  char *text = NULL;
  if (avs_read_text(path, &text)) app_fail_status(avs_errcode());
  cJSON *root = cJSON_Parse(text), *sp = cJSON_GetObjectItemCaseSensitive(root, "speakers");
  if (!cJSON_IsArray(sp)) app_fail("%s is not a JSON object with a \"speakers\" array (as speakers.json)", path);
  const cJSON *tf = cJSON_GetObjectItemCaseSensitive(root, "track_fps");
  double track_fps = cJSON_IsNumber(tf) && tf->valuedouble > 0 ? tf->valuedouble : fps;
  ft->n = 0;
  const cJSON *s;
  cJSON_ArrayForEach(s, sp) {
    const cJSON *track = cJSON_GetObjectItemCaseSensitive(s, "face_track");
    int n = cJSON_GetArraySize(track);
    if (!cJSON_IsArray(track) || n < 1) app_fail("%s: speaker %d has no \"face_track\" boxes", path, ft->n + 1);
    if (ft->n == MAX_FACES) app_fail("%s: more than %d speakers", path, MAX_FACES);
    float(*t)[4] = malloc(sizeof(float[4]) * (size_t)ft->frames);
    if (!t) app_fail("out of memory");
    for (int v = 0; v < ft->frames; v++) {
      int i = (int)floor((double)v / fps * track_fps + 1e-9);
      const cJSON *b = cJSON_GetArrayItem(track, i < n ? i : n - 1);
      for (int j = 0; j < 4; j++) {
        const cJSON *x = cJSON_GetArrayItem(b, j);
        if (!cJSON_IsNumber(x) || cJSON_GetArraySize(b) != 4) app_fail("%s: speaker %d, box %d is not [x0, y0, x1, y1]", path, ft->n + 1, i);
        t[v][j] = (float)x->valuedouble;
      }
      if (t[v][2] <= t[v][0] || t[v][3] <= t[v][1] || t[v][2] <= 0 || t[v][3] <= 0 || t[v][0] >= w || t[v][1] >= h)
        app_fail("%s: speaker %d, box %d is empty or outside the %dx%d picture", path, ft->n + 1, i, w, h);
    }
    ft->box[ft->n++] = t;
  }
  if (!ft->n) app_fail("%s has no speakers", path);
  cJSON_Delete(root);
  free(text);
}

/* Mouths (S x V x M x M) and faces (S x Z x Z) of the tracks; slots past the
 * faces found stay mid-grey (no one there). */
static void crop_tracks(const char *video, const avs_speech_geometry *g, const avs_face_tracks *ft, uint8_t *mouths,
                        uint8_t *faces) {
  int V = ft->frames, M = g->mouth_size, Z = g->face_size;
  memset(mouths, 128, (size_t)g->speakers * V * M * M);
  memset(faces, 128, (size_t)g->speakers * Z * Z);
  avs_frame_cursor *cur = NULL;
  avs_image im = {0};
  if (avs_frame_cursor_open(video, &cur)) app_fail_status(avs_errcode());
  for (int v = 0; v < V; v++) {
    if (avs_frame_cursor_at(cur, (double)v / g->fps, &im)) app_fail_status(avs_errcode());
    for (int k = 0; k < ft->n; k++) {
      float mb[4];
      avs_speech_mouth_box(ft->box[k][v], mb);
      if (avs_speech_crop_gray(&im, mb, M, mouths + ((size_t)k * V + v) * M * M)) app_fail_status(avs_errcode());
      if (v == V / 2) {
        float fb[4];
        avs_speech_face_box(ft->box[k][v], fb);
        if (avs_speech_crop_gray(&im, fb, Z, faces + (size_t)k * Z * Z)) app_fail_status(avs_errcode());
      }
    }
  }
  avs_image_release(&im);
  avs_frame_cursor_free(&cur);
}

/* Loudness (dB) per HOP seconds of a voice; *n values. */
static double *loudness(const avs_audio *a, int *n) {
  int64_t hop = (int64_t)(HOP * a->rate);
  *n = (int)((a->frames + hop - 1) / hop);
  double *db = malloc(sizeof(double) * (size_t)(*n > 0 ? *n : 1));
  if (!db) app_fail("out of memory");
  for (int i = 0; i < *n; i++) {
    int64_t s = i * hop, end = s + hop < a->frames ? s + hop : a->frames;
    double e = 0;
    for (int64_t t = s; t < end; t++) e += (double)a->data[t] * a->data[t];
    db[i] = 10 * log10(e / (double)(end - s) + 1e-12);
  }
  return db;
}

static bool speaking(const double *db, int n, int i) {
  double top = -1e9;
  for (int j = 0; j < n; j++) top = fmax(top, db[j]);
  return db[i] > SILENCE_DB && db[i] > top - SPEAKING_DB;
}

static const uint8_t palette[MAX_FACES][3] = {{255, 80, 80}, {80, 200, 255}, {120, 255, 120}, {255, 210, 60},
                                             {220, 120, 255}, {255, 150, 60}, {60, 255, 220}, {255, 255, 255}};

/* The video with every face boxed; the active speaker's box (speaking, and the
 * loudest voice then) thick and coloured, the others thin and grey. */
typedef struct {
  const avs_face_tracks *ft;
  int fps, n_db;
  double *const *db;
} speakers_frame;

static void draw_speakers(void *user, avs_image *im, double t) {
  const speakers_frame *sf = user;
  const avs_face_tracks *ft = sf->ft;
  static const uint8_t grey[3] = {160, 160, 160};
  int f = (int)floor(t * sf->fps), h = (int)floor(t / HOP), active = -1;
  f = f < 0 ? 0 : f >= ft->frames ? ft->frames - 1 : f;
  h = h < 0 ? 0 : h >= sf->n_db ? sf->n_db - 1 : h;
  for (int k = 0; k < ft->n; k++)
    if (speaking(sf->db[k], sf->n_db, h) && (active < 0 || sf->db[k][h] > sf->db[active][h])) active = k;
  for (int k = 0; k < ft->n; k++) {
    const float *b = ft->box[k][f];
    avs_overlay_box(im, (int)b[0], (int)b[1], (int)b[2] - 1, (int)b[3] - 1, k == active ? palette[k] : grey,
                    k == active ? 3 : 1);
  }
}

static char *in_dir(const char *dir, const char *name) {
  char *p = malloc(strlen(dir) + strlen(name) + 2);
  if (!p) app_fail("out of memory");
  sprintf(p, "%s/%s", dir, name);
  return p;
}

int avsep_speech(int argc, char **argv) {
  speech_opts o = {.cascade = AVS_CASCADE_DEFAULT};
  const app_opt opts[] = {
      {"out", 'o', APP_STRING, &o.out, "output folder, new or empty (required)", 0, 0},
      {"model", 'm', APP_STRING, &o.model, "speech model (default: the shipped " DEFAULT_MODEL ")", 0, 0},
      {"faces", 0, APP_STRING, &o.faces, "X0,Y0,X1,Y1[;...]: the speakers' face boxes (pixels), fixed over the video", 0,
       0},
      {"tracks", 0, APP_STRING, &o.tracks,
       "FILE: the speakers' face tracks, a box per frame, in speakers.json's shape (\"speakers\": [{\"face_track\": "
       "[[x0,y0,x1,y1],...]}], \"track_fps\")",
       0, 0},
      {"cascade", 0, APP_STRING, &o.cascade, "face detector: OpenCV cascade XML", 0, 0},
      {"video", 0, APP_FLAG, &o.video, "also write speakers.mp4: the video with the active speaker highlighted", 0, 0},
      {"json", 0, APP_FLAG, &o.json, "print speakers.json on stdout as well", 0, 0},
      APP_PRECISION_OPT,
      {0},
  };
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  const char *video = pos[0];
  if (!o.out) app_usage_error("--out DIR is required (a new or empty folder for the voices)");
  if (o.faces && o.tracks) app_usage_error("--faces and --tracks cannot be combined");
  char *shipped = NULL;
  if (!o.model && avs_data_path(DEFAULT_MODEL, &shipped))
    app_fail("no speech model is shipped with this version: give one with -m FILE (scripts/train_speech.sh trains it)");
  if (!o.model) o.model = shipped;
  avs_model *m = NULL;
  if (avs_speech_model_load(o.model, NULL, &m)) app_fail_status(avs_errcode());
  app_verbose_model(m, o.model);
  avs_speech_geometry g;
  avs_speech_model_geometry(m, &g);

  avs_video_info info = app_probe_video(video);
  if (!info.has_audio) app_fail("%s has no audio track: nothing to separate", video);
  avs_face_tracks ft = {0};
  float given[MAX_FACES][4];
  int n_given = o.faces ? avsep_parse_boxes(o.faces, "--faces", info.width, info.height, MAX_FACES, given) : 0;
  if (n_given > g.speakers)
    app_usage_error("--faces: %d faces, the model separates at most %d voices", n_given, g.speakers);
  app_check_out_dir(o.out, "--out");

  avs_audio *native = NULL, *x = NULL;
  if (avs_track_load(video, &(avs_track_opts){.channels = 1}, &native)) app_fail_status(avs_errcode());
  if (avs_audio_resample(native, AVS_SPEECH_RATE, &x)) app_fail_status(avs_errcode());
  int P = AVS_SPEECH_RATE / g.fps;
  ft.frames = (int)((x->frames + P - 1) / P);
  if (x->frames <= 512) app_fail("the soundtrack of %s is too short to separate (%.3f s)", video, x->frames / 16000.0);
  if (o.faces) {
    ft.n = n_given;
    for (int k = 0; k < ft.n; k++) {
      if (!(ft.box[k] = malloc(sizeof(float[4]) * (size_t)ft.frames))) app_fail("out of memory");
      for (int f = 0; f < ft.frames; f++) memcpy(ft.box[k][f], given[k], sizeof given[k]);
    }
  } else if (o.tracks) {
    read_tracks(o.tracks, g.fps, info.width, info.height, &ft);
    if (ft.n > g.speakers)
      app_fail("%d speakers in %s, the model separates at most %d voices", ft.n, o.tracks, g.speakers);
  } else {
    detect_tracks(video, o.cascade, g.fps, &ft);
    if (!ft.n) app_fail("no face found in %s (give the speakers' faces with --faces X0,Y0,X1,Y1;...)", video);
    if (ft.n > g.speakers)
      app_fail("%d faces on screen, the model separates at most %d voices (choose them with --faces)", ft.n,
               g.speakers);
  }
  app_info("%s: %dx%d, %.2f s, soundtrack %d Hz; %d face%s; model %s (%s)", video, info.width, info.height,
           (double)native->frames / native->rate, native->rate, ft.n, ft.n == 1 ? "" : "s", m->arch->name, o.model);
  if (ft.n < g.speakers)
    app_warn("%d face%s for a model of %d voices: the other input%s left empty", ft.n, ft.n == 1 ? "" : "s",
             g.speakers, g.speakers - ft.n == 1 ? " is" : "s are");

  char *tmp = app_dir_begin(o.out);
  float peak = 0;
  for (int64_t t = 0; t < x->frames; t++) peak = fmaxf(peak, fabsf(x->data[t]));
  float *voices[MAX_FACES];
  for (int k = 0; k < g.speakers && k < MAX_FACES; k++)
    if (!(voices[k] = calloc((size_t)x->frames, sizeof(float)))) app_fail("out of memory");
  if (peak < 1e-4f) {
    app_warn("the soundtrack is silent: silent voices");
  } else {
    size_t M = (size_t)g.mouth_size, Z = (size_t)g.face_size;
    uint8_t *mouths = malloc((size_t)g.speakers * ft.frames * M * M), *faces = malloc((size_t)g.speakers * Z * Z);
    if (!mouths || !faces) app_fail("out of memory");
    crop_tracks(video, &g, &ft, mouths, faces);
    avs_speech_input in = {.mix = x->data, .n = x->frames, .mouths = mouths, .faces = faces, .frames = ft.frames};
    if (avs_speech_separate(m, &in, voices)) app_fail_status(avs_errcode());
    free(mouths), free(faces);
  }

  cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  cJSON_AddStringToObject(root, "video", video);
  cJSON_AddStringToObject(root, "model", o.model);
  cJSON_AddNumberToObject(root, "sample_rate", native->rate);
  cJSON_AddNumberToObject(root, "duration", (double)native->frames / native->rate);
  cJSON_AddNumberToObject(root, "width", info.width);
  cJSON_AddNumberToObject(root, "height", info.height);
  cJSON_AddNumberToObject(root, "track_fps", g.fps);
  cJSON_AddNumberToObject(root, "activity_hop", HOP);
  cJSON_AddStringToObject(root, "faces_from", o.faces ? "--faces" : o.tracks ? "--tracks" : "detector");
  double *db[MAX_FACES];
  int n_db = 0;
  for (int k = 0; k < ft.n; k++) {
    avs_audio at16 = {.data = voices[k], .frames = x->frames, .channels = 1, .rate = AVS_SPEECH_RATE}, *up = NULL;
    avs_audio *out = avs_audio_new(native->frames, 1, native->rate);
    if (!out || avs_audio_resample(&at16, native->rate, &up)) app_fail_status(avs_errcode());
    memcpy(out->data, up->data, sizeof(float) * (size_t)(up->frames < native->frames ? up->frames : native->frames));
    avs_audio_free(&up);
    char name[64];
    snprintf(name, sizeof name, "speaker_%d.wav", k + 1);
    char *wav = in_dir(tmp, name);
    if (avs_audio_write(wav, out, AVS_SAMPLE_FLOAT)) app_fail_status(avs_errcode());
    free(wav);
    db[k] = loudness(out, &n_db);
    cJSON *s = cJSON_CreateObject(), *track = cJSON_CreateArray(), *loud = cJSON_CreateArray(), *seg = cJSON_CreateArray();
    cJSON_AddNumberToObject(s, "index", k + 1);
    cJSON_AddStringToObject(s, "file", name);
    for (int f = 0; f < ft.frames; f++) {
      const float *b = ft.box[k][f];
      int iv[4] = {(int)lroundf(b[0]), (int)lroundf(b[1]), (int)lroundf(b[2]), (int)lroundf(b[3])};
      cJSON_AddItemToArray(track, cJSON_CreateIntArray(iv, 4));
    }
    cJSON_AddItemToObject(s, "face_track", track);
    double start = -1;
    for (int i = 0; i <= n_db; i++) {
      bool on = i < n_db && speaking(db[k], n_db, i);
      if (i < n_db) cJSON_AddItemToArray(loud, cJSON_CreateNumber(round(db[k][i] * 10) / 10));
      if (on && start < 0) start = i * HOP;
      if (!on && start >= 0) {
        double iv[2] = {round(start * 100) / 100, round(fmin(i * HOP, (double)native->frames / native->rate) * 100) / 100};
        cJSON_AddItemToArray(seg, cJSON_CreateDoubleArray(iv, 2));
        start = -1;
      }
    }
    cJSON_AddItemToObject(s, "loudness_db", loud);
    cJSON_AddItemToObject(s, "speaking", seg);
    cJSON_AddItemToArray(arr, s);
    avs_audio_free(&out);
  }
  cJSON_AddItemToObject(root, "speakers", arr);
  if (o.video) {
    char *mp4 = in_dir(tmp, "speakers.mp4");
    speakers_frame sf = {.ft = &ft, .fps = g.fps, .n_db = n_db, .db = db};
    if (avs_video_redraw(video, mp4, native->data, native->frames, native->rate, draw_speakers, &sf))
      app_fail_status(avs_errcode());
    cJSON_AddStringToObject(root, "video_out", "speakers.mp4");
    free(mp4);
  }
  char *text = cJSON_Print(root), *manifest = in_dir(tmp, "speakers.json");
  if (!text || avs_write_text(manifest, text)) app_fail("cannot write %s", manifest);
  app_dir_commit(tmp, o.out);
  if (o.json) puts(text);
  app_info("%d voice%s in %s (speakers.json describes them)", ft.n, ft.n == 1 ? "" : "s", o.out);
  for (int k = 0; k < ft.n; k++) free(db[k]);
  avs_face_tracks_release(&ft);
  for (int k = 0; k < g.speakers && k < MAX_FACES; k++) free(voices[k]);
  cJSON_Delete(root);
  free(text), free(manifest), free(tmp);
  avs_audio_free(&native), avs_audio_free(&x);
  avs_model_free(&m);
  free(shipped);
  return 0;
}
